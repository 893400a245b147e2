/** Collection functions over strings, arrays and objects. */
import { FunctionFailure } from '../errors';
import {
  copyObject,
  isNumber,
  isObject,
  newObject,
  numericCompare,
  setOwn,
  getOwn,
  typeOf,
  toDisplayString,
  valuesEqual,
  type JsonObject,
  type Value,
} from '../values';
import { arr, int, str, typeError } from './args';
import { fn, type FunctionContext, type FunctionTable } from './types';

function count(name: string, args: Value[], i: number): number {
  const n = int(name, args, i);
  if (n < 0) throw new FunctionFailure(`The function '${name}' expects a count of 0 or more, got ${n}.`);
  return n;
}

function dedupe(items: Value[], ctx: FunctionContext): Value[] {
  const out: Value[] = [];
  for (const item of items) {
    ctx.budget.step(out.length + 1);
    if (!out.some((x) => valuesEqual(x, item))) out.push(item);
  }
  return out;
}

function setOperation(args: Value[], ctx: FunctionContext, mode: 'union' | 'intersection'): Value {
  if (args.every(Array.isArray)) {
    const arrays = args as Value[][];
    if (mode === 'union') return ctx.budget.collection(dedupe(arrays.flat(), ctx));
    const [first, ...rest] = arrays;
    return dedupe(
      first.filter((item) =>
        rest.every((other) => {
          ctx.budget.step(other.length);
          return other.some((x) => valuesEqual(x, item));
        }),
      ),
      ctx,
    );
  }
  if (args.every(isObject)) {
    const objects = args as JsonObject[];
    const out = newObject();
    if (mode === 'union') {
      // Later collections win for the same property name.
      for (const o of objects) for (const k of Object.keys(o)) setOwn(out, k, o[k]);
      return out;
    }
    for (const k of Object.keys(objects[0])) {
      const values = objects.map((o) => getOwn(o, k));
      if (values.every((v) => v !== undefined && valuesEqual(v, values[0]!))) setOwn(out, k, values[values.length - 1]!);
    }
    return out;
  }
  const bad = args.findIndex((a) => !Array.isArray(a) && !isObject(a));
  if (bad >= 0) throw typeError(ctx.name, bad, 'an array or an object', args[bad]);
  throw new FunctionFailure(`The function '${ctx.name}' expects all collections to be arrays or all to be objects, not a mix.`);
}

function sortKey(v: Value, by: string | undefined, name: string): Value {
  if (by === undefined) return v;
  if (!isObject(v)) throw new FunctionFailure(`The function '${name}' can only sort objects by a property; found a value of type '${typeOf(v)}'.`);
  return getOwn(v, by) ?? null;
}

function compareForSort(a: Value, b: Value, name: string): number {
  if (isNumber(a) && isNumber(b)) return numericCompare(a, b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a === null && b === null) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  throw new FunctionFailure(`The function '${name}' can only sort numbers, strings or booleans of one type; found '${typeOf(a)}' and '${typeOf(b)}'.`);
}

export const collectionFunctions: FunctionTable = {
  contains: fn('contains', 2, 2, ([collection, value], ctx) => {
    if (typeof collection === 'string') return collection.includes(toDisplayString(value));
    if (Array.isArray(collection)) {
      ctx.budget.step(collection.length);
      return collection.some((x) => valuesEqual(x, value));
    }
    if (isObject(collection)) return Object.prototype.hasOwnProperty.call(collection, toDisplayString(value));
    throw typeError(ctx.name, 0, 'a string, an array or an object', collection);
  }),
  empty: fn('empty', 1, 1, ([v], ctx) => {
    if (v === null) return true;
    if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
    if (isObject(v)) return Object.keys(v).length === 0;
    throw typeError(ctx.name, 0, 'a string, an array or an object', v);
  }),
  first: fn('first', 1, 1, ([v], ctx) => {
    if (typeof v === 'string') return v.length > 0 ? v[0] : '';
    if (Array.isArray(v)) return v.length > 0 ? v[0] : null;
    throw typeError(ctx.name, 0, 'a string or an array', v);
  }),
  last: fn('last', 1, 1, ([v], ctx) => {
    if (typeof v === 'string') return v.length > 0 ? v[v.length - 1] : '';
    if (Array.isArray(v)) return v.length > 0 ? v[v.length - 1] : null;
    throw typeError(ctx.name, 0, 'a string or an array', v);
  }),
  length: fn('length', 1, 1, ([v], ctx) => {
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    throw typeError(ctx.name, 0, 'a string or an array', v);
  }),
  skip: fn('skip', 2, 2, (args, ctx) => {
    const v = args[0];
    const n = count(ctx.name, args, 1);
    if (typeof v === 'string') return v.slice(n);
    if (Array.isArray(v)) return ctx.budget.collection(v.slice(n));
    throw typeError(ctx.name, 0, 'a string or an array', v);
  }),
  take: fn('take', 2, 2, (args, ctx) => {
    const v = args[0];
    const n = count(ctx.name, args, 1);
    if (typeof v === 'string') return v.slice(0, n);
    if (Array.isArray(v)) return ctx.budget.collection(v.slice(0, n));
    throw typeError(ctx.name, 0, 'a string or an array', v);
  }),
  join: fn('join', 2, 2, (args, ctx) => {
    const items = arr(ctx.name, args, 0);
    const delimiter = str(ctx.name, args, 1);
    ctx.budget.step(items.length);
    let total = 0;
    const parts = items.map((x) => {
      const s = toDisplayString(x);
      total += s.length + delimiter.length;
      ctx.budget.size(total, 'string');
      return s;
    });
    return parts.join(delimiter);
  }),
  union: fn('union', 1, Infinity, (args, ctx) => setOperation(args, ctx, 'union')),
  intersection: fn('intersection', 1, Infinity, (args, ctx) => setOperation(args, ctx, 'intersection')),
  reverse: fn('reverse', 1, 1, (args, ctx) => ctx.budget.collection([...arr(ctx.name, args, 0)].reverse())),
  sort: fn('sort', 1, 2, (args, ctx) => {
    const items = arr(ctx.name, args, 0);
    const by = args.length > 1 && args[1] !== null ? str(ctx.name, args, 1) : undefined;
    ctx.budget.step(items.length * Math.max(1, Math.ceil(Math.log2(items.length + 1))));
    const keyed = items.map((v) => ({ v, k: sortKey(v, by, ctx.name) }));
    keyed.sort((a, b) => compareForSort(a.k, b.k, ctx.name));
    return keyed.map((x) => x.v);
  }),
  chunk: fn('chunk', 2, 2, (args, ctx) => {
    const v = args[0];
    const size = int(ctx.name, args, 1);
    if (size <= 0) throw new FunctionFailure(`The function 'chunk' expects a chunk length greater than 0, got ${size}.`);
    if (typeof v !== 'string' && !Array.isArray(v)) throw typeError(ctx.name, 0, 'a string or an array', v);
    const out: Value[] = [];
    for (let i = 0; i < v.length; i += size) {
      ctx.budget.step();
      out.push(v.slice(i, i + size) as Value);
    }
    return ctx.budget.collection(out);
  }),
};

export { copyObject };
