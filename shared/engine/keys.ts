/**
 * Alternate-key text as the Web API writes it: `col='text'` (single quotes doubled), numbers bare,
 * composite keys comma-separated without spaces in the route's key order. Used as the row identity
 * in the ledger and in `@odata.bind` URLs.
 */
import type { KeyValue } from './sink';

export function formatKeyValue(v: KeyValue): string {
  return typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`;
}

export function formatKey(key: Record<string, KeyValue>): string {
  return Object.entries(key)
    .map(([column, value]) => `${column}=${formatKeyValue(value)}`)
    .join(',');
}

/** `/<entityset>(<key>)` for `<navprop>@odata.bind`. */
export function bindUrl(entitySet: string, key: Record<string, KeyValue>): string {
  return `/${entitySet}(${formatKey(key)})`;
}

/** Characters that break key addressing in Dataverse URLs (documented): such values can never be written by key. */
export const UNADDRESSABLE_KEY_CHARS = /[/<>*%&:\\?+]/;
