/**
 * Record addressing: GUID or alternate key segments for URLs and `@odata.bind` values (Learn: use-alternate-key-reference-record).
 * - strings are OData literals: quoted, a single quote doubled (`'O''Brien'`), then percent-encoded;
 * - numbers unquoted; GUIDs unquoted (a primary id, a lookup `_x_value` key column, or `{ guid }`);
 * - values containing `/ < > * % & : \ ? +` cannot address a row (Dataverse documents that GET,
 *   PATCH and upsert by such a key do not work), so they are refused with an error naming the column.
 */
import { DataverseError } from './errors';

export type KeyValue = string | number | bigint | Date | { guid: string };
/** A primary id (GUID text) or alternate-key columns → values. */
export type RecordKey = string | Readonly<Record<string, KeyValue>>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FORBIDDEN = /[/<>*%&:\\?+]/;
const COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LOOKUP_PROPERTY = /^_[A-Za-z0-9_]+_value$/;

export function isGuid(text: string): boolean {
  return GUID.test(text);
}

function keyError(message: string): DataverseError {
  return new DataverseError({ kind: 'validation', message });
}

function formatValue(column: string, value: KeyValue): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw keyError(`Key column '${column}' has the non-finite number ${value}; key values must be finite numbers or text.`);
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw keyError(`Key column '${column}' has an invalid Date.`);
    return value.toISOString();
  }
  if (typeof value === 'object' && value !== null && typeof (value as { guid?: unknown }).guid === 'string') {
    const guid = (value as { guid: string }).guid;
    if (!isGuid(guid)) throw keyError(`Key column '${column}' is marked as a GUID but '${guid}' is not one (expected 8-4-4-4-12 hex digits).`);
    return guid.toLowerCase();
  }
  if (typeof value !== 'string') {
    throw keyError(`Key column '${column}' has a ${value === null ? 'null' : typeof value} value; key values must be text, numbers, dates or { guid }.`);
  }
  if (value === '') throw keyError(`Key column '${column}' is empty; a row cannot be addressed by an empty key value.`);
  if (LOOKUP_PROPERTY.test(column) && isGuid(value)) return value.toLowerCase();
  const bad = FORBIDDEN.exec(value);
  if (bad) {
    throw keyError(
      `Key column '${column}' value ${JSON.stringify(value)} contains '${bad[0]}'. Dataverse cannot address rows by key values containing / < > * % & : \\ ? + ` +
        '(GET, PATCH and upsert by such a key fail although uniqueness is still enforced). Use a different alternate key whose values never contain these characters.',
    );
  }
  // encodeURIComponent leaves ' alone, so the doubled quotes stay literal as OData expects.
  return `'${encodeURIComponent(value.replace(/'/g, "''"))}'`;
}

/** The text between the parentheses: `00000000-…` or `accountnumber='A%201',x=2`. */
export function formatKey(key: RecordKey): string {
  if (typeof key === 'string') {
    if (!isGuid(key)) {
      throw keyError(`'${key}' is not a GUID. Pass a primary id as a GUID string, or an alternate key as an object such as { accountnumber: 'A-1' }.`);
    }
    return key.toLowerCase();
  }
  const entries = Object.entries(key);
  if (entries.length === 0) throw keyError('The alternate key has no columns; give at least one column and value.');
  return entries
    .map(([column, value]) => {
      if (!COLUMN.test(column)) throw keyError(`'${column}' is not a column logical name (letters, digits and _).`);
      return `${column}=${formatValue(column, value)}`;
    })
    .join(',');
}

/** `accounts(accountnumber='A-1')`: the relative URL of one row (also the `@odata.id` form of bulk messages). */
export function recordPath(entitySet: string, key: RecordKey): string {
  if (!COLUMN.test(entitySet)) throw keyError(`'${entitySet}' is not an entity set name (e.g. "accounts").`);
  return `${entitySet}(${formatKey(key)})`;
}

/** The value of `<navigationProperty>@odata.bind`: `/accounts(accountnumber='A-1')`. */
export function bindValue(entitySet: string, key: RecordKey): string {
  return `/${recordPath(entitySet, key)}`;
}
