/** Evaluate a parsed `$filter` against a stored row. Comparisons with NULL are false except `eq null` / `ne null` (SQL three-valued logic collapsed as Dataverse's query engine does). */
import type { Row } from '../types';
import { comparable, compareKeys } from './compare';
import type { FilterExpr, Literal } from './filter-parser';
import { propertyValue } from './properties';

function literalScalar(l: Literal): string | number | boolean | null {
  return l.kind === 'null' ? null : l.value;
}

export function matches(expr: FilterExpr, row: Row): boolean {
  switch (expr.k) {
    case 'and':
      return matches(expr.left, row) && matches(expr.right, row);
    case 'or':
      return matches(expr.left, row) || matches(expr.right, row);
    case 'not':
      return !matches(expr.expr, row);
    case 'function': {
      const v = propertyValue(row, expr.prop);
      if (v === null) return false;
      const s = String(v).toLowerCase();
      const needle = expr.value.toLowerCase();
      if (expr.fn === 'contains') return s.includes(needle);
      if (expr.fn === 'startswith') return s.startsWith(needle);
      return s.endsWith(needle);
    }
    case 'compare': {
      const col = expr.prop.column;
      const left = comparable(col, propertyValue(row, expr.prop));
      const right = comparable(col, literalScalar(expr.value));
      if (expr.op === 'eq') return compareKeys(left, right) === 0;
      if (expr.op === 'ne') return compareKeys(left, right) !== 0;
      if (left === null || right === null) return false;
      const c = compareKeys(left, right);
      switch (expr.op) {
        case 'gt':
          return c > 0;
        case 'ge':
          return c >= 0;
        case 'lt':
          return c < 0;
        case 'le':
          return c <= 0;
      }
    }
  }
}
