/**
 * An exact money/decimal amount. Dataverse decimals and money hold more digits than a JS number (up to
 * 10 decimal places on 12+ integer digits) and JSON.stringify would round them, so the value keeps its
 * text; a sink writes it digit for digit (the Dataverse sink with shared/dataverse/wire-json.ts `toWireJson`).
 */
export const DECIMAL_TEXT = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

export class ExactDecimal {
  constructor(readonly text: string) {
    if (!DECIMAL_TEXT.test(text)) throw new TypeError(exactDecimalProblem(text));
  }
  /** String(x) and template literals give the exact digits. */
  toString(): string {
    return this.text;
  }
  /** For anything that serialises without an exact writer (logs): the nearest number. */
  toJSON(): number {
    return Number(this.text);
  }
}

export function exactDecimalProblem(text: string): string {
  return `${JSON.stringify(text)} is not a JSON number; an exact money/decimal value must be decimal digits such as "1234567890123.4567".`;
}
