/**
 * Value comparison with Dataverse's SQL semantics: strings compare case-insensitively (the default
 * collation, filter-rows doc), GUIDs case-insensitively, dates by instant, NULL sorts lowest.
 */
import type { ColumnDef } from '../schema/model';

type Scalar = string | number | boolean | number[] | null;

/** Normalised sort/compare key of a stored (or literal) value for one column. */
export function comparable(column: ColumnDef, v: Scalar): string | number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (Array.isArray(v)) return v.join(',');
  if (column.type === 'datetime') {
    if (column.dateOnly) return Date.parse(v.slice(0, 10) + 'T00:00:00Z');
    const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? v + 'T00:00:00Z' : v);
    return Number.isNaN(t) ? v.toLowerCase() : t;
  }
  return v.toLowerCase();
}

/** -1, 0, 1 with NULL lowest (SQL Server ORDER BY ascending puts NULLs first). */
export function compareKeys(a: string | number | null, b: string | number | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
