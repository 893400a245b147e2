/**
 * Row → OData JSON (Learn: webapi/compose-http-requests-handle-errors, webapi/associate-disassociate-entities-using-web-api): `@odata.context`, `@odata.etag` W/"<versionnumber>",
 * lookups as read-only `_<column>_value`, `$select` with the documented unknown-property error.
 */
import { dvErrors } from './errors';
import { isLookup, type ColumnDef, type TableDef } from './schema/model';
import type { Row } from './types';
import { toJson } from './values';

export const etagOf = (row: Row): string => `W/"${row.versionnumber}"`;

/** JSON property name of a column: `_parentcustomerid_value` for lookups, else the logical name. */
export const propertyName = (col: ColumnDef): string => (isLookup(col) ? `_${col.logicalName}_value` : col.logicalName);

/** Parse `$select` into column logical names; accepts logical names and `_x_value` lookup property names. */
export function parseSelect(table: TableDef, raw: string | null): string[] | undefined {
  if (raw === null || raw.trim() === '') return undefined;
  return raw.split(',').map((p) => {
    const name = p.trim();
    const lookup = /^_(.+)_value$/.exec(name);
    const col = table.columns.get(lookup ? lookup[1] : name);
    if (!col || (lookup && !isLookup(col))) throw dvErrors.unknownSelectProperty(name, table.logicalName);
    return col.logicalName;
  });
}

export interface SerializeOptions {
  select?: string[];
  /** Adds lookup annotations (`@Microsoft.Dynamics.CRM.lookuplogicalname`, associatednavigationproperty) as with Prefer: odata.include-annotations="*". */
  annotations?: boolean;
}

/** The entity body without `@odata.context` (collections put one context at the top). */
export function rowBody(table: TableDef, row: Row, opts: SerializeOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { '@odata.etag': etagOf(row) };
  const cols = opts.select ? [...new Set([...opts.select, table.primaryId])] : [...table.columns.keys()];
  for (const name of cols) {
    const col = table.columns.get(name)!;
    const v = row[name] ?? null;
    const prop = propertyName(col);
    if (opts.annotations && isLookup(col) && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const nav = [...table.navigation.values()].find((n) => n.kind === 'single' && n.column === name && n.target === v.table);
      if (nav) out[`${prop}@Microsoft.Dynamics.CRM.associatednavigationproperty`] = nav.name;
      out[`${prop}@Microsoft.Dynamics.CRM.lookuplogicalname`] = v.table;
    }
    out[prop] = toJson(v);
  }
  return out;
}

/** `@odata.context` for one entity: `<base>$metadata#accounts/$entity` or `#accounts(name,accountid)/$entity`. */
export function entityContext(baseUrl: string, table: TableDef, select?: string[]): string {
  const sel = select ? `(${[...new Set([...select, table.primaryId])].map((c) => propertyName(table.columns.get(c)!)).join(',')})` : '';
  return `${baseUrl}$metadata#${table.entitySetName}${sel}/$entity`;
}

export function serializeRow(baseUrl: string, table: TableDef, row: Row, opts: SerializeOptions = {}): Record<string, unknown> {
  return { '@odata.context': entityContext(baseUrl, table, opts.select), ...rowBody(table, row, opts) };
}
