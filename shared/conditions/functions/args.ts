/** Argument checks shared by the function families; messages follow the engine's wording. */
import { FunctionFailure } from '../errors';
import { BinaryValue, type FloatValue, isInteger, isNumber, isObject, asDouble, typeOf, type JsonObject, type Value } from '../values';

const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth'];
export function ordinal(i: number): string {
  return ORDINALS[i] ?? `#${i + 1}`;
}

export function typeError(fn: string, index: number, expected: string, v: Value): FunctionFailure {
  return new FunctionFailure(`The function '${fn}' expects its ${ordinal(index)} parameter to be ${expected}. The provided value is of type '${typeOf(v)}'.`);
}

export function str(fn: string, args: Value[], i: number): string {
  const v = args[i];
  if (typeof v !== 'string') throw typeError(fn, i, 'a string', v);
  return v;
}

export function optStr(fn: string, args: Value[], i: number): string | undefined {
  return args.length > i && args[i] !== null ? str(fn, args, i) : undefined;
}

/** An integer argument as a JS number (must be within the safe range). */
export function int(fn: string, args: Value[], i: number): number {
  const v = args[i];
  if (!isInteger(v)) throw typeError(fn, i, 'an integer', v);
  const n = Number(v);
  if (!Number.isSafeInteger(n))
    throw new FunctionFailure(`The function '${fn}' got the integer ${String(v)} as its ${ordinal(i)} parameter, which is out of range.`);
  return n;
}

export function num(fn: string, args: Value[], i: number): number | bigint | FloatValue {
  const v = args[i];
  if (!isNumber(v)) throw typeError(fn, i, 'an integer or a float', v);
  return v;
}

export function dbl(fn: string, args: Value[], i: number): number {
  return asDouble(num(fn, args, i));
}

export function bool(fn: string, args: Value[], i: number): boolean {
  const v = args[i];
  if (typeof v !== 'boolean') throw typeError(fn, i, 'a boolean', v);
  return v;
}

export function arr(fn: string, args: Value[], i: number): Value[] {
  const v = args[i];
  if (!Array.isArray(v)) throw typeError(fn, i, 'an array', v);
  return v;
}

export function obj(fn: string, args: Value[], i: number): JsonObject {
  const v = args[i];
  if (!isObject(v)) throw typeError(fn, i, 'an object', v);
  return v;
}

export function binaryOrString(fn: string, args: Value[], i: number): Buffer {
  const v = args[i];
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v instanceof BinaryValue) return v.bytes;
  throw typeError(fn, i, 'a string', v);
}

export function fail(message: string): never {
  throw new FunctionFailure(message);
}
