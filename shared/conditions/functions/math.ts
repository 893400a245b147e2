/** Math functions. Integer arithmetic stays integer (64-bit, overflow is an error); any float makes the result a float. */
import { FunctionFailure } from '../errors';
import { checkInt64, isFloat, isInteger, isNumber, makeFloat, makeInteger, numericCompare, asDouble, type Value } from '../values';
import { int, num, typeError } from './args';
import { decimalArithmetic, isDecimalOperation } from './decimal';
import { fn, type FunctionTable } from './types';

type Op = 'add' | 'sub' | 'mul' | 'div' | 'mod';

function arithmetic(op: Op, args: Value[], name: string): Value {
  const a = num(name, args, 0);
  const b = num(name, args, 1);
  if (isInteger(a) && isInteger(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    if ((op === 'div' || op === 'mod') && y === 0n) throw new FunctionFailure(`The function '${name}' cannot divide by zero.`);
    const r = op === 'add' ? x + y : op === 'sub' ? x - y : op === 'mul' ? x * y : op === 'div' ? x / y : x % y;
    return makeInteger(checkInt64(r, name));
  }
  if (isDecimalOperation(a, b)) return decimalArithmetic(op, a, b, name);
  const x = asDouble(a);
  const y = asDouble(b);
  if ((op === 'div' || op === 'mod') && y === 0) throw new FunctionFailure(`The function '${name}' cannot divide by zero.`);
  const r = op === 'add' ? x + y : op === 'sub' ? x - y : op === 'mul' ? x * y : op === 'div' ? x / y : x % y;
  if (!Number.isFinite(r)) throw new FunctionFailure(`The function '${name}' produced a result outside the range of a float.`);
  return makeFloat(r);
}

function extreme(args: Value[], name: string, pick: (c: number) => boolean): Value {
  const items = args.length === 1 && Array.isArray(args[0]) ? (args[0] as Value[]) : args;
  if (items.length === 0) throw new FunctionFailure(`The function '${name}' needs at least one number.`);
  let best: Value = null;
  items.forEach((v, i) => {
    if (!isNumber(v)) throw typeError(name, args.length === 1 && Array.isArray(args[0]) ? 0 : i, 'an integer or a float (or an array of them)', v);
    if (best === null || pick(numericCompare(v, best as number))) best = v;
  });
  return best;
}

export const mathFunctions: FunctionTable = {
  add: fn('add', 2, 2, (args, ctx) => arithmetic('add', args, ctx.name)),
  sub: fn('sub', 2, 2, (args, ctx) => arithmetic('sub', args, ctx.name)),
  mul: fn('mul', 2, 2, (args, ctx) => arithmetic('mul', args, ctx.name)),
  div: fn('div', 2, 2, (args, ctx) => arithmetic('div', args, ctx.name)),
  mod: fn('mod', 2, 2, (args, ctx) => arithmetic('mod', args, ctx.name)),
  max: fn('max', 1, Infinity, (args, ctx) => extreme(args, ctx.name, (c) => c > 0)),
  min: fn('min', 1, Infinity, (args, ctx) => extreme(args, ctx.name, (c) => c < 0)),
  range: fn('range', 2, 2, (args, ctx) => {
    const start = int(ctx.name, args, 0);
    const count = int(ctx.name, args, 1);
    if (count < 0 || count > 100_000) throw new FunctionFailure(`The function 'range' expects a count between 0 and 100000, got ${count}.`);
    if (start + count > 2_147_483_647) throw new FunctionFailure("The function 'range': start index plus count must not exceed 2147483647.");
    ctx.budget.size(count, 'collection');
    ctx.budget.step(count);
    return Array.from({ length: count }, (_, i) => start + i);
  }),
  rand: fn('rand', 2, 2, (args, ctx) => {
    const min = int(ctx.name, args, 0);
    const max = int(ctx.name, args, 1);
    if (min >= max) throw new FunctionFailure(`The function 'rand' expects the minimum (${min}) to be less than the maximum (${max}).`);
    const random = ctx.scope.random ?? Math.random;
    return min + Math.floor(random() * (max - min));
  }),
};

export { isFloat };
