/**
 * Reads that span pages: queries (`Prefer: odata.maxpagesize`, follow `@odata.nextLink` unchanged with
 * the same page size) and change tracking (`Prefer: odata.track-changes`, ending in `@odata.deltaLink`).
 * Both are async iterators of pages, so callers can checkpoint after every page.
 */
import { DataverseError } from './errors';
import type { ResponseMeta } from './meta';
import type { RequestOptions } from './options';
import type { Transport } from './transport';

export type Row = Record<string, unknown>;

export interface QueryOptions extends RequestOptions {
  select?: readonly string[];
  filter?: string;
  orderBy?: string;
  expand?: string;
  /** Ignored by Dataverse when a page size is also sent; kept for single-page reads. */
  top?: number;
  /** Rows per page (≤ 5,000); defaults to the client's pageSize. */
  pageSize?: number;
}

export interface QueryPage {
  rows: Row[];
  meta: ResponseMeta;
  /** Present when more pages follow. */
  nextLink?: string;
}

export type Change = { type: 'upsert'; row: Row } | { type: 'delete'; id: string };

export interface ChangePage {
  changes: Change[];
  meta: ResponseMeta;
  /** Present when more pages follow: a checkpoint can store it and resume with `nextLink` after a crash. */
  nextLink?: string;
  /** Only on the last page: store it and pass it as `deltaLink` next time. */
  deltaLink?: string;
}

export interface ChangeOptions extends RequestOptions {
  /** Columns to track (the first call's $select; a delta link carries it on). */
  select?: readonly string[];
  /** The delta link returned last time; absent for the initial full read. */
  deltaLink?: string;
  /**
   * Resume a read in progress from a page's `nextLink` (exactly as returned; it carries the query and the
   * paging cookie). Wins over `deltaLink` and `select`.
   */
  nextLink?: string;
  pageSize?: number;
  /**
   * Ask for `<lookup>@Microsoft.Dynamics.CRM.lookuplogicalname` on every lookup value, so a polymorphic
   * lookup (customer, owner, regarding) says which table its GUID belongs to.
   */
  lookupLogicalNames?: boolean;
}

export const LOOKUP_LOGICAL_NAME_ANNOTATION = 'Microsoft.Dynamics.CRM.lookuplogicalname';

/** The Prefer header of a change-tracking read (several preferences join with commas, Learn: webapi/compose-http-requests-handle-errors). */
export function changePreferHeader(pageSize: number, lookupLogicalNames: boolean | undefined): string {
  const parts = ['odata.track-changes', `odata.maxpagesize=${pageSize}`];
  if (lookupLogicalNames) parts.push(`odata.include-annotations="${LOOKUP_LOGICAL_NAME_ANNOTATION}"`);
  return parts.join(',');
}

/** ExpiredVersionStamp: the delta token is older than the org's change-tracking retention. Run a full sync. */
export const EXPIRED_DELTA_TOKEN_CODE = '0x80044352';

export function isExpiredDeltaToken(error: unknown): boolean {
  return error instanceof DataverseError && error.code === EXPIRED_DELTA_TOKEN_CODE;
}

function pageSizeOf(transport: Transport, requested: number | undefined): number {
  const size = requested ?? transport.settings.pageSize;
  if (!Number.isInteger(size) || size < 1 || size > 5000) {
    throw new DataverseError({ kind: 'validation', message: `pageSize must be an integer from 1 to 5000 (Dataverse maximum); got ${size}.` });
  }
  return size;
}

function valueOf(json: unknown, url: string): Row[] {
  const value = (json as { value?: unknown } | undefined)?.value;
  if (!Array.isArray(value)) throw new DataverseError({ kind: 'transient', message: `Expected a collection ("value" array) from GET ${url}.` });
  return value as Row[];
}

export async function* queryPages(transport: Transport, entitySet: string, options: QueryOptions = {}): AsyncGenerator<QueryPage> {
  const pageSize = pageSizeOf(transport, options.pageSize);
  const headers = { Prefer: `odata.maxpagesize=${pageSize}` };
  let url: string | undefined = entitySet;
  let query: Record<string, string | undefined> | undefined = {
    $select: options.select?.join(','),
    $filter: options.filter,
    $orderby: options.orderBy,
    $expand: options.expand,
    $top: options.top === undefined ? undefined : String(options.top),
  };
  while (url) {
    const response = await transport.send({ method: 'GET', url, query, headers, signal: options.signal, timeoutMs: options.timeoutMs });
    const nextLink = (response.json as { '@odata.nextLink'?: string } | undefined)?.['@odata.nextLink'];
    yield { rows: valueOf(response.json, response.url), meta: response.meta, ...(nextLink ? { nextLink } : {}) };
    url = nextLink;
    query = undefined; // the next link is used exactly as the server wrote it
  }
}

/** All rows of a query, page after page. */
export async function* queryRows(transport: Transport, entitySet: string, options: QueryOptions = {}): AsyncGenerator<Row> {
  for await (const page of queryPages(transport, entitySet, options)) yield* page.rows;
}

function toChange(row: Row): Change {
  const context = typeof row['@odata.context'] === 'string' ? (row['@odata.context'] as string) : '';
  if (context.includes('$deletedEntity') || row.reason === 'deleted') {
    return { type: 'delete', id: String(row.id) };
  }
  return { type: 'upsert', row };
}

export async function* changePages(transport: Transport, entitySet: string, options: ChangeOptions = {}): AsyncGenerator<ChangePage> {
  const pageSize = pageSizeOf(transport, options.pageSize);
  // Every follow-up sends the same preferences: the page size must not change between pages (Learn: webapi/query/page-results).
  const headers = { Prefer: changePreferHeader(pageSize, options.lookupLogicalNames) };
  const resumeLink = options.nextLink ?? options.deltaLink;
  let url: string | undefined = resumeLink ?? entitySet;
  let query: Record<string, string | undefined> | undefined = resumeLink ? undefined : { $select: options.select?.join(',') };
  while (url) {
    const response = await transport.send({ method: 'GET', url, query, headers, signal: options.signal, timeoutMs: options.timeoutMs });
    const body = response.json as { '@odata.nextLink'?: string; '@odata.deltaLink'?: string } | undefined;
    const changes = valueOf(response.json, response.url).map(toChange);
    const nextLink = body?.['@odata.nextLink'];
    const deltaLink = body?.['@odata.deltaLink'];
    if (!nextLink && !deltaLink) {
      throw new DataverseError({
        kind: 'validation',
        message: `GET ${response.url} returned no @odata.deltaLink: change tracking is probably not enabled on '${entitySet}'. Enable it on the table (it cannot be turned off again).`,
      });
    }
    yield { changes, meta: response.meta, ...(nextLink ? { nextLink } : { deltaLink }) };
    url = nextLink;
    query = undefined;
  }
}
