/**
 * A Web API row from a change-tracking page → the SourceRow the webhook intake would have produced
 * (shared/dataverse/source-row.ts); a lookup without the lookuplogicalname annotation stays a bare GUID
 * (enough for single-table lookups).
 */
import type { SourceRow } from '../model/source-value';
import { webApiSourceRow } from '../dataverse/source-row';

export class SyncRowError extends Error {
  override name = 'SyncRowError';
  readonly transient = false;
}

export function toSourceRow(row: Record<string, unknown>): SourceRow {
  return webApiSourceRow(row, { unannotatedLookup: 'guid' });
}

const ETAG = /^W\/"(\d+)"$/;

/** The row's version stamp: `versionnumber`, else the number in its weak ETag (which is the same stamp). */
export function rowVersion(row: Record<string, unknown>): string | undefined {
  const v = row.versionnumber;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return v;
  const etag = row['@odata.etag'];
  const m = typeof etag === 'string' ? ETAG.exec(etag) : null;
  return m ? m[1] : undefined;
}

/**
 * The version part of a delta link's `$deltatoken` (documented shape `<version>!<timestamp>`, URL-encoded).
 * Deletions carry no row version, so they are stamped with the new token's version: it is at least the
 * deletion's own version, hence newer than any version applied for that row before.
 */
export function deltaTokenVersion(deltaLink: string): string | undefined {
  let token: string | null;
  try {
    token = new URL(deltaLink).searchParams.get('$deltatoken');
  } catch {
    return undefined;
  }
  const m = token ? /^(\d+)!/.exec(token) : null;
  return m ? m[1] : undefined;
}
