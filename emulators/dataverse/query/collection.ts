/**
 * `GET /<set>` and `GET /<set>/$count` (Learn: webapi/compose-http-requests-handle-errors, webapi/query/page-results, webapi/query/filter-rows): $select, $filter, $orderby,
 * $top, $count, $expand, paging with `Prefer: odata.maxpagesize` and the `$skiptoken` cookie,
 * annotations. Requests carrying `Prefer: odata.track-changes` or `$deltatoken` go to changes/.
 */
import { charge } from '../cost';
import { DvError } from '../errors';
import { trackedQuery } from '../changes/delta';
import type { TableDef } from '../schema/model';
import type { DvRequest, DvResponse, Handler, RequestContext, Row } from '../types';
import { matches } from './filter-eval';
import { compareTuples, sortTuple, type SortTuple } from './orderby';
import { linkWith, parseQueryPlan, type QueryPlan } from './options';
import { decodeSkipToken, encodeSkipToken } from './paging';
import { JSON_CONTENT_TYPE, MAX_PAGE_SIZE, parsePrefer, wantsAnnotation, type Preferences } from '../prefer';
import { propertyValue } from './properties';
import { collectionContext, countResponse } from './context';
import { preferenceApplied, renderRow } from './render';

export { JSON_CONTENT_TYPE };

export const collectionQueryHandler: Handler = async (req, ctx) => {
  if (req.method !== 'GET') return undefined;
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(\/\$count)?$/.exec(req.path);
  if (!m) return undefined;
  const table = ctx.env.tableBySet(m[1]);
  if (!table) return undefined;
  if (req.query.has('fetchXml')) {
    // Dataverse runs FetchXML here; the emulator does not, and says so instead of ignoring the query (an answer with every row would be wrong).
    throw new DvError(
      501,
      '',
      `This Dataverse emulator does not support FetchXML queries (?fetchXml= on ${m[1]}). Use the OData options $select, $filter, $orderby, $top and Prefer: odata.maxpagesize instead.`,
    );
  }
  const prefs = parsePrefer(req.headers.prefer);
  charge(ctx, 'read');
  // A tracked load's nextLink carries istracking="True" in its cookie, so follow-ups stay tracked without the Prefer header.
  const trackedPage = /istracking="True"/.test(req.query.get('$skiptoken') ?? '');
  if (prefs.trackChanges || trackedPage || req.query.has('$deltatoken')) {
    ctx.env.privileges.check(ctx, table, 'Read');
    return trackedQuery(req, ctx, table, prefs, Boolean(m[2]));
  }
  const plan = parseQueryPlan(ctx.env, table, req.query);
  // After the query options parse (their 400s come first); [U] a table read through $expand needs its Read too.
  for (const t of [table, ...plan.expand.map((e) => e.target)]) ctx.env.privileges.check(ctx, t, 'Read');
  const rows = orderedMatches(ctx, table, plan);
  if (m[2]) return countResponse(rows.length);
  return pageResponse(req, ctx, table, plan, prefs, rows);
};

interface Keyed {
  row: Row;
  key: SortTuple;
}

function orderedMatches(ctx: RequestContext, table: TableDef, plan: QueryPlan): Keyed[] {
  const out: Keyed[] = [];
  for (const row of ctx.env.rowsOf(table.logicalName)) {
    if (plan.filter && !matches(plan.filter, row)) continue;
    out.push({ row, key: sortTuple(plan.orderBy, row, propertyValue) });
  }
  return out.sort((a, b) => compareTuples(plan.orderBy, a.key, b.key));
}

function pageResponse(req: DvRequest, ctx: RequestContext, table: TableDef, plan: QueryPlan, prefs: Preferences, rows: Keyed[]): DvResponse {
  let start = 0;
  let pageNumber = 1;
  if (plan.skipToken !== undefined) {
    const cookie = decodeSkipToken(plan.skipToken, plan.orderBy, table);
    pageNumber = cookie.pageNumber;
    start = rows.findIndex((r) => compareTuples(plan.orderBy, r.key, cookie.last) > 0);
    if (start < 0) start = rows.length;
  }
  // Learn: webapi/query/page-results: $top is ignored when odata.maxpagesize is present; without it $top caps the result and there is no next page.
  const usingTop = prefs.maxPageSize === undefined && plan.top !== undefined;
  const pageSize = usingTop ? Math.min(plan.top!, MAX_PAGE_SIZE) : (prefs.maxPageSize ?? MAX_PAGE_SIZE);
  const page = rows.slice(start, start + pageSize);
  const more = !usingTop && start + pageSize < rows.length;
  const body: Record<string, unknown> = { '@odata.context': collectionContext(ctx.baseUrl, table, plan.select) };
  if (plan.count) {
    body['@odata.count'] = Math.min(rows.length, MAX_PAGE_SIZE);
    if (wantsAnnotation(prefs, 'Microsoft.Dynamics.CRM.totalrecordcount')) {
      body['@Microsoft.Dynamics.CRM.totalrecordcount'] = -1;
      body['@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded'] = rows.length > MAX_PAGE_SIZE;
    }
  }
  body.value = page.map((r) => renderRow(ctx.env, table, r.row, { select: plan.select, expand: plan.expand, prefs }));
  if (more) {
    const token = encodeSkipToken(plan.orderBy, { pageNumber: pageNumber + 1, last: page[page.length - 1].key, tracking: false, extra: {} });
    body['@odata.nextLink'] = linkWith(ctx.baseUrl, req.path, req.query, { $skiptoken: token });
  }
  return {
    status: 200,
    headers: {
      'content-type': JSON_CONTENT_TYPE,
      ...preferenceApplied([
        prefs.includeAnnotationsRaw !== undefined ? `odata.include-annotations="${prefs.includeAnnotationsRaw}"` : undefined,
        prefs.maxPageSize !== undefined ? `odata.maxpagesize=${prefs.maxPageSize}` : undefined,
      ]),
    },
    body: JSON.stringify(body),
  };
}
