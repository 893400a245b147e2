/** .NET decimal parsing and arithmetic for decimal(): 96-bit coefficient, scale 0..28, banker's rounding. */
import { FunctionFailure } from '../errors';
import { DecimalValue, isInteger, type Value } from '../values';
import { scanDotNetNumber } from './dotnet-number';

const MAX_SCALE = 28;
const MAX_COEFFICIENT = 2n ** 96n - 1n;

export function parseDecimal(text: string, name: string): DecimalValue {
  const s = scanDotNetNumber(text, '.', ',');
  if (!s) throw new FunctionFailure(`The function '${name}' cannot convert the string '${text}' to a decimal number.`);
  let coefficient = BigInt(s.digits) * (s.negative ? -1n : 1n);
  let scale = s.fractionDigits - s.exponent;
  if (scale < 0) {
    coefficient *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return make(coefficient, scale, name);
}

/** Normalise to .NET's limits: round away digits beyond scale 28 or 96 bits (half to even). */
function make(coefficient: bigint, scale: number, name: string): DecimalValue {
  while (scale > MAX_SCALE || (scale > 0 && abs(coefficient) > MAX_COEFFICIENT)) {
    coefficient = divRoundHalfEven(coefficient, 10n);
    scale--;
  }
  if (abs(coefficient) > MAX_COEFFICIENT) throw new FunctionFailure(`The function '${name}' produced a value outside the range of a decimal.`);
  return new DecimalValue(coefficient, scale);
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

function divRoundHalfEven(a: bigint, b: bigint): bigint {
  const q = a / b;
  const r = a % b;
  const twice = abs(r) * 2n;
  const bAbs = abs(b);
  if (twice > bAbs || (twice === bAbs && q % 2n !== 0n)) return q + (a < 0n !== b < 0n ? -1n : 1n);
  return q;
}

/** True when both operands can take part in exact decimal arithmetic (decimals and integers). */
export function isDecimalOperation(a: Value, b: Value): boolean {
  return (a instanceof DecimalValue || b instanceof DecimalValue) && (a instanceof DecimalValue || isInteger(a)) && (b instanceof DecimalValue || isInteger(b));
}

function asDecimal(v: Value): DecimalValue {
  return v instanceof DecimalValue ? v : new DecimalValue(BigInt(v as number | bigint), 0);
}

export function decimalArithmetic(op: 'add' | 'sub' | 'mul' | 'div' | 'mod', left: Value, right: Value, name: string): DecimalValue {
  const a = asDecimal(left);
  const b = asDecimal(right);
  const scale = Math.max(a.scale, b.scale);
  const x = a.coefficient * 10n ** BigInt(scale - a.scale);
  const y = b.coefficient * 10n ** BigInt(scale - b.scale);
  switch (op) {
    case 'add':
      return make(x + y, scale, name);
    case 'sub':
      return make(x - y, scale, name);
    case 'mul':
      return make(a.coefficient * b.coefficient, a.scale + b.scale, name);
    case 'mod':
      if (y === 0n) throw new FunctionFailure(`The function '${name}' cannot divide by zero.`);
      return make(x % y, scale, name);
    case 'div': {
      if (b.coefficient === 0n) throw new FunctionFailure(`The function '${name}' cannot divide by zero.`);
      // Start at the natural scale and add digits until the quotient is exact or 28 places are reached.
      let s = Math.max(a.scale - b.scale, 0);
      for (;;) {
        const num = a.coefficient * 10n ** BigInt(s + b.scale - a.scale);
        if (num % b.coefficient === 0n || s >= MAX_SCALE) return make(divRoundHalfEven(num, b.coefficient), s, name);
        s++;
      }
    }
  }
}
