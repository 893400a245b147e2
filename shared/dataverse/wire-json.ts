/**
 * Request bodies with exact numbers. Money and decimal columns can hold more digits than a JS number
 * (Dataverse decimals: up to 10 decimal places on 12+ integer digits), and JSON.stringify would round them.
 * `ExactDecimal` carries the exact text; `toWireJson` writes it as a bare JSON number, digit for digit.
 */
import { randomBytes } from 'crypto';
import { DataverseError } from './errors';

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

export class ExactDecimal {
  constructor(readonly text: string) {
    if (!DECIMAL.test(text)) throw new DataverseError({ kind: 'validation', message: `${JSON.stringify(text)} is not a JSON number; an exact money/decimal value must be decimal digits such as "1234567890123.4567".` });
  }
  /** String(x) and template literals give the exact digits. */
  toString(): string {
    return this.text;
  }
  /** For anything that serialises without toWireJson (logs): the nearest number. */
  toJSON(): number {
    return Number(this.text);
  }
}

// A per-process nonce makes the placeholder impossible to forge from data (a string value cannot contain it by chance).
const MARK = `\u0000dvsync-exact-${randomBytes(6).toString('hex')}:`;
const PLACEHOLDER = new RegExp(`"${JSON.stringify(MARK).slice(1, -1).replace(/\\/g, '\\\\')}(-?[0-9.eE+-]+)"`, 'g');

/** JSON.stringify, except that ExactDecimal values become bare number literals with their exact text. */
export function toWireJson(value: unknown): string {
  let exact = false;
  const json = JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    if (raw instanceof ExactDecimal) {
      exact = true;
      return `${MARK}${raw.text}`;
    }
    return v;
  });
  return exact ? json.replace(PLACEHOLDER, '$1') : json;
}
