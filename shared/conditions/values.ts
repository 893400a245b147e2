/**
 * The value model. Expression values are JSON values with two additions the workflow engine has
 * and JSON lacks: integers and floats are different types, and binary content exists.
 *
 * - An integer is a JS `number` holding an integral value, or a `bigint` when it does not fit in 2^53.
 * - A float is a JS `number` holding a non-integral value, or a `FloatValue` box for an integral
 *   float (the result of `mul(1.5, 2)` or the literal `2.0`), so `div(2.0, 4)` stays 0.5.
 * - Binary content is a `BinaryValue` (what base64ToBinary, dataUriToBinary, ... return).
 */
import { FunctionFailure, LimitFailure } from './errors';
import type { ExpressionLimits } from './limits';

export class FloatValue {
  constructor(readonly value: number) {}
  toJSON(): number {
    return this.value;
  }
}

/**
 * A .NET `decimal` (what decimal() returns): exact coefficient × 10^-scale. It is a float to every
 * function that reads doubles; string() and decimal arithmetic keep the exact digits, while the
 * JSON form is the nearest double, as the reference documents (1.2345678912312131 prints 1.234567891231213).
 */
export class DecimalValue extends FloatValue {
  constructor(
    readonly coefficient: bigint,
    readonly scale: number,
  ) {
    super(Number(decimalText(coefficient, scale)));
  }
  override toString(): string {
    return decimalText(this.coefficient, this.scale);
  }
}

function decimalText(coefficient: bigint, scale: number): string {
  const digits = (coefficient < 0n ? -coefficient : coefficient).toString().padStart(scale + 1, '0');
  const body = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return coefficient < 0n ? `-${body}` : body;
}

/** Content types whose bytes the engine shows as text rather than base64. */
const TEXT_CONTENT = /^(text\/|application\/(?:[\w.+-]*\+)?(?:xml|json)\b)/i;

export class BinaryValue {
  constructor(
    readonly bytes: Buffer,
    readonly contentType = 'application/octet-stream',
  ) {}
  /**
   * How a binary result reads as JSON: text content (text/*, XML, JSON) as its text, anything else as
   * its base64 `$content` — the reference documents decodeDataUri(…text/plain…) → "hello" and
   * uriComponentToBinary('https%3A%2F%2Fcontoso.com') → "aHR0cHM6Ly9jb250b3NvLmNvbQ==".
   */
  toJSON(): string {
    return TEXT_CONTENT.test(this.contentType) ? this.bytes.toString('utf8') : this.bytes.toString('base64');
  }
}

export type JsonObject = { [key: string]: Value };
export type Value = null | boolean | string | number | bigint | FloatValue | BinaryValue | Value[] | JsonObject;

export type TypeName = 'Null' | 'Boolean' | 'Integer' | 'Float' | 'String' | 'Array' | 'Object' | 'Binary';

export function typeOf(v: unknown): TypeName {
  if (v === null || v === undefined) return 'Null';
  switch (typeof v) {
    case 'boolean':
      return 'Boolean';
    case 'string':
      return 'String';
    case 'bigint':
      return 'Integer';
    case 'number':
      return Number.isInteger(v) ? 'Integer' : 'Float';
  }
  if (v instanceof FloatValue) return 'Float';
  if (v instanceof BinaryValue) return 'Binary';
  if (Array.isArray(v)) return 'Array';
  return 'Object';
}

export function isNumber(v: unknown): v is number | bigint | FloatValue {
  return typeof v === 'number' || typeof v === 'bigint' || v instanceof FloatValue;
}
export function isInteger(v: unknown): v is number | bigint {
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
}
export function isFloat(v: unknown): boolean {
  return v instanceof FloatValue || (typeof v === 'number' && !Number.isInteger(v));
}
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof FloatValue) && !(v instanceof BinaryValue);
}

/** Numeric value as a JS double (bigint loses precision past 2^53, which is acceptable for floats). */
export function asDouble(v: number | bigint | FloatValue): number {
  if (v instanceof FloatValue) return v.value;
  return typeof v === 'bigint' ? Number(v) : v;
}

/** Make a float result: integral doubles get boxed so they stay floats. */
export function makeFloat(n: number): number | FloatValue {
  return Number.isInteger(n) ? new FloatValue(n) : n;
}

/** Make an integer result, using bigint only when the value is outside the safe range. */
export function makeInteger(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
export function checkInt64(n: bigint, what: string): bigint {
  if (n < INT64_MIN || n > INT64_MAX) throw new FunctionFailure(`${what}: the result ${n} does not fit in a 64-bit integer.`);
  return n;
}

/** Own-property lookup only: never walks the prototype chain, so `__proto__`/`constructor` are plain keys. */
export function getOwn(obj: JsonObject, key: string): Value | undefined {
  if (Object.prototype.hasOwnProperty.call(obj, key)) return obj[key];
  // The workflow engine matches property names case-insensitively.
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) {
    if (k.toLowerCase() === lower) return obj[k];
  }
  return undefined;
}

/** Create a plain data object without a prototype so any key (even `__proto__`) is an own data property. */
export function newObject(): JsonObject {
  return Object.create(null) as JsonObject;
}
export function setOwn(obj: JsonObject, key: string, value: Value): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
export function copyObject(obj: JsonObject): JsonObject {
  const out = newObject();
  for (const k of Object.keys(obj)) setOwn(out, k, obj[k]);
  return out;
}

