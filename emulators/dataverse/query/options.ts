/** Validation of a collection GET's query options, once, into a plan the handlers execute. */
import { DvError } from '../errors';
import type { TableDef } from '../schema/model';
import { parseSelect } from '../serialize';
import type { Environment } from '../store/environment';
import { parseExpand, type ExpandItem } from './expand';
import { querySyntaxError } from './filter-lexer';
import { parseFilter, type FilterExpr } from './filter-parser';
import { parseOrderBy, type SortKey } from './orderby';

export interface QueryPlan {
  select?: string[];
  filter?: FilterExpr;
  orderBy: SortKey[];
  top?: number;
  count: boolean;
  expand: ExpandItem[];
  skipToken?: string;
}

/** [U] Dataverse rejects $skip (Learn: webapi/query/page-results); the code is the OData query-option code 0x80060888 seen in real answers, not documented. */
export function rejectSkip(query: URLSearchParams): void {
  if (query.has('$skip')) {
    throw new DvError(400, '0x80060888', 'The query parameter $skip is not supported. Page with Prefer: odata.maxpagesize and follow @odata.nextLink.');
  }
}

export function parseQueryPlan(env: Environment, table: TableDef, query: URLSearchParams): QueryPlan {
  rejectSkip(query);
  const topText = query.get('$top');
  let top: number | undefined;
  if (topText !== null) {
    if (!/^\d+$/.test(topText.trim())) throw querySyntaxError('$top', topText, 0, '$top must be a non-negative whole number');
    top = Number(topText.trim());
  }
  const countText = query.get('$count');
  if (countText !== null && countText !== 'true' && countText !== 'false') {
    throw querySyntaxError('$count', countText, 0, "$count must be 'true' or 'false'");
  }
  const filterText = query.get('$filter');
  return {
    select: parseSelect(table, query.get('$select')),
    filter: filterText === null ? undefined : parseFilter(filterText, table),
    orderBy: parseOrderBy(query.get('$orderby'), table),
    top,
    count: countText === 'true',
    expand: parseExpand(query.get('$expand'), table, (n) => env.table(n)),
    skipToken: query.get('$skiptoken') ?? undefined,
  };
}

/** The link for the next page or the delta: same options, with `$skiptoken`/`$deltatoken` replaced. */
export function linkWith(baseUrl: string, path: string, query: URLSearchParams, set: Record<string, string | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of query) if (!(k in set)) parts.push(`${k}=${encodeQueryValue(v)}`);
  for (const [k, v] of Object.entries(set)) if (v !== undefined) parts.push(`${k}=${encodeURIComponent(v)}`);
  return `${baseUrl}${path}${parts.length ? `?${parts.join('&')}` : ''}`;
}

/** Keep OData punctuation readable in links, encode everything that would break the URL. */
function encodeQueryValue(v: string): string {
  return encodeURIComponent(v).replace(/%2C/g, ',').replace(/%24/g, '$').replace(/%27/g, "'").replace(/%28/g, '(').replace(/%29/g, ')');
}
