/**
 * `$filter` → typed expression tree, with every property resolved against the table so an unknown
 * name fails with Dataverse's "Could not find a property named…" before any row is read.
 */
import { DvError } from '../errors';
import type { TableDef } from '../schema/model';
import { querySyntaxError, tokenize, type Token } from './filter-lexer';
import { mustResolve, type PropertyRef } from './properties';

export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'guid'; value: string }
  | { kind: 'datetime'; value: string };

export type ComparisonOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type StringFunction = 'contains' | 'startswith' | 'endswith';

export type FilterExpr =
  | { k: 'and' | 'or'; left: FilterExpr; right: FilterExpr }
  | { k: 'not'; expr: FilterExpr }
  | { k: 'compare'; op: ComparisonOp; prop: PropertyRef; value: Literal }
  | { k: 'function'; fn: StringFunction; prop: PropertyRef; value: string };

const COMPARISONS = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const FUNCTIONS = new Set<string>(['contains', 'startswith', 'endswith']);
/** `literal op property` is the same test as `property mirrored-op literal`. */
const MIRROR: Record<ComparisonOp, ComparisonOp> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };
const EDM: Record<string, string> = {
  string: 'Edm.String',
  memo: 'Edm.String',
  int: 'Edm.Int32',
  bigint: 'Edm.Int64',
  decimal: 'Edm.Decimal',
  double: 'Edm.Double',
  money: 'Edm.Decimal',
  bool: 'Edm.Boolean',
  datetime: 'Edm.DateTimeOffset',
  uniqueidentifier: 'Edm.Guid',
  choice: 'Edm.Int32',
  multichoice: 'Edm.String',
  lookup: 'Edm.Guid',
  customer: 'Edm.Guid',
  owner: 'Edm.Guid',
};
const LITERAL_EDM: Record<Literal['kind'], string> = {
  string: 'Edm.String',
  number: 'Edm.Int32',
  boolean: 'Edm.Boolean',
  null: 'null',
  guid: 'Edm.Guid',
  datetime: 'Edm.DateTimeOffset',
};

export function parseFilter(text: string, table: TableDef): FilterExpr {
  const tokens = tokenize(text);
  let i = 0;
  const fail = (detail: string, at = tokens[i]?.pos ?? text.length): never => {
    throw querySyntaxError('$filter', text, at, detail);
  };
  const peekWord = (): string | undefined => (tokens[i]?.t === 'ident' ? (tokens[i] as { v: string }).v : undefined);
  const expect = (t: Token['t'], what: string): Token => {
    if (tokens[i]?.t !== t) fail(`expected ${what}`);
    return tokens[i++];
  };

  const literal = (): Literal | undefined => {
    const tok = tokens[i];
    if (!tok) return undefined;
    switch (tok.t) {
      case 'string':
        i++;
        return { kind: 'string', value: tok.v };
      case 'number':
        i++;
        return { kind: 'number', value: tok.v };
      case 'guid':
        i++;
        return { kind: 'guid', value: tok.v };
      case 'datetime':
        i++;
        return { kind: 'datetime', value: tok.v };
      case 'ident':
        if (tok.v === 'null') {
          i++;
          return { kind: 'null' };
        }
        if (tok.v === 'true' || tok.v === 'false') {
          i++;
          return { kind: 'boolean', value: tok.v === 'true' };
        }
        return undefined;
      default:
        return undefined;
    }
  };

  const property = (): PropertyRef => {
    const tok = tokens[i];
    if (tok?.t !== 'ident') return fail('expected a property name');
    i++;
    return mustResolve(table, (tok as { v: string }).v);
  };

  const comparison = (): FilterExpr => {
    const leftLit = literal();
    const left = leftLit ? undefined : property();
    const opTok = tokens[i];
    const op = peekWord();
    if (!op || !COMPARISONS.has(op)) return fail(`expected a comparison operator (eq, ne, gt, ge, lt, le)${op ? ` but found '${op}'` : ''}`);
    i++;
    if (left) {
      const value = literal() ?? fail('expected a literal value (a quoted string, number, GUID, date, true, false or null)');
      return typed({ k: 'compare', op: op as ComparisonOp, prop: left, value }, text, opTok.pos);
    }
    const prop = property();
    return typed({ k: 'compare', op: MIRROR[op as ComparisonOp], prop, value: leftLit! }, text, opTok.pos);
  };

  const primary = (): FilterExpr => {
    if (tokens[i]?.t === '(') {
      i++;
      const e = or();
      expect(')', "')'");
      return e;
    }
    const word = peekWord();
    if (word && tokens[i + 1]?.t === '(') {
      if (!FUNCTIONS.has(word)) fail(`unknown function '${word}'; supported: contains, startswith, endswith`);
      i += 2;
      const prop = property();
      expect(',', "','");
      const tok = tokens[i];
      const value = literal();
      if (value?.kind !== 'string') fail(`${word} needs a quoted string as its second argument`, tok?.pos);
      expect(')', "')'");
      if (prop.column.type !== 'string' && prop.column.type !== 'memo') {
        throw incompatible(EDM[prop.column.type], 'Edm.String', word);
      }
      return { k: 'function', fn: word as StringFunction, prop, value: (value as { value: string }).value };
    }
    return comparison();
  };

  const unary = (): FilterExpr => {
    if (peekWord() === 'not') {
      i++;
      return { k: 'not', expr: unary() };
    }
    return primary();
  };
  const and = (): FilterExpr => {
    let left = unary();
    while (peekWord() === 'and') {
      i++;
      left = { k: 'and', left, right: unary() };
    }
    return left;
  };
  function or(): FilterExpr {
    let left = and();
    while (peekWord() === 'or') {
      i++;
      left = { k: 'or', left, right: and() };
    }
    return left;
  }

  if (tokens.length === 0) fail('the expression is empty');
  const expr = or();
  if (i < tokens.length) fail('unexpected text after the end of the expression');
  return expr;
}

function incompatible(left: string, right: string, op: string): DvError {
  return new DvError(
    400,
    '0x80060888',
    `A binary operator with incompatible types was detected. Found operand types '${left}' and '${right}' for operator kind '${op}'.`,
  );
}

/** Check that the literal fits the column (OData is typed: `name eq 5` is an error, not a false). */
function typed(expr: Extract<FilterExpr, { k: 'compare' }>, text: string, pos: number): FilterExpr {
  const { prop, value, op } = expr;
  if (value.kind === 'null') {
    if (op !== 'eq' && op !== 'ne') throw querySyntaxError('$filter', text, pos, `null can only be compared with eq or ne`);
    return expr;
  }
  const type = prop.column.type;
  const ok =
    ((type === 'string' || type === 'memo') && value.kind === 'string') ||
    (['int', 'bigint', 'decimal', 'double', 'money', 'choice'].includes(type) && value.kind === 'number') ||
    (type === 'bool' && value.kind === 'boolean') ||
    (type === 'datetime' && value.kind === 'datetime') ||
    ((type === 'uniqueidentifier' || prop.lookup) && value.kind === 'guid');
  if (!ok) throw incompatible(EDM[type] ?? type, LITERAL_EDM[value.kind], opName(op));
  return expr;
}

function opName(op: ComparisonOp): string {
  return { eq: 'Equal', ne: 'NotEqual', gt: 'GreaterThan', ge: 'GreaterThanOrEqual', lt: 'LessThan', le: 'LessThanOrEqual' }[op];
}
