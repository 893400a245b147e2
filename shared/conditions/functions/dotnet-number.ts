/**
 * .NET's number scanner (Number.TryParse with NumberStyles.Any minus currency): leading/trailing
 * white space, a leading or trailing sign, group separators anywhere among the integer digits once
 * a digit was seen, one decimal separator, an optional exponent. That is why the reference lists
 * float('12345,6,78,-') → -12345678 and float('12345678.-') → -12345678 as valid.
 */
export interface ScannedNumber {
  negative: boolean;
  /** All significant digits, integer part then fraction (no separators). */
  digits: string;
  /** How many of `digits` are after the decimal separator. */
  fractionDigits: number;
  exponent: number;
}

const WHITE = /[\s\u00a0]/;

export function scanDotNetNumber(text: string, decimalSep: string, groupSep: string): ScannedNumber | undefined {
  // Cultures grouping with a (narrow) no-break space also accept a plain space, as .NET does.
  const groups = /^[\u00a0\u202f ]$/.test(groupSep) ? ['\u00a0', '\u202f', ' '] : [groupSep];
  let i = 0;
  const n = text.length;
  while (i < n && WHITE.test(text[i])) i++;
  let sign: '+' | '-' | undefined;
  let parenthesized = false;
  if (text[i] === '+' || text[i] === '-') sign = text[i++] as '+' | '-';
  else if (text[i] === '(') {
    parenthesized = true;
    i++;
  }
  let digits = '';
  let fractionDigits = 0;
  let sawDecimal = false;
  let sawDigit = false;
  for (;;) {
    const c = text[i];
    if (c !== undefined && c >= '0' && c <= '9') {
      digits += c;
      if (sawDecimal) fractionDigits++;
      sawDigit = true;
      i++;
    } else if (!sawDecimal && text.startsWith(decimalSep, i)) {
      sawDecimal = true;
      i += decimalSep.length;
    } else if (!sawDecimal && sawDigit && groupSep !== '' && groups.some((g) => text.startsWith(g, i))) {
      i += groups.find((g) => text.startsWith(g, i))!.length;
    } else break;
  }
  if (!sawDigit) return undefined;
  let exponent = 0;
  const exp = /^[eE]([+-]?)(\d+)/.exec(text.slice(i));
  if (exp) {
    exponent = Number(exp[2]) * (exp[1] === '-' ? -1 : 1);
    i += exp[0].length;
  }
  while (i < n && WHITE.test(text[i])) i++;
  if (parenthesized) {
    if (text[i] !== ')') return undefined;
    i++;
    sign = '-';
  } else if (sign === undefined && (text[i] === '+' || text[i] === '-')) {
    sign = text[i++] as '+' | '-';
  }
  while (i < n && WHITE.test(text[i])) i++;
  if (i !== n) return undefined;
  return { negative: sign === '-', digits, fractionDigits, exponent };
}

/** The scanned number as the nearest double. */
export function scannedToDouble(s: ScannedNumber): number {
  const int = s.digits.slice(0, s.digits.length - s.fractionDigits) || '0';
  const frac = s.digits.slice(s.digits.length - s.fractionDigits) || '0';
  return Number(`${s.negative ? '-' : ''}${int}.${frac}e${s.exponent}`);
}
