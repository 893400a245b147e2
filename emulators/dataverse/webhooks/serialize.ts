/**
 * RemoteExecutionContext serializer: the JSON body Dataverse POSTs to a webhook
 * (Learn: use-webhooks; fixtures in test/fixtures/dataverse-webhook), built from already-converted SDK values (see entity.ts).
 * Top-level keys are PascalCase in DataContract (alphabetical) order; collections are key/value
 * arrays; dates are `/Date(ms)/`. Sync and async payloads differ where the fixtures differ:
 * IsInTransaction, OperationCreatedOn precision/offset, OwningExtension.Name, the parent's step.
 */
import { createHash } from 'node:crypto';
import {
  entityJson,
  kv,
  obj,
  referenceJson,
  valueJson,
  writeJson,
  XrmDate,
  type Json,
  type JsonObject,
  type XrmEntity,
  type XrmEntityReference,
  type XrmValue,
} from './xrm';

export type StepMode = 0 | 1;
export type StepStage = 10 | 20 | 40;
export type ContextMessage = 'Create' | 'Update' | 'Delete';

export interface ExecutionContextInput {
  messageName: ContextMessage;
  primaryEntityName: string;
  primaryEntityId: string;
  step: { id: string; name: string; mode: StepMode; stage: StepStage };
  /** InputParameters Target at the step (Create: every column; Update: changed + system; Delete: a reference). */
  target: XrmEntity | XrmEntityReference;
  /** The stage-30 Target: what the caller sent. */
  parentTarget: XrmEntity | XrmEntityReference;
  preImages: Array<[string, XrmEntity]>;
  postImages: Array<[string, XrmEntity]>;
  organizationId: string;
  organizationName: string;
  businessUnitId: string;
  userId: string;
  initiatingUserId: string;
  userAzureActiveDirectoryObjectId: string;
  initiatingUserAzureActiveDirectoryObjectId: string;
  /** `User-Agent` of the write; the newest payloads carry it (possibly ""). */
  initiatingUserAgent: string;
  correlationId: string;
  /** Shared by the context and its parent; for async steps the system job id. */
  operationId: string;
  /** Sync: the operation id; async: the request id (null in the oldest docs sample). */
  requestId: string | null;
  /** When the core operation ran (the parent's OperationCreatedOn). */
  operationTime: Date;
  /** When the sync step ran (its OperationCreatedOn, a few ms after the core operation). */
  stepTime: Date;
  /** The server's time zone: async OperationCreatedOn carries it as an offset (fixtures 1, 7 and 8). */
  serverUtcOffsetMinutes: number;
  depth: number;
  tag?: string;
  acceptLanguage?: string;
  suppressDuplicateDetection: boolean;
  /** Tables the operation changed → message, for the parent's ChangedEntityTypes. */
  changedEntityTypes: Array<[string, string]>;
}

export interface SerializeOptions {
  /** Over the size limit: drop ParentContext, InputParameters and both image lists (Learn: use-webhooks, 256 KB). */
  stripped?: boolean;
}

/**
 * The platform's own stage-30 step ("ObjectModel Implementation"), the sync parent's OwningExtension.
 * Create and Update ids are the ones in fixtures 9 and 4; others get a stable id of our own.
 */
