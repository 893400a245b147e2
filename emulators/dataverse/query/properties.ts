/**
 * Web API property names of a table as queries see them: plain columns by logical name, lookups
 * only as the read-only `_<column>_value` property (Learn: use-alternate-key-reference-record).
 */
import { dvErrors, type DvError } from '../errors';
import type { ColumnDef, TableDef } from '../schema/model';
import { isLookup } from '../schema/model';
import type { ColumnValue, LookupValue, Row } from '../types';

export interface PropertyRef {
  /** Name as it appears on the wire (`name`, `_primarycontactid_value`). */
  name: string;
  column: ColumnDef;
  lookup: boolean;
}

/** https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors: an unknown property in $select, $filter or $orderby. */
export function unknownProperty(table: TableDef, name: string): DvError {
  return dvErrors.unknownSelectProperty(name, table.logicalName);
}

export function resolveProperty(table: TableDef, name: string): PropertyRef | undefined {
  const lookup = /^_(.+)_value$/.exec(name);
  if (lookup) {
    const col = table.columns.get(lookup[1]);
    return col && isLookup(col) ? { name, column: col, lookup: true } : undefined;
  }
  const col = table.columns.get(name);
  return col && !isLookup(col) ? { name, column: col, lookup: false } : undefined;
}

export function mustResolve(table: TableDef, name: string): PropertyRef {
  const ref = resolveProperty(table, name);
  if (!ref) throw unknownProperty(table, name);
  return ref;
}

/** Every property of the table, in column order. */
export function allProperties(table: TableDef): PropertyRef[] {
  return [...table.columns.values()].map((c) =>
    isLookup(c) ? { name: `_${c.logicalName}_value`, column: c, lookup: true } : { name: c.logicalName, column: c, lookup: false },
  );
}

/** The scalar a query compares: lookups compare by their GUID. */
export function propertyValue(row: Row, ref: PropertyRef): Exclude<ColumnValue, LookupValue> {
  const v = row[ref.column.logicalName];
  if (v === undefined || v === null) return null;
  if (ref.lookup) return (v as LookupValue).id;
  return v as Exclude<ColumnValue, LookupValue>;
}