/** Convert untrusted JS input (JSON.parse output) into engine values: reject functions, dates etc. */
export function fromJson(input: unknown, depth = 0): Value {
  if (depth > 512) throw new FunctionFailure('Input data is nested more than 512 levels deep.');
  if (input === null || input === undefined) return null;
  switch (typeof input) {
    case 'boolean':
    case 'string':
    case 'bigint':
      return input;
    case 'number':
      return Number.isFinite(input) ? input : null;
    case 'object': {
      if (input instanceof FloatValue || input instanceof BinaryValue) return input;
      if (Array.isArray(input)) return input.map((x) => fromJson(x, depth + 1));
      const out = newObject();
      for (const k of Object.keys(input)) setOwn(out, k, fromJson((input as Record<string, unknown>)[k], depth + 1));
      return out;
    }
    default:
      return null;
  }
}

/** .NET `double.ToString()` (invariant culture, shortest round-trip): exponent form below 1E-05 and from 1E+15. */
export function formatDouble(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '∞';
  if (n === -Infinity) return '-∞';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa, expPart] = n.toExponential().split('e');
  const exp = Number(expPart);
  if (exp >= 15 || exp < -5) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}E${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const s = String(n);
  return s.includes('e') ? Number(n).toFixed(20).replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** JSON text of a value with the engine's conventions (compact, binary as a content envelope). */
export function toJsonText(v: Value, pretty = false): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? { __bigint: x.toString() } : x), pretty ? 2 : undefined).replace(
    /\{"__bigint":"(-?\d+)"\}/g,
    '$1',
  );
}

/**
 * The engine's string conversion, used by string(), concat(), join() and `@{...}`:
 * null → '', booleans → 'True'/'False' (.NET), floats in .NET format, objects/arrays as compact JSON.
 */
export function toDisplayString(v: Value): string {
  if (v === null || v === undefined) return '';
  switch (typeof v) {
    case 'string':
      return v;
    case 'boolean':
      return v ? 'True' : 'False';
    case 'bigint':
      return v.toString();
    case 'number':
      return Number.isInteger(v) ? String(v) : formatDouble(v);
  }
  if (v instanceof DecimalValue) return v.toString();
  if (v instanceof FloatValue) return formatDouble(v.value);
  if (v instanceof BinaryValue) return v.bytes.toString('utf8');
  return toJsonText(v);
}

/** Deep equality as the engine's equals() sees it: numbers by value across int/float, true ≡ 1, false ≡ 0. */
export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a === null || b === null) return a === b;
  if (isNumber(a) && isNumber(b)) return numericCompare(a, b) === 0;
  if (typeof a === 'boolean' && isNumber(b)) return numericCompare(a ? 1 : 0, b) === 0;
  if (typeof b === 'boolean' && isNumber(a)) return numericCompare(a, b ? 1 : 0) === 0;
  if (typeof a !== typeof b) return false;
  if (typeof a === 'string' || typeof a === 'boolean') return a === b;
  if (a instanceof BinaryValue || b instanceof BinaryValue) {
    return a instanceof BinaryValue && b instanceof BinaryValue && a.bytes.equals(b.bytes);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i], b[i])) return false;
    return true;
  }
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  for (const k of ak) {
    if (!Object.prototype.hasOwnProperty.call(bo, k) || !valuesEqual(ao[k], bo[k])) return false;
  }
  return true;
}

export function numericCompare(a: number | bigint | FloatValue, b: number | bigint | FloatValue): number {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    if (isInteger(a) && isInteger(b)) {
      const x = BigInt(a);
      const y = BigInt(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
  const x = asDouble(a);
  const y = asDouble(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Counts evaluation work and enforces size limits; one per evaluate() call. */
export class Budget {
  private steps = 0;
  constructor(readonly limits: ExpressionLimits) {}
  step(n = 1): void {
    this.steps += n;
    if (this.steps > this.limits.maxSteps) {
      throw new LimitFailure(`Evaluation took more than ${this.limits.maxSteps} steps (limit maxSteps).`);
    }
  }
  string(s: string): string {
    if (s.length > this.limits.maxStringLength) {
      throw new LimitFailure(`A string of ${s.length} characters exceeds the limit of ${this.limits.maxStringLength} (maxStringLength).`);
    }
    return s;
  }
  collection<T>(items: T[]): T[] {
    if (items.length > this.limits.maxCollectionLength) {
      throw new LimitFailure(`A collection of ${items.length} items exceeds the limit of ${this.limits.maxCollectionLength} (maxCollectionLength).`);
    }
    this.step(items.length);
    return items;
  }
  /** Check a size before building a result, so a hostile call fails before allocating. */
  size(length: number, what: 'string' | 'collection'): void {
    const max = what === 'string' ? this.limits.maxStringLength : this.limits.maxCollectionLength;
    if (length > max) {
      throw new LimitFailure(`A ${what} of ${length} exceeds the limit of ${max} (${what === 'string' ? 'maxStringLength' : 'maxCollectionLength'}).`);
    }
  }
}
