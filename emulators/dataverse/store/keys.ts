/** Alternate-key indexes. String values match case-insensitively (SQL collation as for filters, Learn: webapi/query/filter-rows; [U] for keys). */
import type { KeyDef, TableDef } from '../schema/model';
import type { ColumnValue, Row } from '../types';

export function normalizeKeyPart(v: ColumnValue): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return `s:${v.toLowerCase()}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `n:${String(v)}`;
  if (Array.isArray(v)) return `a:${v.join(',')}`;
  return `l:${v.id.toLowerCase()}`;
}

/** Index string of a row for one key, or undefined when a key column is null (such rows are not indexed). */
export function keyString(key: KeyDef, values: Row): string | undefined {
  const parts: string[] = [];
  for (const c of key.columns) {
    const p = normalizeKeyPart(values[c]);
    if (p === undefined) return undefined;
    parts.push(p);
  }
  return parts.join('\u0000');
}

/** Per table: key name → key string → row ids (a set, because Pending/Failed keys do not enforce uniqueness). */
export class KeyIndex {
  private readonly byKey = new Map<string, Map<string, Set<string>>>();

  constructor(readonly table: TableDef) {
    for (const k of table.keys) this.byKey.set(k.name, new Map());
  }

  add(row: Row, id: string): void {
    for (const k of this.table.keys) {
      const s = keyString(k, row);
      if (s === undefined) continue;
      const m = this.byKey.get(k.name)!;
      let ids = m.get(s);
      if (!ids) m.set(s, (ids = new Set()));
      ids.add(id);
    }
  }

  remove(row: Row, id: string): void {
    for (const k of this.table.keys) {
      const s = keyString(k, row);
      if (s === undefined) continue;
      const ids = this.byKey.get(k.name)!.get(s);
      ids?.delete(id);
      if (ids && ids.size === 0) this.byKey.get(k.name)!.delete(s);
    }
  }

  find(key: KeyDef, values: Row): string | undefined {
    const s = keyString(key, values);
    if (s === undefined) return undefined;
    const ids = this.byKey.get(key.name)?.get(s);
    return ids ? ids.values().next().value : undefined;
  }

  /** The first Active key that `row` would duplicate (another row, not `selfId`). */
  violated(row: Row, selfId: string): KeyDef | undefined {
    for (const k of this.table.keys) {
      if (k.status !== 'Active') continue;
      const s = keyString(k, row);
      if (s === undefined) continue;
      const ids = this.byKey.get(k.name)!.get(s);
      if (ids && [...ids].some((x) => x !== selfId)) return k;
    }
    return undefined;
  }

  /** True when some key value is shared by several rows (activating that key would fail, Learn: define-alternate-keys-entity). */
  hasDuplicates(key: KeyDef): boolean {
    for (const ids of this.byKey.get(key.name)!.values()) if (ids.size > 1) return true;
    return false;
  }
}
