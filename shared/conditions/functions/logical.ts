/** Logical comparison functions: and, or, not, equals, greater(OrEquals), less(OrEquals), if. */
import { FunctionFailure } from '../errors';
import { isNumber, numericCompare, typeOf, valuesEqual, type Value } from '../values';
import { ordinal } from './args';
import { fn, type FunctionTable } from './types';

function booleans(name: string, args: Value[]): boolean[] {
  return args.map((v, i) => {
    if (typeof v !== 'boolean') {
      throw new FunctionFailure(`The function '${name}' expects its ${ordinal(i)} parameter to be a boolean. The provided value is of type '${typeOf(v)}'.`);
    }
    return v;
  });
}

/** Logical functions treat null as '' when it meets a string (documented in the reference's note). */
function normalizeNull(a: Value, b: Value): [Value, Value] {
  if (a === null && typeof b === 'string') return ['', b];
  if (b === null && typeof a === 'string') return [a, ''];
  return [a, b];
}

function compare(name: string, a: Value, b: Value): number {
  [a, b] = normalizeNull(a, b);
  if (isNumber(a) && isNumber(b)) return numericCompare(a, b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new FunctionFailure(
    `The function '${name}' expects two integers, two floats or two strings to compare, but got values of type '${typeOf(a)}' and '${typeOf(b)}'.`,
  );
}

export const logicalFunctions: FunctionTable = {
  and: fn('and', 1, Infinity, (args, ctx) => booleans(ctx.name, args).every(Boolean)),
  or: fn('or', 1, Infinity, (args, ctx) => booleans(ctx.name, args).some(Boolean)),
  not: fn('not', 1, 1, (args, ctx) => !booleans(ctx.name, args)[0]),
  equals: fn('equals', 2, 2, ([a, b]) => {
    const [x, y] = normalizeNull(a, b);
    return valuesEqual(x, y);
  }),
  greater: fn('greater', 2, 2, ([a, b], ctx) => compare(ctx.name, a, b) > 0),
  greaterorequals: fn('greaterOrEquals', 2, 2, ([a, b], ctx) => compare(ctx.name, a, b) >= 0),
  less: fn('less', 2, 2, ([a, b], ctx) => compare(ctx.name, a, b) < 0),
  lessorequals: fn('lessOrEquals', 2, 2, ([a, b], ctx) => compare(ctx.name, a, b) <= 0),
  if: {
    name: 'if',
    minArgs: 3,
    maxArgs: 3,
    // Only the chosen branch is evaluated, so `if(empty(x), null, first(x))` is safe.
    lazy: ([cond, whenTrue, whenFalse], ctx) => {
      const c = cond();
      if (typeof c !== 'boolean') {
        throw new FunctionFailure(`The function '${ctx.name}' expects its first parameter to be a boolean. The provided value is of type '${typeOf(c)}'.`);
      }
      return c ? whenTrue() : whenFalse();
    },
  },
};
