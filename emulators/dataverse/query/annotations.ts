/**
 * Formatted-value annotations (`<prop>@OData.Community.Display.V1.FormattedValue`) that Dataverse
 * adds when `Prefer: odata.include-annotations` asks for them (Learn: webapi/compose-http-requests-handle-errors):
 * choice labels, Yes/No, grouped numbers, money with its currency symbol, dates in the user's
 * format, and the primary name of a lookup's target row.
 */
import type { ColumnDef, TableDef } from '../schema/model';
import { isLookup } from '../schema/model';
import type { Environment } from '../store/environment';
import type { ColumnValue, LookupValue, Row } from '../types';

export const FORMATTED_VALUE = 'OData.Community.Display.V1.FormattedValue';

const group = (n: number, digits: number): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Dataverse's default (en-US user settings) datetime format: `1/2/2024 3:04 PM`. */
function formatDate(iso: string, dateOnly: boolean): string {
  const d = new Date(dateOnly ? `${iso.slice(0, 10)}T00:00:00Z` : iso);
  const date = `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
  if (dateOnly) return date;
  const h = d.getUTCHours();
  return `${date} ${h % 12 || 12}:${String(d.getUTCMinutes()).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
}

export function formattedValue(env: Environment, col: ColumnDef, v: ColumnValue): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (isLookup(col)) {
    const ref = v as LookupValue;
    const target = env.table(ref.table);
    const row = target ? env.getRow(ref.table, ref.id) : undefined;
    const name = row && target ? row[target.primaryName] : undefined;
    return typeof name === 'string' ? name : undefined;
  }
  switch (col.type) {
    case 'choice':
      return col.options.find((o) => o.value === v)?.label;
    case 'multichoice':
      return (v as number[]).map((x) => col.options.find((o) => o.value === x)?.label ?? String(x)).join('; ');
    case 'bool':
      return v ? 'Yes' : 'No';
    case 'int':
    case 'bigint':
      return group(v as number, 0);
    case 'decimal':
      return group(v as number, col.precision);
    case 'double':
      return String(v);
    // [U] The currency symbol comes from the row's transactioncurrency in Dataverse; the emulator has no currencies and uses $.
    case 'money':
      return `$${group(v as number, col.precision)}`;
    case 'datetime':
      return formatDate(v as string, col.dateOnly);
    default:
      return undefined;
  }
}

/**
 * Insert `@OData.Community.Display.V1.FormattedValue` annotations before each property of a
 * serialized row (Dataverse writes annotations ahead of the value they annotate).
 */
export function withFormattedValues(env: Environment, table: TableDef, row: Row, body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!key.includes('@')) {
      const lookup = /^_(.+)_value$/.exec(key);
      const col = table.columns.get(lookup ? lookup[1] : key);
      if (col && (!lookup || isLookup(col))) {
        const f = formattedValue(env, col, row[col.logicalName] ?? null);
        if (f !== undefined) out[`${key}@${FORMATTED_VALUE}`] = f;
      }
    }
    out[key] = value;
  }
  return out;
}
