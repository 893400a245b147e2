/**
 * A Web API row from a change-tracking page → the SourceRow the webhook intake would have produced,
 * so every producer feeds the one mapping in the engine:
 * - annotations (`x@OData…`, `@odata.etag`) are dropped;
 * - a lookup `_x_value` becomes column `x`: a reference `{table, id}` when the row carries
 *   `_x_value@Microsoft.Dynamics.CRM.lookuplogicalname`, else the bare GUID (enough for single-table lookups);
 * - primitives stay primitives (choices are integers, money a number, dates ISO text: the engine
 *   turns the webhook's typed values into exactly these plain values);
 * - nested objects/arrays (expanded rows) are skipped: change tracking refuses $expand anyway.
 */
import type { SourceRow } from '../model/source-value';

const LOOKUP = /^_(.+)_value$/;
const LOGICAL_NAME = '@Microsoft.Dynamics.CRM.lookuplogicalname';

export class SyncRowError extends Error {
  override name = 'SyncRowError';
  readonly transient = false;
}

export function toSourceRow(row: Record<string, unknown>): SourceRow {
  const out: SourceRow = {};
  for (const [name, value] of Object.entries(row)) {
    if (name.includes('@')) continue;
    const lookup = LOOKUP.exec(name);
    if (lookup) {
      const table = row[`${name}${LOGICAL_NAME}`];
      out[lookup[1]] = value === null || value === undefined ? null : typeof table === 'string' ? { $type: 'reference', table, id: String(value) } : String(value);
      continue;
    }
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[name] = value;
  }
  return out;
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
