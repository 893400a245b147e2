/**
 * One Web API row → the SourceRow shape every producer puts on the changes queue (shared/model/source-value.ts),
 * for the sync pass (change-tracking pages) and the engine's re-read of stripped webhook rows:
 * - annotations (`x@OData…`, `@odata.etag`) are dropped;
 * - a lookup `_x_value` becomes column `x`: a reference `{ table, id }` when the row carries
 *   `_x_value@Microsoft.Dynamics.CRM.lookuplogicalname` (ask for it with the lookuplogicalname Prefer annotation);
 * - primitives stay primitives; nested objects/arrays (expanded rows) are skipped.
 */
import type { SourceRow } from '../model/source-value';

export const LOOKUP_LOGICAL_NAME = 'Microsoft.Dynamics.CRM.lookuplogicalname';
const LOOKUP_VALUE = /^_(.+)_value$/;

export interface SourceRowOptions {
  /**
   * A lookup value without the lookuplogicalname annotation (its table is unknown):
   * `'guid'` keeps the bare GUID (enough for a single-table lookup), `'omit'` leaves the column out so the
   * target's lookup stays untouched rather than bound by a guess.
   */
  unannotatedLookup: 'guid' | 'omit';
}

export function webApiSourceRow(row: Record<string, unknown>, options: SourceRowOptions): SourceRow {
  const bareGuid = options.unannotatedLookup === 'guid';
  const out: SourceRow = {};
  for (const [name, value] of Object.entries(row)) {
    if (name.includes('@')) continue;
    const lookup = LOOKUP_VALUE.exec(name);
    if (lookup) {
      const table = row[`${name}@${LOOKUP_LOGICAL_NAME}`];
      if (value === null || value === undefined) out[lookup[1]] = null;
      else if (typeof table === 'string' && (typeof value === 'string' || bareGuid)) out[lookup[1]] = { $type: 'reference', table, id: String(value) };
      else if (bareGuid) out[lookup[1]] = String(value);
      continue;
    }
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[name] = value;
  }
  return out;
}