const CORE_STEP_IDS: Record<string, string> = {
  Create: 'ffc9bb1b-ea3e-db11-86a7-000a3a5473e8',
  Update: '63cdbb1b-ea3e-db11-86a7-000a3a5473e8',
};
export function coreStepId(message: string): string {
  const known = CORE_STEP_IDS[message];
  if (known) return known;
  const h = createHash('sha1').update(`core-step/${message}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Sync: UTC ms, no offset. Async: whole seconds, the ms shifted by the server offset, with the offset (UTC = ms + offset). */
export function operationCreatedOn(at: Date, async: boolean, offsetMinutes: number): XrmDate {
  if (!async) return new XrmDate(at.getTime());
  const seconds = Math.floor(at.getTime() / 1000) * 1000;
  return new XrmDate(seconds - offsetMinutes * 60_000, offsetMinutes);
}

const isEntity = (t: XrmEntity | XrmEntityReference): t is XrmEntity => 'attributes' in t;
const targetJson = (t: XrmEntity | XrmEntityReference): Json => (isEntity(t) ? entityJson(t, true) : referenceJson(t, true));
const images = (list: Array<[string, XrmEntity]>): Json[] => kv(list.map(([alias, e]) => [alias, entityJson(e, false)]));

function sharedVariables(input: ExecutionContextInput, parent: boolean): Json[] {
  const vars: Array<[string, Json]> = [['IsAutoTransact', true]];
  if (input.acceptLanguage !== undefined) vars.push(['AcceptLang', input.acceptLanguage]);
  if (input.tag !== undefined) vars.push(['tag', input.tag]);
  if (input.messageName === 'Create') vars.push(['DefaultsAddedFlag', true]);
  if (parent && input.step.mode === 0 && input.changedEntityTypes.length > 0) {
    vars.push([
      'ChangedEntityTypes',
      input.changedEntityTypes.map(([k, v]) => obj(['__type', 'KeyValuePairOfstringstring:#System.Collections.Generic'], ['key', k], ['value', v])),
    ]);
  }
  return kv(vars);
}

function build(input: ExecutionContextInput, parent: boolean, options: SerializeOptions): JsonObject {
  const async = input.step.mode === 1;
  const stage = parent ? 30 : input.step.stage;
  const owning =
    parent && !async ? { id: coreStepId(input.messageName), name: 'ObjectModel Implementation' } : { id: input.step.id, name: async ? null : input.step.name };
  const inputParameters: Array<[string, Json]> = [['Target', targetJson(parent ? input.parentTarget : input.target)]];
  if (parent && input.messageName !== 'Delete') inputParameters.push(['SuppressDuplicateDetection', input.suppressDuplicateDetection]);
  const outputParameters: Array<[string, XrmValue]> =
    !parent && input.messageName === 'Create' && input.step.stage === 40 ? [['id', input.primaryEntityId]] : [];
  const created = parent || async ? input.operationTime : input.stepTime;
  const entries: Array<[string, Json] | undefined> = [
    ['BusinessUnitId', input.businessUnitId],
    ['CorrelationId', input.correlationId],
    ['Depth', input.depth],
    ['InitiatingUserAgent', input.initiatingUserAgent],
    ['InitiatingUserAzureActiveDirectoryObjectId', input.initiatingUserAzureActiveDirectoryObjectId],
    ['InitiatingUserId', input.initiatingUserId],
    options.stripped ? undefined : ['InputParameters', kv(inputParameters)],
    ['IsExecutingOffline', false],
    // Pre-validation (10) runs before the transaction opens; async steps run after it closed.
    ['IsInTransaction', !async && stage !== 10],
    ['IsOfflinePlayback', false],
    ['IsolationMode', 1],
    ['MessageName', input.messageName],
    ['Mode', input.step.mode],
    ['OperationCreatedOn', operationCreatedOn(created, async, input.serverUtcOffsetMinutes)],
    ['OperationId', input.operationId],
    ['OrganizationId', input.organizationId],
    ['OrganizationName', input.organizationName],
    ['OutputParameters', kv(outputParameters.map(([k, v]) => [k, valueJson(v)]))],
    [
      'OwningExtension',
      obj(['Id', owning.id], ['KeyAttributes', []], ['LogicalName', 'sdkmessageprocessingstep'], ['Name', owning.name], ['RowVersion', null]),
    ],
    options.stripped ? undefined : ['ParentContext', parent ? null : build(input, true, options)],
    options.stripped ? undefined : ['PostEntityImages', parent ? [] : images(input.postImages)],
    options.stripped ? undefined : ['PreEntityImages', parent ? [] : images(input.preImages)],
    ['PrimaryEntityId', input.primaryEntityId],
    ['PrimaryEntityName', input.primaryEntityName],
    ['RequestId', input.requestId],
    ['SecondaryEntityName', 'none'],
    ['SharedVariables', sharedVariables(input, parent)],
    ['Stage', stage],
    ['UserAzureActiveDirectoryObjectId', input.userAzureActiveDirectoryObjectId],
    ['UserId', input.userId],
  ];
  return obj(...entries.filter((e): e is [string, Json] => e !== undefined));
}

/** The ordered JSON tree of the context (tests walk it; delivery prints it). */
export function buildRemoteExecutionContext(input: ExecutionContextInput, options: SerializeOptions = {}): JsonObject {
  return build(input, false, options);
}

/** The request body, exactly as it goes on the wire. */
export function serializeRemoteExecutionContext(input: ExecutionContextInput, options: SerializeOptions = {}): string {
  return writeJson(build(input, false, options));
}
