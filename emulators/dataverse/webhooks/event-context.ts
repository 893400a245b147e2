/**
 * One committed write (A's WriteEvent) + one step registration → the RemoteExecutionContext input:
 * Targets per message (Learn: use-webhooks), registered images and the automatic AsynchronousStepPrimaryName image
 * (fixtures 1, 5, 7 and 8), users' Entra object ids, shared variables from the request.
 */
import type { TableDef } from '../schema/model';
import type { Environment } from '../store/environment';
import type { Row, WriteEvent } from '../types';
import { currencyCompanions, entityFromRow, type EntityOptions, type NameResolver } from './entity';
import type { StepRegistration } from './registrations';
import { DEFAULT_ROW_VERSION_MODE, rowVersionOf, rowVersionPlacement, type RowVersionMode } from './row-version';
import type { ContextMessage, ExecutionContextInput } from './serialize';
import { ref, type XrmEntity, type XrmEntityReference, type XrmValue } from './xrm';

const ZERO_GUID = '00000000-0000-0000-0000-000000000000';
/** Columns the platform sets: absent from what the caller sent (the stage-30 Target). */
const SERVER_SET = new Set(['createdon', 'modifiedon', 'createdby', 'modifiedby', 'versionnumber', 'owningbusinessunit']);

/** What the write's HTTP request carried beyond the WriteEvent. */
export interface RequestExtras {
  userAgent: string;
  acceptLanguage?: string;
  suppressDuplicateDetection: boolean;
}

export interface DeliveryFacts {
  operationId: string;
  stepTime: Date;
  serverUtcOffsetMinutes: number;
  /** The calling user's time zone (FormattedValues dates). */
  userUtcOffsetMinutes: number;
  extras: RequestExtras;
  changedEntityTypes: Array<[string, string]>;
  /** What the Entities' RowVersion fields carry (row-version.ts); unset: the default, `published`. */
  rowVersion?: RowVersionMode;
}

/** SetState arrives at webhooks as an Update (fixture 7). */
export function contextMessage(event: WriteEvent): ContextMessage | undefined {
  if (event.message === 'Create' || event.message === 'Update' || event.message === 'Delete') return event.message;
  if (event.message === 'SetState') return 'Update';
  return undefined;
}

const rowColumns = (row: Row): string[] => Object.keys(row).filter((c) => c !== 'versionnumber');

export function nameResolver(env: Environment): NameResolver {
  return (table, id) => {
    const def = env.table(table);
    const v = def ? env.getRow(table, id)?.[def.primaryName] : undefined;
    return typeof v === 'string' ? v : undefined;
  };
}

function aadObjectId(env: Environment, userId: string): string {
  const v = env.getRow('systemuser', userId)?.azureactivedirectoryobjectid;
  return typeof v === 'string' ? v : ZERO_GUID;
}

function systemExtras(table: TableDef, row: Row, organizationId: string, columns: string[], create: boolean): Array<[string, XrmValue]> {
  const extra = currencyCompanions(table, row, columns, organizationId);
  const owner = row.ownerid;
  if (
    create &&
    table.ownership === 'UserOwned' &&
    owner &&
    typeof owner === 'object' &&
    !Array.isArray(owner) &&
    owner.table === 'systemuser' &&
    !table.columns.has('owninguser')
  ) {
    extra.push(['owninguser', ref('systemuser', owner.id)]);
  }
  if (!table.columns.has('modifiedonbehalfby')) extra.push(['modifiedonbehalfby', null]);
  return extra;
}

/** The columns the caller sent (the ParentContext Target), plus the primary id. */
function callerColumns(table: TableDef, event: WriteEvent, message: ContextMessage): string[] {
  const sent = event.callerColumns ?? (message === 'Create' ? rowColumns(event.postImage!) : event.changedColumns);
  return [...sent.filter((c) => !SERVER_SET.has(c) && c !== table.primaryId), table.primaryId];
}

