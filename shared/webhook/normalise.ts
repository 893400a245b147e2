/**
 * RemoteExecutionContext → one typed ChangeEvent: what routing, trigger conditions and the ChangeMessage need.
 * Values: Target (Create/Update) with every post image merged over it ("the row after the change");
 * for Delete the pre images. Changed columns: the Target's attribute names (for Update that is the
 * changed set plus system-set columns, which is what Dataverse's filtering attributes look at).
 */
import type { ChangeEvent } from '../model/change-event';
import type { SourceRow } from '../model/source-value';

export type { ChangeEvent } from '../model/change-event';
import { IntakeRejection } from './errors';
import { checkSchema } from '../util/schema-check';
import { entityReferenceSchema, entitySchema, type RemoteContext, type WireEntity } from './remote-context';
import { convertAttributes, keyValues, parseOperationCreatedOn, typeName, type ConvertContext } from './values';

export const ASYNC_PRIMARY_NAME_IMAGE = 'AsynchronousStepPrimaryName';

export interface NormaliseOptions {
  /** `x-ms-dynamics-msg-size-exceeded` was present: Dataverse removed InputParameters and images. */
  sizeExceeded?: boolean;
}

/** Throws IntakeRejection(400) listing every malformed value with its path. */
export function normalise(ctx: RemoteContext, options: NormaliseOptions = {}): ChangeEvent {
  const conv: ConvertContext = { problems: [], skipped: [] };
  const inputs = keyValues(ctx.InputParameters);
  const shared = keyValues(ctx.SharedVariables);
  const targetIndex = (ctx.InputParameters ?? []).findIndex((p) => p.key === 'Target');
  const rawTarget = targetIndex >= 0 ? inputs.Target : undefined;
  const targetPath = ['InputParameters', targetIndex, 'value'];

  let target: SourceRow | undefined;
  let targetEntity: WireEntity | undefined;
  const formattedValues: Record<string, string> = {};
  if (rawTarget !== undefined && typeName(rawTarget) === 'Entity') {
    const r = checkSchema(entitySchema, rawTarget, targetPath);
    conv.problems.push(...r.problems);
    if (r.value) {
      targetEntity = r.value;
      target = entityRow(r.value, targetPath, conv, formattedValues);
    }
  } else if (rawTarget !== undefined && typeName(rawTarget) === 'EntityReference') {
    conv.problems.push(...checkSchema(entityReferenceSchema, rawTarget, targetPath).problems);
  }

  const preImages = images(ctx.PreEntityImages, 'PreEntityImages', conv, formattedValues);
  const postImages = images(ctx.PostEntityImages, 'PostEntityImages', conv, formattedValues);
  if (conv.problems.length) {
    throw new IntakeRejection(
      400,
      'invalid_payload',
      `The webhook body has ${conv.problems.length} malformed value(s); first: ${conv.problems[0].path}: ${conv.problems[0].message}.`,
      conv.problems,
    );
  }

  const operation = ctx.MessageName === 'Delete' ? 'delete' : 'upsert';
  const preImage = mergeImages(preImages);
  const postImage = mergeImages(postImages);
  const values: SourceRow = operation === 'delete' ? { ...(preImage ?? {}) } : { ...(target ?? {}), ...(postImage ?? {}) };

  // A Delete's version is the row's just before the deletion: its pre image's (shared/model/version.ts).
  const imageRowVersion = Object.values((operation === 'delete' ? ctx.PreEntityImages : ctx.PostEntityImages) ?? [])
    .map((i) => i.value.RowVersion)
    .find((v): v is string => typeof v === 'string' && v.length > 0);
  const versionNumber = values.versionnumber;
  const rowVersion =
    (typeof targetEntity?.RowVersion === 'string' && targetEntity.RowVersion) ||
    imageRowVersion ||
    (typeof versionNumber === 'number'
      ? String(versionNumber)
      : typeof versionNumber === 'object' && versionNumber?.$type === 'decimal'
        ? versionNumber.value
        : undefined);
  const modifiedOn = values.modifiedon;
  const opCreated = ctx.OperationCreatedOn ? parseOperationCreatedOn(ctx.OperationCreatedOn) : undefined;
  const tag = shared.tag;

  const event: ChangeEvent = {
    message: ctx.MessageName,
    table: ctx.PrimaryEntityName,
    rowId: ctx.PrimaryEntityId.toLowerCase(),
    operation,
    organizationId: ctx.OrganizationId.toLowerCase(),
    values,
    formattedValues,
    changedColumns: target ? Object.keys(target) : [],
    preImages,
    postImages,
    reread: Boolean(options.sizeExceeded) || (operation === 'upsert' && target === undefined && postImage === undefined),
    skippedColumns: conv.skipped,
  };
  if (ctx.OrganizationName !== undefined) event.organizationName = ctx.OrganizationName;
  if (target) event.target = target;
  if (preImage) event.preImage = preImage;
  if (postImage) event.postImage = postImage;
  assign(event, 'userId', ctx.UserId?.toLowerCase());
  assign(event, 'initiatingUserId', ctx.InitiatingUserId?.toLowerCase());
  assign(event, 'businessUnitId', ctx.BusinessUnitId?.toLowerCase());
  assign(event, 'correlationId', ctx.CorrelationId?.toLowerCase());
  assign(event, 'operationId', ctx.OperationId?.toLowerCase());
  assign(event, 'requestId', ctx.RequestId?.toLowerCase() ?? undefined);
  assign(event, 'stepId', ctx.OwningExtension?.Id.toLowerCase());
  assign(event, 'depth', ctx.Depth);
  assign(event, 'mode', ctx.Mode);
  assign(event, 'stage', ctx.Stage);
  assign(event, 'tag', typeof tag === 'string' ? tag : undefined);
  assign(event, 'operationCreatedOn', opCreated?.toISOString());
  assign(event, 'rowVersion', rowVersion || undefined);
  assign(event, 'modifiedOn', typeof modifiedOn === 'object' && modifiedOn?.$type === 'datetime' ? modifiedOn.iso : undefined);
  return event;
}

function assign<K extends keyof ChangeEvent>(event: ChangeEvent, key: K, value: ChangeEvent[K] | undefined): void {
  if (value !== undefined) event[key] = value;
}

function entityRow(entity: WireEntity, path: ReadonlyArray<PropertyKey>, conv: ConvertContext, formattedOut: Record<string, string>): SourceRow {
  const formatted = keyValues(entity.FormattedValues);
  for (const [k, v] of Object.entries(formatted)) if (typeof v === 'string' && !(k in formattedOut)) formattedOut[k] = v;
  return convertAttributes(entity.Attributes, formatted, [...path, 'Attributes'], conv);
}

function images(list: RemoteContext['PreEntityImages'], name: string, conv: ConvertContext, formatted: Record<string, string>): Record<string, SourceRow> {
  const out: Record<string, SourceRow> = {};
  (list ?? []).forEach((img, i) => {
    out[img.key] = entityRow(img.value, [name, i, 'value'], conv, formatted);
  });
  return out;
}

/** All images of one kind merged; registered (custom) images win over the automatic primary-name image. */
function mergeImages(images: Record<string, SourceRow>): SourceRow | undefined {
  const aliases = Object.keys(images);
  if (aliases.length === 0) return undefined;
  const ordered = [...aliases.filter((a) => a === ASYNC_PRIMARY_NAME_IMAGE), ...aliases.filter((a) => a !== ASYNC_PRIMARY_NAME_IMAGE)];
  return Object.assign({}, ...ordered.map((a) => images[a])) as SourceRow;
}
