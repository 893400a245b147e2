/** Pieces of a collection answer shared by plain queries (./collection.ts) and change tracking (../changes/delta.ts). */
import { MAX_PAGE_SIZE } from '../prefer';
import type { TableDef } from '../schema/model';
import { propertyName } from '../serialize';
import type { DvResponse } from '../types';

/** Collection context: `<base>$metadata#accounts(name,accountid)`. */
export function collectionContext(baseUrl: string, table: TableDef, select: string[] | undefined, suffix = ''): string {
  const sel = select ? `(${[...new Set([...select, table.primaryId])].map((c) => propertyName(table.columns.get(c)!)).join(',')})` : '';
  return `${baseUrl}$metadata#${table.entitySetName}${sel}${suffix}`;
}

/** `/$count` answers a bare number, at most 5,000 (Learn: webapi/compose-http-requests-handle-errors). */
export function countResponse(n: number): DvResponse {
  return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: String(Math.min(n, MAX_PAGE_SIZE)) };
}
