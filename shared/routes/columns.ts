/**
 * Which source columns a route needs: one answer for every intake path (webhook: shared/queue/build.ts,
 * incremental sync: shared/sync/build.ts) and for the loader's checks (./load.ts).
 *
 * A ChangeMessage carries the route's `source.selectColumns` (empty = every column) and, always:
 * - the source table's primary id: `<table>id`, or `activityid` for activity tables (the sync path also
 *   passes the id column from the table's metadata);
 * - every source column a target column mapping reads (`from`, key columns included) and every lookup's `from`.
 * Filtering columns, scope, `onlyWhenValueChanged` and trigger conditions are evaluated at intake on the
 * whole event, before the selection, so they need nothing carried.
 */
import type { SourceRow } from '../model/source-value';
import type { Route } from './schema';

/** One place a route reads a source column, with the field of the routes file that reads it. */
export interface SourceColumnUse {
  column: string;
  /** Path below the route, e.g. ['target', 'columns', 'dvs_sourceid']. */
  path: Array<string | number>;
  /** The target column is one of target.key (without its value no change can address the target row). */
  key: boolean;
}

/** Every source column the worker reads from a change of this route (mappings, keys, lookups), in file order. */
export function sourceColumnUses(route: Route): SourceColumnUse[] {
  const uses: SourceColumnUse[] = [];
  for (const [target, mapping] of Object.entries(route.target.columns)) {
    const key = route.target.key.includes(target);
    if (typeof mapping === 'string') uses.push({ column: mapping, path: ['target', 'columns', target], key });
    else if (mapping.from !== undefined) uses.push({ column: mapping.from, path: ['target', 'columns', target, 'from'], key });
  }
  route.target.lookups.forEach((lookup, i) => uses.push({ column: lookup.from, path: ['target', 'lookups', i, 'from'], key: false }));
  return uses;
}

/**
 * The names the primary id column of a source table can have: `<table>id` (standard and custom tables),
 * `activityid` (every activity table, custom activities too; their primary id is not `<table>id`).
 */
export function primaryIdColumns(table: string): string[] {
  return [`${table}id`, 'activityid'];
}

/** The columns a change of this route carries; undefined = every column (no selectColumns). */
export function carriedColumns(route: Route, primaryId?: string): ReadonlySet<string> | undefined {
  const select = route.source.selectColumns;
  if (select.length === 0) return undefined;
  return new Set([...select, ...primaryIdColumns(route.source.table), ...(primaryId ? [primaryId] : []), ...sourceColumnUses(route).map((u) => u.column)]);
}

/** The values a change of this route carries to the worker (see carriedColumns). */
export function carryColumns(values: SourceRow, route: Route, primaryId?: string): SourceRow {
  const keep = carriedColumns(route, primaryId);
  if (!keep) return values;
  const out: SourceRow = {};
  for (const [column, value] of Object.entries(values)) if (keep.has(column)) out[column] = value;
  return out;
}
