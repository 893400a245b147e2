/**
 * Stored rows → SDK entities as a plug-in sees them: typed values (OptionSetValue, Money,
 * EntityReference, `/Date(ms)/`), the currency companions of money columns, and FormattedValues
 * (strings, en-US, dates in the user's time zone). Used for Targets and images.
 */
import { createHash } from 'node:crypto';
import type { ColumnDef, TableDef } from '../schema/model';
import type { ColumnValue, LookupValue, Row } from '../types';
import { money, option, ref, XrmDate, XrmDecimal, type XrmEntity, type XrmValue } from './xrm';

/** Primary name of a referenced row (EntityReference.Name in images), when known. */
export type NameResolver = (table: string, id: string) => string | undefined;

export interface EntityOptions {
  /** Fill FormattedValues (Create Targets and images do; Update Targets don't). */
  formatted: boolean;
  /** Fill EntityReference.Name (images do; Targets don't). */
  names?: NameResolver;
  /** The user's time zone for formatted dates, minutes east of UTC. */
  utcOffsetMinutes: number;
  /** Images come from a retrieve, which leaves out null columns. */
  skipNulls?: boolean;
}

const isLookupValue = (v: ColumnValue): v is LookupValue => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The environment's base currency (the emulator has one, US Dollar). */
export function baseCurrencyId(organizationId: string): string {
  const h = createHash('sha1').update(`transactioncurrency/${organizationId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function dateMs(col: Extract<ColumnDef, { type: 'datetime' }>, v: string): number {
  return col.dateOnly ? Date.parse(`${v}T00:00:00Z`) : Date.parse(v);
}

export function toXrmValue(col: ColumnDef, v: ColumnValue, names?: NameResolver): XrmValue {
  if (v === null) return null;
  switch (col.type) {
    case 'choice':
      return option(v as number);
    case 'multichoice':
      return (v as number[]).map(option);
    case 'money':
      return money(v as number);
    case 'decimal':
      return new XrmDecimal(v as number);
    case 'datetime':
      return new XrmDate(dateMs(col, v as string));
    case 'lookup':
    case 'customer':
    case 'owner': {
      const l = v as LookupValue;
      return ref(l.table, l.id, names?.(l.table, l.id) ?? null);
    }
    default:
      return isLookupValue(v) ? ref(v.table, v.id) : (v as string | number | boolean);
  }
}

const grouped = (n: number, digits?: number): string =>
  n.toLocaleString('en-US', digits === undefined ? { maximumFractionDigits: 10 } : { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** ISO in the user's zone: `2023-10-17T09:00:00+02:00`; UTC prints `-00:00` as in fixture 9. */
export function formatDate(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().replace(/\.\d{3}Z$/, '');
  const sign = offsetMinutes > 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The FormattedValues string of a column, or undefined when Dataverse gives none (text, ids). */
export function formatValue(col: ColumnDef, v: ColumnValue, opts: EntityOptions): string | undefined {
  if (v === null) return undefined;
  switch (col.type) {
    case 'choice':
      return col.options.find((o) => o.value === v)?.label ?? String(v);
    case 'multichoice':
      return (v as number[]).map((x) => col.options.find((o) => o.value === x)?.label ?? String(x)).join('; ');
    case 'bool':
      return v ? 'Yes' : 'No';
    case 'int':
    case 'bigint':
    case 'double':
      return grouped(v as number);
    case 'decimal':
      return (v as number).toFixed(col.precision);
    case 'money':
      return `$${grouped(v as number, col.precision)}`;
    case 'datetime':
      return formatDate(dateMs(col, v as string), opts.utcOffsetMinutes);
    case 'lookup':
    case 'customer':
    case 'owner': {
      const l = v as LookupValue;
      return opts.names?.(l.table, l.id);
    }
    default:
      return undefined;
  }
}

/**
 * An entity with `columns` of `row`, in that order. Columns the schema doesn't know (the currency
 * companions added by `withCurrency`) pass through as already-typed values. `rowVersion` is what
 * the Entity's RowVersion prints (row-version.ts decides; null unless it says otherwise).
 */
export function entityFromRow(
  table: TableDef,
  row: Row,
  columns: string[],
  opts: EntityOptions,
  extra: Array<[string, XrmValue]> = [],
  rowVersion: string | null = null,
): XrmEntity {
  const attributes: Array<[string, XrmValue]> = [];
  const formattedValues: Array<[string, string]> = [];
  for (const name of columns) {
    const col = table.columns.get(name);
    const v = row[name] ?? null;
    if (!col) continue;
    if (v === null && opts.skipNulls) continue;
    attributes.push([name, toXrmValue(col, v, opts.names)]);
    const f = opts.formatted ? formatValue(col, v, opts) : undefined;
    if (f !== undefined) formattedValues.push([name, f]);
  }
  attributes.push(...extra);
  return { logicalName: table.logicalName, id: String(row[table.primaryId]), attributes, formattedValues, rowVersion };
}

/** `<money>_base` for each money column in `columns`, then `transactioncurrencyid` and `exchangerate` (base currency, rate 1). */
export function currencyCompanions(table: TableDef, row: Row, columns: string[], organizationId: string): Array<[string, XrmValue]> {
  const moneyCols = columns.filter((c) => table.columns.get(c)?.type === 'money');
  if (moneyCols.length === 0) return [];
  const out: Array<[string, XrmValue]> = [];
  if (!table.columns.has('transactioncurrencyid')) out.push(['transactioncurrencyid', ref('transactioncurrency', baseCurrencyId(organizationId))]);
  if (!table.columns.has('exchangerate')) out.push(['exchangerate', new XrmDecimal(1, 10)]);
  for (const c of moneyCols) {
    const v = row[c];
    if (!table.columns.has(`${c}_base`)) out.push([`${c}_base`, typeof v === 'number' ? money(v) : null]);
  }
  return out;
}
