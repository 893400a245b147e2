/**
 * How long change-tracking tokens stay usable: Dataverse keeps changes for
 * `Organization.ExpireChangeTrackingInDays` (default 7 days in the 2023 doc, dataverse-web-api.md §7).
 * A token issued earlier than that answers ExpiredVersionStamp instead of a partial delta.
 */
import type { Environment } from '../store/environment';

export const DEFAULT_CHANGE_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

const retention = new WeakMap<Environment, number>();

/** Set an environment's retention (ms). 0 expires every token as soon as its second has passed. */
export function setChangeTrackingRetention(env: Environment, ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`change-tracking retention must be a non-negative number of milliseconds, got ${ms}`);
  retention.set(env, ms);
}

export function changeTrackingRetention(env: Environment): number {
  return retention.get(env) ?? DEFAULT_CHANGE_RETENTION_MS;
}
