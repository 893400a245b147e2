/**
 * Change tracking over the Web API (Learn: use-change-tracking-synchronize-data-external-systems): `Prefer: odata.track-changes` on a
 * collection GET returns every row and an `@odata.deltaLink`; following it returns rows created or
 * changed since, then `$deletedEntity` entries, and a fresh delta link. Both page with
 * `odata.maxpagesize` (nextLink first, the delta link on the last page).
 */
import { DvError } from '../errors';
import { collectionContext, countResponse } from '../query/context';
import { linkWith, rejectSkip } from '../query/options';
import { parseOrderBy } from '../query/orderby';
import { decodeSkipToken, encodeSkipToken } from '../query/paging';
import { JSON_CONTENT_TYPE, MAX_PAGE_SIZE, type Preferences } from '../prefer';
import { propertyValue } from '../query/properties';
import { preferenceApplied, renderRow } from '../query/render';
import { compareTuples, sortTuple } from '../query/orderby';
import type { TableDef } from '../schema/model';
import { parseSelect } from '../serialize';
import type { DvRequest, DvResponse, RequestContext } from '../types';
import { changeTrackingRetention } from './retention';
import { formatDeltaToken, parseDeltaToken } from './token';

const FORBIDDEN = ['$filter', '$orderby', '$expand', '$top'];

/** ChangeTrackingNotEnabledForEntity (Learn: reference/web-service-error-codes). Whether the Web API raises it is [U]; we answer 400. */
function notEnabled(table: TableDef): DvError {
  return new DvError(400, '0x80072491', `Entity ${table.logicalName} isn't enabled for change tracking.`);
}

/** ExpiredVersionStamp (Learn: use-change-tracking-synchronize-data-external-systems); status 400 is [U], an assumption. */
export function expiredToken(): DvError {
  return new DvError(400, '0x80044352', 'Version stamp associated with the client has expired. Please perform a full sync.');
}

interface DeltaEntry {
  id: string;
  deleted: boolean;
}

export async function trackedQuery(req: DvRequest, ctx: RequestContext, table: TableDef, prefs: Preferences, countOnly: boolean): Promise<DvResponse> {
  if (!table.changeTracking) throw notEnabled(table);
  rejectSkip(req.query);
  for (const option of FORBIDDEN) {
    // [U] code: the doc gives only the message; 0x80060888 is the OData query-option code.
    if (req.query.has(option)) throw new DvError(400, '0x80060888', `The "${option}" query parameter isn't supported when Change Tracking is enabled.`);
  }
  const select = parseSelect(table, req.query.get('$select'));
  const deltaText = req.query.get('$deltatoken');
  if (deltaText === null) return initialLoad(req, ctx, table, prefs, select, countOnly);
  const token = parseDeltaToken(deltaText, ctx.env.currentVersion());
  if (ctx.now.getTime() - token.issuedAt.getTime() > changeTrackingRetention(ctx.env)) throw expiredToken();
  if (token.version < ctx.env.trimmedVersion(table.logicalName)) throw expiredToken(); // its changes were trimmed from the log
  return deltaPage(req, ctx, table, prefs, select, token.version, countOnly);
}

function headers(prefs: Preferences, tracking: boolean): Record<string, string> {
  return {
    'content-type': JSON_CONTENT_TYPE,
    ...preferenceApplied([
      tracking ? 'odata.track-changes' : undefined,
      prefs.includeAnnotationsRaw !== undefined ? `odata.include-annotations="${prefs.includeAnnotationsRaw}"` : undefined,
      prefs.maxPageSize !== undefined ? `odata.maxpagesize=${prefs.maxPageSize}` : undefined,
    ]),
  };
}

function deltaLink(req: DvRequest, ctx: RequestContext, version: number, at: Date): string {
  return linkWith(ctx.baseUrl, req.path, req.query, { $skiptoken: undefined, $deltatoken: formatDeltaToken(version, at) });
}

