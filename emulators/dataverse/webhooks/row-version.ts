/**
 * What the `RowVersion` fields of a webhook payload's Entities carry (README "RowVersion").
 * Real payloads differ: every published Create, sync Update and image has `null`; one published
 * async Update (Microsoft Learn, presence-status-sync) has the row version in its Target and in its
 * ParentContext's Target, while the docs sample (use-webhooks) and the SetState sample have `null`.
 *
 * - `published` (default): the published pattern per wire message and mode: async Update (SetState
 *   included, it arrives as an Update) → Target and ParentContext Target carry the row's
 *   versionnumber; everything else null.
 * - `always`: every Entity carries it (Target, ParentContext Target, pre/post images including
 *   AsynchronousStepPrimaryName); a pre image carries the version before the operation.
 * - `never`: every RowVersion is null, as in the docs sample.
 *
 * EntityReferences (lookups, the Delete Target) always print `RowVersion: null`: no published payload has another value there.
 * Dataverse has no such setting; the per-registration override (keyed by step or service endpoint id) is emulator-only.
 */
import type { Row } from '../types';
import type { StepRegistration } from './registrations';
import type { ContextMessage, StepMode } from './serialize';

export const ROW_VERSION_MODES = ['published', 'always', 'never'] as const;
export type RowVersionMode = (typeof ROW_VERSION_MODES)[number];
export const DEFAULT_ROW_VERSION_MODE: RowVersionMode = 'published';

export interface RowVersionPolicy {
  /** The emulator-wide mode (option `webhookRowVersion`). */
  mode: RowVersionMode;
  /** Overrides keyed by lower-case sdkmessageprocessingstepid or serviceendpointid (option `webhookRowVersionByRegistration`). */
  byRegistration: Readonly<Record<string, RowVersionMode>>;
}

export const defaultRowVersionPolicy = (): RowVersionPolicy => ({ mode: DEFAULT_ROW_VERSION_MODE, byRegistration: {} });

/** The step's own override, else its endpoint's, else the emulator-wide mode. */
export function rowVersionModeFor(policy: RowVersionPolicy, step: Pick<StepRegistration, 'id' | 'endpoint'>): RowVersionMode {
  const by = policy.byRegistration;
  return by[step.id.toLowerCase()] ?? by[step.endpoint.id.toLowerCase()] ?? policy.mode;
}

/** Which Entities of one context carry the row version. */
export interface RowVersionPlacement {
  target: boolean;
  parentTarget: boolean;
  images: boolean;
}

export function rowVersionPlacement(mode: RowVersionMode, message: ContextMessage, stepMode: StepMode): RowVersionPlacement {
  if (mode === 'always') return { target: true, parentTarget: true, images: true };
  if (mode === 'never') return { target: false, parentTarget: false, images: false };
  const asyncUpdate = message === 'Update' && stepMode === 1;
  return { target: asyncUpdate, parentTarget: asyncUpdate, images: false };
}

/** The row's versionnumber as the decimal string RowVersion carries (the number GET returns and the ETag W/"<n>" holds). */
export function rowVersionOf(row: Row | undefined): string | null {
  const v = row?.versionnumber;
  return typeof v === 'number' || typeof v === 'string' ? String(v) : null;
}
