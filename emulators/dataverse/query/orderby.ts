/**
 * `$orderby` (several keys, asc/desc) plus the primary id as the final tie-breaker, so every
 * ordering is total and the paging cookie can resume exactly after the last row of a page.
 */
import type { TableDef } from '../schema/model';
import type { Row } from '../types';
import { comparable, compareKeys } from './compare';
import { querySyntaxError } from './filter-lexer';
import { mustResolve, resolveProperty, type PropertyRef } from './properties';

export interface SortKey {
  prop: PropertyRef;
  descending: boolean;
}

export function parseOrderBy(text: string | null, table: TableDef): SortKey[] {
  const keys: SortKey[] = [];
  if (text !== null) {
    if (text.trim() === '') throw querySyntaxError('$orderby', text, 0, 'the expression is empty');
    let offset = 0;
    for (const part of text.split(',')) {
      const words = part.trim().split(/\s+/);
      const at = offset + part.indexOf(words[0] ?? '');
      offset += part.length + 1;
      if (!words[0]) throw querySyntaxError('$orderby', text, at, 'expected a property name');
      const prop = mustResolve(table, words[0]);
      const dir = words[1]?.toLowerCase() ?? 'asc';
      if ((dir !== 'asc' && dir !== 'desc') || words.length > 2) {
        throw querySyntaxError('$orderby', text, at, `'${part.trim()}' must be a property name optionally followed by asc or desc`);
      }
      keys.push({ prop, descending: dir === 'desc' });
    }
  }
  if (!keys.some((k) => k.prop.column.logicalName === table.primaryId)) {
    keys.push({ prop: resolveProperty(table, table.primaryId)!, descending: false });
  }
  return keys;
}

export type SortTuple = Array<string | number | null>;

export function sortTuple(keys: SortKey[], row: Row, value: (row: Row, p: PropertyRef) => unknown): SortTuple {
  return keys.map((k) => comparable(k.prop.column, value(row, k.prop) as never));
}

/** Compare two tuples under the keys' directions. */
export function compareTuples(keys: SortKey[], a: SortTuple, b: SortTuple): number {
  for (let i = 0; i < keys.length; i++) {
    const c = compareKeys(a[i], b[i]);
    if (c !== 0) return keys[i].descending ? -c : c;
  }
  return 0;
}