/** First call: every row (by primary id), the version it was read at travels in the paging cookie to the final delta link. */
function initialLoad(req: DvRequest, ctx: RequestContext, table: TableDef, prefs: Preferences, select: string[] | undefined, countOnly: boolean): DvResponse {
  const keys = parseOrderBy(null, table);
  const rows = [...ctx.env.rowsOf(table.logicalName)]
    .map((row) => ({ row, key: sortTuple(keys, row, propertyValue) }))
    .sort((a, b) => compareTuples(keys, a.key, b.key));
  if (countOnly) return countResponse(rows.length);
  let start = 0;
  let pageNumber = 1;
  let version = ctx.env.stableVersion();
  let issued = ctx.now;
  const skip = req.query.get('$skiptoken');
  if (skip !== null) {
    const cookie = decodeSkipToken(skip, keys, table);
    pageNumber = cookie.pageNumber;
    version = Number(cookie.extra.deltaversion ?? NaN);
    issued = new Date(Number(cookie.extra.deltaissued ?? NaN));
    if (!cookie.tracking || Number.isNaN(version) || Number.isNaN(issued.getTime())) {
      throw new DvError(400, '0x80040203', 'The $skiptoken does not belong to a change-tracking query. Use the @odata.nextLink exactly as returned.');
    }
    start = rows.findIndex((r) => compareTuples(keys, r.key, cookie.last) > 0);
    if (start < 0) start = rows.length;
  }
  const pageSize = prefs.maxPageSize ?? MAX_PAGE_SIZE;
  const page = rows.slice(start, start + pageSize);
  const body: Record<string, unknown> = { '@odata.context': collectionContext(ctx.baseUrl, table, select) };
  body.value = page.map((r) => renderRow(ctx.env, table, r.row, { select, expand: [], prefs }));
  if (start + pageSize < rows.length) {
    const token = encodeSkipToken(keys, {
      pageNumber: pageNumber + 1,
      last: page[page.length - 1].key,
      tracking: true,
      extra: { deltaversion: String(version), deltaissued: String(issued.getTime()) },
    });
    body['@odata.nextLink'] = linkWith(ctx.baseUrl, req.path, req.query, { $skiptoken: token });
  } else {
    body['@odata.deltaLink'] = deltaLink(req, ctx, version, issued);
  }
  return { status: 200, headers: headers(prefs, true), body: JSON.stringify(body) };
}

/** Collapse the change log between two versions: one entry per row, its last state; changed rows (by version) first, then deletions. */
function changesBetween(ctx: RequestContext, table: TableDef, from: number, to: number): DeltaEntry[] {
  const last = new Map<string, { version: number; deleted: boolean }>();
  for (const e of ctx.env.changeLog(table.logicalName)) {
    if (e.version <= from || e.version > to) continue;
    last.set(e.id, { version: e.version, deleted: e.kind === 'delete' });
  }
  const all = [...last.entries()].sort((a, b) => a[1].version - b[1].version);
  return [...all.filter(([, v]) => !v.deleted), ...all.filter(([, v]) => v.deleted)].map(([id, v]) => ({ id, deleted: v.deleted }));
}

function deltaPage(
  req: DvRequest,
  ctx: RequestContext,
  table: TableDef,
  prefs: Preferences,
  select: string[] | undefined,
  from: number,
  countOnly: boolean,
): DvResponse {
  let to = ctx.env.stableVersion();
  let issued = ctx.now;
  let offset = 0;
  let pageNumber = 1;
  const skip = req.query.get('$skiptoken');
  if (skip !== null) {
    const cookie = decodeSkipToken(skip, [], table);
    to = Number(cookie.extra.deltato ?? NaN);
    offset = Number(cookie.extra.offset ?? NaN);
    issued = new Date(Number(cookie.extra.deltaissued ?? NaN));
    pageNumber = cookie.pageNumber;
    if (!cookie.tracking || [to, offset, issued.getTime()].some(Number.isNaN)) {
      throw new DvError(400, '0x80040203', 'The $skiptoken does not belong to this delta query. Use the @odata.nextLink exactly as returned.');
    }
  }
  const entries = changesBetween(ctx, table, from, to);
  if (countOnly) return countResponse(entries.length);
  const pageSize = prefs.maxPageSize ?? MAX_PAGE_SIZE;
  const page = entries.slice(offset, offset + pageSize);
  const value: unknown[] = [];
  for (const e of page) {
    if (e.deleted) {
      value.push({ '@odata.context': `${ctx.baseUrl}$metadata#${table.entitySetName}/$deletedEntity`, id: e.id, reason: 'deleted' });
      continue;
    }
    // A row deleted after `to` is reported by the next delta; skip it here rather than invent its columns.
    const row = ctx.env.getRow(table.logicalName, e.id);
    if (row) value.push(renderRow(ctx.env, table, row, { select, expand: [], prefs }));
  }
  const body: Record<string, unknown> = { '@odata.context': collectionContext(ctx.baseUrl, table, select, '/$delta'), value };
  if (offset + pageSize < entries.length) {
    const token = encodeSkipToken([], {
      pageNumber: pageNumber + 1,
      last: [],
      tracking: true,
      extra: { deltato: String(to), offset: String(offset + pageSize), deltaissued: String(issued.getTime()) },
    });
    body['@odata.nextLink'] = linkWith(ctx.baseUrl, req.path, req.query, { $skiptoken: token });
  } else {
    body['@odata.deltaLink'] = deltaLink(req, ctx, to, issued);
  }
  return { status: 200, headers: headers(prefs, false), body: JSON.stringify(body) };
}
