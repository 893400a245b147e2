/**
 * Bulk messages bound to an entity set (Learn: bulk-operations):
 * `POST /<set>/Microsoft.Dynamics.CRM.CreateMultiple|UpdateMultiple|UpsertMultiple|DeleteMultiple`.
 * Standard tables are all-or-nothing (one store transaction); elastic tables apply each item on
 * its own and report the failures. One HTTP request for service protection; every item is charged
 * at the bulk rate.
 */
import { charge } from '../cost';
import { DvError, dvErrors } from '../errors';
import { JSON_CONTENT_TYPE, parsePrefer, wantsAnnotation } from '../prefer';
import { applyCollectionBinds, parseBody } from '../rows/body';
import { findRow, notFound, type ResolvedKey } from '../rows/resolve';
import type { BulkMessage } from '../schema/spec';
import type { TableDef } from '../schema/model';
import type { DvResponse, Handler, RequestContext, Row } from '../types';
import { deleteMultipleStandard, keyInBodyOnCreate, messageNotSupported } from './errors';
import { itemBody, readTargets, targetKey, type Target } from './targets';

const MESSAGES = new Set<BulkMessage>(['CreateMultiple', 'UpdateMultiple', 'UpsertMultiple', 'DeleteMultiple']);

export const bulkHandler: Handler = async (req, ctx): Promise<DvResponse | undefined> => {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)\/Microsoft\.Dynamics\.CRM\.([A-Za-z]+)$/.exec(req.path);
  if (!m || !MESSAGES.has(m[2] as BulkMessage)) return undefined;
  const table = ctx.env.tableBySet(m[1]);
  if (!table) return undefined;
  const message = m[2] as BulkMessage;
  if (req.method !== 'POST') throw dvErrors.noHttpResource(`${ctx.baseUrl}${req.path}`);
  const elastic = table.tableType === 'Elastic';
  if (message === 'DeleteMultiple' && !elastic) throw deleteMultipleStandard();
  if (!table.bulkMessages.includes(message)) throw messageNotSupported(message, table);
  const targets = readTargets(table, req.body);
  const previousPath = ctx.writePath;
  ctx.writePath = 'bulk';
  try {
    const ids = elastic ? await applyEach(ctx, table, message, targets, req.headers.prefer) : await applyAll(ctx, table, message, targets);
    if (message === 'CreateMultiple') {
      return {
        status: 200,
        headers: { 'content-type': JSON_CONTENT_TYPE },
        body: JSON.stringify({ '@odata.context': `${ctx.baseUrl}$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse`, Ids: ids }),
      };
    }
    return { status: 204, headers: {} };
  } catch (err) {
    if (!(err instanceof BulkPartialFailure)) throw err;
    const annotations = Object.fromEntries(Object.entries(err.annotations).map(([k, v]) => [`@${k}`, v]));
    return {
      status: err.status,
      headers: { 'content-type': JSON_CONTENT_TYPE, ...err.headers },
      body: JSON.stringify({ error: { code: err.code, message: err.message, ...annotations } }),
    };
  } finally {
    ctx.writePath = previousPath;
  }
};

/** Standard tables: one transaction; the first failing item rolls back every earlier one. */
async function applyAll(ctx: RequestContext, table: TableDef, message: BulkMessage, targets: Target[]): Promise<string[]> {
  return ctx.env.transaction(ctx, () => targets.map((t, i) => applyItem(ctx, table, message, t, i)));
}

/** Elastic tables: items succeed or fail one by one (Learn: bulk-operations, partial success). */
async function applyEach(ctx: RequestContext, table: TableDef, message: BulkMessage, targets: Target[], prefer: string | undefined): Promise<string[]> {
  const ids: string[] = [];
  const failures: Array<{ RequestIndex: number; Id: string; StatusCode: number; error: DvError }> = [];
  for (const [i, t] of targets.entries()) {
    try {
      ids.push(await ctx.env.transaction(ctx, () => applyItem(ctx, table, message, t, i)));
    } catch (err) {
      if (!(err instanceof DvError)) throw err;
      const id = typeof t[table.primaryId] === 'string' ? String(t[table.primaryId]) : '00000000-0000-0000-0000-000000000000';
      failures.push({ RequestIndex: i, Id: id, StatusCode: err.status, error: err });
    }
  }
  if (failures.length === 0) return ids;
  const first = failures[0].error;
  // [U] Shape of the per-item detail over the Web API: the SDK's Plugin.BulkApiErrorDetails list, sent when include-annotations asks for ErrorDetails.
  const detail: Record<string, string> = wantsAnnotation(parsePrefer(prefer), 'Microsoft.PowerApps.CDS.ErrorDetails.BulkApiErrorDetails')
    ? {
        'Microsoft.PowerApps.CDS.ErrorDetails.BulkApiErrorDetails': JSON.stringify(
          failures.map(({ RequestIndex, Id, StatusCode }) => ({ RequestIndex, Id, StatusCode })),
        ),
      }
    : {};
  throw new BulkPartialFailure(first, detail);
}

