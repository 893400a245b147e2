/**
 * Single-row operations (Learn: webapi/create-entity-web-api, use-upsert-insert-update-record, webapi/perform-conditional-operations-using-web-api): POST create, GET by id or alternate
 * key, PATCH upsert/update/create-only, DELETE. Collection GETs are left to the query handler.
 */
import { charge } from '../cost';
import { dvErrors } from '../errors';
import { parsePath } from '../path';
import { JSON_CONTENT_TYPE, parsePrefer, type Preferences } from '../prefer';
import { preferenceApplied, renderRow } from '../query/render';
import type { TableDef } from '../schema/model';
import { entityContext, etagOf, parseSelect } from '../serialize';
import type { DvRequest, DvResponse, Handler, RequestContext, Row } from '../types';
import { applyCollectionBinds, parseBody, parseJsonObject } from './body';
import { findRow, notFound, resolveKey, type ResolvedKey } from './resolve';

export const rowHandler: Handler = async (req, ctx) => {
  const segs = parsePath(req.path);
  if (segs.length !== 1) return undefined;
  const [seg] = segs;
  const table = ctx.env.tableBySet(seg.name);
  if (!table) return undefined;
  if (!seg.key) return req.method === 'POST' ? create(req, ctx, table) : undefined;
  const key = resolveKey(table, seg.key);
  switch (req.method) {
    case 'GET':
      return read(req, ctx, table, key);
    case 'PATCH':
      return upsert(req, ctx, table, key);
    case 'DELETE':
      return remove(req, ctx, table, key);
    default:
      throw dvErrors.noHttpResource(`${ctx.baseUrl}${req.path}`);
  }
};

function entityUrl(ctx: RequestContext, table: TableDef, key: ResolvedKey | string): string {
  const text = typeof key === 'string' ? key : key.kind === 'id' ? key.id : encodeURI(key.text);
  return `${ctx.baseUrl}${table.entitySetName}(${text})`;
}

/** One row as Dataverse returns it: lookup and FormattedValue annotations only when `Prefer: odata.include-annotations` asks (Learn: webapi/compose-http-requests-handle-errors). */
function entityBody(ctx: RequestContext, table: TableDef, row: Row, select: string[] | undefined, prefs: Preferences): string {
  return JSON.stringify({ '@odata.context': entityContext(ctx.baseUrl, table, select), ...renderRow(ctx.env, table, row, { select, expand: [], prefs }) });
}

const annotationsApplied = (prefs: Preferences): string | undefined =>
  prefs.includeAnnotationsRaw !== undefined ? `odata.include-annotations="${prefs.includeAnnotationsRaw}"` : undefined;

function representation(req: DvRequest, ctx: RequestContext, table: TableDef, row: Row, status: number, prefs: Preferences): DvResponse {
  const select = parseSelect(table, req.query.get('$select'));
  return {
    status,
    headers: { 'content-type': JSON_CONTENT_TYPE, etag: etagOf(row), ...preferenceApplied(['return=representation', annotationsApplied(prefs)]) },
    body: entityBody(ctx, table, row, select, prefs),
  };
}

async function create(req: DvRequest, ctx: RequestContext, table: TableDef): Promise<DvResponse> {
  const prefs = parsePrefer(req.headers.prefer);
  const parsed = parseBody(ctx.env, table, parseJsonObject(table, req.body));
  parseSelect(table, req.query.get('$select')); // validate before writing
  charge(ctx, 'create');
  const row = await ctx.env.transaction(ctx, () => {
    const created = ctx.env.create(ctx, table.logicalName, parsed.values);
    applyCollectionBinds(ctx.env, ctx, table, String(created[table.primaryId]), parsed.collectionBinds);
    return created;
  });
  const id = String(row[table.primaryId]);
  if (prefs.returnRepresentation) return representation(req, ctx, table, row, 201, prefs);
  return { status: 204, headers: { 'odata-entityid': entityUrl(ctx, table, id) } };
}