export function contextForEvent(env: Environment, event: WriteEvent, step: StepRegistration, facts: DeliveryFacts): ExecutionContextInput | undefined {
  const message = contextMessage(event);
  const table = env.table(event.table);
  if (!message || !table) return undefined;
  const offset = facts.userUtcOffsetMinutes;
  const names = nameResolver(env);
  const plain: EntityOptions = { formatted: false, utcOffsetMinutes: offset };
  const orgId = event.organizationId;
  const reference: XrmEntityReference = ref(event.table, event.id);

  // RowVersion: the row's versionnumber after the operation in Targets and post images, before it in
  // pre images; null where the placement says no. EntityReferences (the Delete Target) stay null.
  const place = rowVersionPlacement(facts.rowVersion ?? DEFAULT_ROW_VERSION_MODE, message, step.mode);
  const versionOf = (row: Row | undefined, on: boolean): string | null => (on ? rowVersionOf(row) : null);

  let target: XrmEntity | XrmEntityReference = reference;
  let parentTarget: XrmEntity | XrmEntityReference = reference;
  if (message !== 'Delete') {
    const row = event.postImage!;
    const sent = callerColumns(table, event, message);
    const parent = entityFromRow(table, row, sent, plain, [], versionOf(row, place.parentTarget));
    parentTarget = parent;
    if (step.stage !== 40) target = { ...parent, rowVersion: versionOf(row, place.target) };
    else if (message === 'Create') {
      const cols = rowColumns(row);
      target = entityFromRow(table, row, cols, { ...plain, formatted: true }, systemExtras(table, row, orgId, cols, true), versionOf(row, place.target));
    } else {
      const changed = sent.filter((c) => c !== table.primaryId);
      target = entityFromRow(
        table,
        row,
        [...changed, table.primaryId, 'modifiedon', 'modifiedby'],
        plain,
        systemExtras(table, row, orgId, changed, false),
        versionOf(row, place.target),
      );
    }
  }

  const imageOptions: EntityOptions = { formatted: true, names, utcOffsetMinutes: offset, skipNulls: true };
  const preImages: Array<[string, XrmEntity]> = [];
  const postImages: Array<[string, XrmEntity]> = [];
  for (const image of step.images) {
    const pick = (row: Row): XrmEntity =>
      entityFromRow(table, row, image.attributes.length ? image.attributes : rowColumns(row), imageOptions, [], versionOf(row, place.images));
    // No pre image on Create, no post image on Delete, post images only at stage 40 (Learn: register-plug-in, "Define entity images").
    if (image.imageType !== 1 && event.preImage && message !== 'Create') preImages.push([image.alias, pick(event.preImage)]);
    if (image.imageType !== 0 && event.postImage && message !== 'Delete' && step.stage === 40) postImages.push([image.alias, pick(event.postImage)]);
  }
  if (step.mode === 1) {
    const source = message === 'Delete' ? event.preImage : event.postImage;
    if (source) {
      const primary = entityFromRow(table, source, [table.primaryName, table.primaryId], { ...plain, skipNulls: true }, [], versionOf(source, place.images));
      (message === 'Delete' ? preImages : postImages).push(['AsynchronousStepPrimaryName', primary]);
    }
  }

  const async = step.mode === 1;
  return {
    messageName: message,
    primaryEntityName: event.table,
    primaryEntityId: event.id,
    step: { id: step.id, name: step.name, mode: step.mode, stage: step.stage },
    target,
    parentTarget,
    preImages,
    postImages,
    organizationId: orgId,
    organizationName: event.organizationName,
    businessUnitId: event.businessUnitId,
    userId: event.userId,
    initiatingUserId: event.userId,
    userAzureActiveDirectoryObjectId: aadObjectId(env, event.userId),
    initiatingUserAzureActiveDirectoryObjectId: aadObjectId(env, event.userId),
    initiatingUserAgent: facts.extras.userAgent,
    correlationId: event.correlationId,
    operationId: facts.operationId,
    requestId: async ? event.requestId : facts.operationId,
    operationTime: event.operationTime,
    stepTime: facts.stepTime,
    serverUtcOffsetMinutes: facts.serverUtcOffsetMinutes,
    depth: event.depth,
    tag: event.tag,
    acceptLanguage: facts.extras.acceptLanguage,
    suppressDuplicateDetection: facts.extras.suppressDuplicateDetection,
    changedEntityTypes: facts.changedEntityTypes,
  };
}