/** An elastic bulk call where some items failed: the first failure's status and code, plus optional per-item detail. */
export class BulkPartialFailure extends DvError {
  constructor(
    first: DvError,
    readonly annotations: Record<string, string>,
  ) {
    super(first.status, first.code, first.message, first.headers);
  }
}

function applyItem(ctx: RequestContext, table: TableDef, message: BulkMessage, item: Target, index: number): string {
  const env = ctx.env;
  const key = message === 'CreateMultiple' ? undefined : targetKey(table, item, index);
  const parsed = parseBody(env, table, itemBody(item));
  switch (message) {
    case 'CreateMultiple': {
      charge(ctx, 'create');
      const row = env.create(ctx, table.logicalName, parsed.values);
      const id = String(row[table.primaryId]);
      applyCollectionBinds(env, ctx, table, id, parsed.collectionBinds);
      return id;
    }
    case 'UpdateMultiple': {
      charge(ctx, 'update');
      const row = mustFind(ctx, table, key, index);
      const id = String(row[table.primaryId]);
      env.update(ctx, table.logicalName, id, withoutKeys(parsed.values, table, key!));
      applyCollectionBinds(env, ctx, table, id, parsed.collectionBinds);
      return id;
    }
    case 'UpsertMultiple': {
      charge(ctx, key?.kind === 'alternate' ? 'upsertByKey' : 'upsert');
      const existing = key ? findRow(env, table, key) : undefined;
      if (existing) {
        const id = String(existing[table.primaryId]);
        const changes = withoutKeys(parsed.values, table, key!);
        // Learn: use-upsert-insert-update-record: an elastic upsert overwrites the stored record.
        if (table.tableType === 'Elastic') env.update(ctx, table.logicalName, id, { ...keyValues(table, key!), ...changes }, 'Upsert', true);
        else env.update(ctx, table.logicalName, id, changes);
        applyCollectionBinds(env, ctx, table, id, parsed.collectionBinds);
        return id;
      }
      // microsoft/PowerPlatform-DataverseClient-Python PR #127: on the create path a key column both in @odata.id and in the item fails.
      if (key?.kind === 'alternate' && key.key.columns.some((c) => c in parsed.values)) throw keyInBodyOnCreate();
      const row = env.create(
        ctx,
        table.logicalName,
        { ...(key ? keyValues(table, key) : {}), ...parsed.values },
        table.tableType === 'Elastic' ? 'Upsert' : 'Create',
      );
      const id = String(row[table.primaryId]);
      applyCollectionBinds(env, ctx, table, id, parsed.collectionBinds);
      return id;
    }
    case 'DeleteMultiple': {
      charge(ctx, 'delete');
      const row = mustFind(ctx, table, key, index);
      const id = String(row[table.primaryId]);
      env.delete(ctx, table.logicalName, id);
      return id;
    }
  }
}

function mustFind(ctx: RequestContext, table: TableDef, key: ResolvedKey | undefined, index: number): Row {
  if (!key) {
    throw dvErrors.invalidArgument(
      `Targets[${index}] does not identify a row: set "${table.primaryId}" or "@odata.id": "${table.entitySetName}(<key>=<value>)".`,
    );
  }
  const row = findRow(ctx.env, table, key);
  if (!row) throw notFound(table, key);
  return row;
}

function keyValues(table: TableDef, key: ResolvedKey): Row {
  return key.kind === 'id' ? { [table.primaryId]: key.id } : key.values;
}

/** Learn: use-upsert-insert-update-record: on update, body columns that are part of the addressing key are dropped, and the primary id never changes. */
function withoutKeys(values: Row, table: TableDef, key: ResolvedKey): Row {
  const out = { ...values };
  delete out[table.primaryId];
  if (key.kind === 'alternate') for (const c of key.key.columns) delete out[c];
  return out;
}
