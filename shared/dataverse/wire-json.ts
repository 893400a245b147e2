/**
 * Request bodies with exact numbers. Money and decimal columns can hold more digits than a JS number
 * (Dataverse decimals: up to 10 decimal places on 12+ integer digits), and JSON.stringify would round them.
 * `ExactDecimal` carries the exact text; `toWireJson` writes it as a bare JSON number, digit for digit.
 */
import { randomBytes } from 'crypto';
import { DataverseError } from './errors';
import { DECIMAL_TEXT, exactDecimalProblem, ExactDecimal as ModelExactDecimal } from '../model/decimal';

/** The model's exact amount (shared/model/decimal.ts); constructed here, a bad value is a Dataverse validation error. */
export class ExactDecimal extends ModelExactDecimal {
  constructor(text: string) {
    if (!DECIMAL_TEXT.test(text)) throw new DataverseError({ kind: 'validation', message: exactDecimalProblem(text) });
    super(text);
  }
  /** Every exact amount of the model is one the wire writes exactly: `x instanceof ExactDecimal` holds for both. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof ModelExactDecimal;
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
    if (raw instanceof ModelExactDecimal) {
      exact = true;
      return `${MARK}${raw.text}`;
    }
    return v;
  });
  return exact ? json.replace(PLACEHOLDER, '$1') : json;
}