async function read(req: DvRequest, ctx: RequestContext, table: TableDef, key: ResolvedKey): Promise<DvResponse> {
  for (const name of req.query.keys()) {
    if (name.startsWith('$') && name !== '$select') {
      throw dvErrors.invalidArgument(`The query option '${name}' is not supported on a single-row GET by this emulator; use $select, or query the collection.`);
    }
  }
  const select = parseSelect(table, req.query.get('$select'));
  charge(ctx, 'read');
  ctx.env.privileges.check(ctx, table, 'Read'); // the table privilege comes before the row lookup (403 for a missing row too)
  const row = findRow(ctx.env, table, key);
  if (!row) throw notFound(table, key);
  const prefs = parsePrefer(req.headers.prefer);
  // Learn: webapi/perform-conditional-operations-using-web-api: conditional GET → 304, never with include-annotations.
  if (req.headers['if-none-match'] === etagOf(row) && prefs.includeAnnotations === undefined) {
    return { status: 304, headers: { etag: etagOf(row) } };
  }
  return {
    status: 200,
    headers: { 'content-type': JSON_CONTENT_TYPE, etag: etagOf(row), ...preferenceApplied([annotationsApplied(prefs)]) },
    body: entityBody(ctx, table, row, select, prefs),
  };
}

/** Learn: webapi/perform-conditional-operations-using-web-api: If-Match: W/"n" must equal the row's etag. */
function checkIfMatch(req: DvRequest, row: Row): void {
  const ifMatch = req.headers['if-match'];
  if (
    ifMatch &&
    ifMatch !== '*' &&
    !ifMatch
      .split(',')
      .map((s) => s.trim())
      .includes(etagOf(row))
  )
    throw dvErrors.versionMismatch();
}

async function upsert(req: DvRequest, ctx: RequestContext, table: TableDef, key: ResolvedKey): Promise<DvResponse> {
  const prefs = parsePrefer(req.headers.prefer);
  const ifMatch = req.headers['if-match'];
  const ifNoneMatch = req.headers['if-none-match'];
  const createOnly = ifNoneMatch === '*';
  const existing = findRow(ctx.env, table, key);
  if (existing && createOnly) throw dvErrors.alreadyExists(); // Learn: webapi/perform-conditional-operations-using-web-api
  if (!existing && ifMatch) throw notFound(table, key); // update-only, Learn: webapi/perform-conditional-operations-using-web-api
  if (existing) checkIfMatch(req, existing);
  const parsed = parseBody(ctx.env, table, parseJsonObject(table, req.body));
  parseSelect(table, req.query.get('$select'));
  charge(ctx, ifMatch ? 'update' : key.kind === 'alternate' ? 'upsertByKey' : 'upsert');
  const keyValues: Row = key.kind === 'id' ? { [table.primaryId]: key.id } : key.values;
  const elastic = table.tableType === 'Elastic';
  const { row, created } = await ctx.env.transaction(ctx, () => {
    if (existing) {
      const id = String(existing[table.primaryId]);
      const bodyId = parsed.values[table.primaryId];
      if (bodyId !== undefined && bodyId !== id) {
        throw dvErrors.invalidArgument(
          `Entity Id must be the same as the value set in property bag. The URL addresses ${id} but the body sets ${table.primaryId} to ${String(bodyId)}.`,
        );
      }
      // Learn: use-upsert-insert-update-record: a key column in the body that is also in the URL key is dropped on update.
      const changes = { ...parsed.values };
      for (const col of Object.keys(keyValues)) delete changes[col];
      if (elastic && !ifMatch) {
        // Learn: use-upsert-insert-update-record: elastic upsert overwrites the whole stored record and fires no Create/Update.
        const r = ctx.env.update(ctx, table.logicalName, id, { ...keyValues, ...changes }, 'Upsert', true);
        return { row: r, created: false };
      }
      const r = ctx.env.update(ctx, table.logicalName, id, changes);
      applyCollectionBinds(ctx.env, ctx, table, id, parsed.collectionBinds);
      return { row: r, created: false };
    }
    // Learn: use-upsert-insert-update-record: on create, key values in the body win; missing ones are copied from the URL.
    const r = ctx.env.create(ctx, table.logicalName, { ...keyValues, ...parsed.values }, elastic && !createOnly ? 'Upsert' : 'Create');
    applyCollectionBinds(ctx.env, ctx, table, String(r[table.primaryId]), parsed.collectionBinds);
    return { row: r, created: true };
  });
  if (prefs.returnRepresentation) return representation(req, ctx, table, row, created ? 201 : 200, prefs);
  return { status: 204, headers: { 'odata-entityid': entityUrl(ctx, table, key) } };
}

async function remove(req: DvRequest, ctx: RequestContext, table: TableDef, key: ResolvedKey): Promise<DvResponse> {
  charge(ctx, 'delete');
  const row = findRow(ctx.env, table, key);
  if (!row) throw notFound(table, key);
  checkIfMatch(req, row);
  ctx.env.delete(ctx, table.logicalName, String(row[table.primaryId]));
  return { status: 204, headers: {} };
}
