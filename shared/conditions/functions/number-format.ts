/**
 * formatNumber(): .NET standard numeric formats (C, D, E, F, G, N, P, R, X) and custom patterns
 * ('0', '#', '.', ',', '%', '‰', E+0, quotes, '\', ';' sections), with locale separators from Intl.
 */
import { FunctionFailure } from '../errors';
import { isInteger, asDouble, type Value } from '../values';
import { num, optStr, str } from './args';

interface LocaleNumbers {
  decimal: string;
  group: string;
  currencySymbol: string;
  /** Where the symbol goes: '$n' or 'n $'. */
  currencyPattern: '$n' | 'n $' | '$ n' | 'n$';
}

// Currency conventions of the locales flows use most; others fall back to Intl with a generic symbol.
const CURRENCY: Record<string, [string, LocaleNumbers['currencyPattern']]> = {
  'en-us': ['$', '$n'],
  'en-ca': ['$', '$n'],
  'en-au': ['$', '$n'],
  'en-gb': ['£', '$n'],
  'en-in': ['₹', '$n'],
  'is-is': ['kr', 'n $'],
  'fr-fr': ['€', 'n $'],
  'de-de': ['€', 'n $'],
  'es-es': ['€', 'n $'],
  'it-it': ['€', 'n $'],
  'nl-nl': ['€', '$ n'],
  'sv-se': ['kr', 'n $'],
  'nb-no': ['kr', '$ n'],
  'da-dk': ['kr.', 'n $'],
  'ja-jp': ['￥', '$n'],
  'zh-cn': ['¥', '$n'],
  'pt-br': ['R$', '$ n'],
};

const localeCache = new Map<string, LocaleNumbers>();

export function localeNumbers(locale: string): LocaleNumbers {
  const key = locale.toLowerCase();
  const cached = localeCache.get(key);
  if (cached) return cached;
  let parts: Intl.NumberFormatPart[];
  try {
    parts = new Intl.NumberFormat(locale === '' ? 'en-US' : locale).formatToParts(1234567.5);
  } catch {
    throw new FunctionFailure(`The locale '${locale}' is not a valid culture name (use an RFC 4646 name such as 'en-US').`);
  }
  const currency = CURRENCY[key] ?? ['¤', 'n $'];
  const info: LocaleNumbers = {
    decimal: parts.find((p) => p.type === 'decimal')?.value ?? '.',
    group: (parts.find((p) => p.type === 'group')?.value ?? ',').replace(/\u202f/g, '\u00a0'),
    currencySymbol: currency[0],
    currencyPattern: currency[1],
  };
  localeCache.set(key, info);
  return info;
}

function group(digits: string, sep: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
}

/** Fixed-point digits of |n| with `decimals` places, using exact decimal expansion like .NET Core. */
function fixed(n: number | bigint, decimals: number): [string, string] {
  if (typeof n === 'bigint') return [(n < 0n ? -n : n).toString(), '0'.repeat(decimals)];
  const s = Math.abs(n).toFixed(Math.min(decimals, 100));
  const [i, f = ''] = s.split('.');
  return [i, f.padEnd(decimals, '0')];
}

export function formatNumber(args: Value[], name: string): string {
  const value = num(name, args, 0);
  const format = str(name, args, 1);
  const locale = localeNumbers(optStr(name, args, 2) ?? 'en-US');
  const raw: number | bigint = typeof value === 'bigint' ? value : asDouble(value);
  const standard = /^([A-Za-z])(\d{0,9})$/.exec(format);
  if (standard && 'CcDdEeFfGgNnPpRrXx'.includes(standard[1])) {
    return standardFormat(raw, isInteger(value), standard[1], standard[2] === '' ? undefined : Number(standard[2]), locale);
  }
  return customFormat(typeof raw === 'bigint' ? Number(raw) : raw, format, locale);
}

function standardFormat(n: number | bigint, integral: boolean, spec: string, precision: number | undefined, loc: LocaleNumbers): string {
  const negative = typeof n === 'bigint' ? n < 0n : n < 0 || Object.is(n, -0);
  const sign = negative ? '-' : '';
  switch (spec.toUpperCase()) {
    case 'C': {
      const [i, f] = fixed(n, precision ?? 2);
      const body = group(i, loc.group) + (f ? loc.decimal + f : '');
      const placed = loc.currencyPattern.replace('$', loc.currencySymbol).replace('n', body);
      return sign + placed;
    }
    case 'D': {
      if (!integral) throw new FunctionFailure("The format 'D' is only valid for integers.");
      const digits = (typeof n === 'bigint' ? (n < 0n ? -n : n) : Math.abs(n)).toString();
      return sign + digits.padStart(precision ?? 0, '0');
    }
    case 'E': {
      const d = Math.abs(Number(n)).toExponential(precision ?? 6);
      const [m, e] = d.split('e');
      const exp = Number(e);
      const out = `${m.replace('.', loc.decimal)}${spec === 'e' ? 'e' : 'E'}${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(3, '0')}`;
      return sign + out;
    }
    case 'F': {
      const [i, f] = fixed(n, precision ?? 2);
      return sign + i + (f ? loc.decimal + f : '');
    }
    case 'N': {
      const [i, f] = fixed(n, precision ?? 2);
      return sign + group(i, loc.group) + (f ? loc.decimal + f : '');
    }
    case 'P': {
      const [i, f] = fixed(Number(n) * 100, precision ?? 2);
      return sign + group(i, loc.group) + (f ? loc.decimal + f : '') + '%';
    }
    case 'G':
    case 'R': {
      const x = Number(n);
      const s = precision ? Number(x.toPrecision(precision)).toString() : typeof n === 'bigint' ? n.toString() : String(x);
      return s.replace('.', loc.decimal).replace('e', 'E');
    }
    case 'X': {
      if (!integral) throw new FunctionFailure("The format 'X' is only valid for integers.");
      let big = BigInt(n);
      if (big < 0n) big = (1n << 64n) + big;
      const hex = big.toString(16).padStart(precision ?? 0, '0');
      return spec === 'x' ? hex : hex.toUpperCase();
    }
  }
  throw new FunctionFailure(`Unsupported numeric format '${spec}'.`);
}

/** Split a custom pattern into ';' sections, respecting quotes and backslash escapes. */
function sections(format: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (quote) {
      if (c === quote) quote = '';
      cur += c;
    } else if (c === '\\') {
      cur += c + (format[i + 1] ?? '');
      i++;
    } else if (c === "'" || c === '"') {
      quote = c;
      cur += c;
    } else if (c === ';') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

type Piece =
  { kind: 'digit'; zero: boolean } | { kind: 'literal'; text: string } | { kind: 'point' } | { kind: 'exp'; text: string; minDigits: number; plus: boolean };

function customFormat(n: number, format: string, loc: LocaleNumbers): string {
  const secs = sections(format);
  let pattern = secs[0];
  let value = n;
  let explicitNegative = false;
  if (n < 0 && secs.length > 1 && secs[1] !== '') {
    pattern = secs[1];
    value = -n;
    explicitNegative = true;
  } else if (n === 0 && secs.length > 2 && secs[2] !== '') {
    pattern = secs[2];
  }
  // Tokenize the chosen section.
  const pieces: Piece[] = [];
  let grouping = false;
  let scale = 0;
  let seenDigit = false;
  let seenPoint = false;
  let pendingCommas = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '0' || c === '#') {
      if (pendingCommas > 0 && !seenPoint && seenDigit) grouping = true;
      pendingCommas = 0;
      pieces.push({ kind: 'digit', zero: c === '0' });
      seenDigit = true;
    } else if (c === '.') {
      if (pendingCommas > 0) scale += pendingCommas;
      pendingCommas = 0;
      if (!seenPoint) pieces.push({ kind: 'point' });
      seenPoint = true;
    } else if (c === ',') {
      if (seenDigit && !seenPoint) pendingCommas++;
    } else if (c === '%') {
      value *= 100;
      pieces.push({ kind: 'literal', text: '%' });
    } else if (c === '‰') {
      value *= 1000;
      pieces.push({ kind: 'literal', text: '‰' });
    } else if ((c === 'E' || c === 'e') && seenDigit && /^[+-]?0/.test(pattern.slice(i + 1))) {
      let j = i + 1;
      const plus = pattern[j] === '+';
      if (pattern[j] === '+' || pattern[j] === '-') j++;
      let zeros = 0;
      while (pattern[j] === '0') {
        zeros++;
        j++;
      }
      pieces.push({ kind: 'exp', text: c, minDigits: zeros, plus });
      i = j - 1;
    } else if (c === '\\') {
      pieces.push({ kind: 'literal', text: pattern[i + 1] ?? '' });
      i++;
    } else if (c === "'" || c === '"') {
      const end = pattern.indexOf(c, i + 1);
      pieces.push({ kind: 'literal', text: pattern.slice(i + 1, end < 0 ? pattern.length : end) });
      i = end < 0 ? pattern.length : end;
    } else {
      pieces.push({ kind: 'literal', text: c });
    }
  }
  if (pendingCommas > 0 && !seenPoint) scale += pendingCommas;
  value /= 1000 ** scale;
  const pointAt = pieces.findIndex((p) => p.kind === 'point');
  const expAt = pieces.findIndex((p) => p.kind === 'exp');
  const intEnd = pointAt >= 0 ? pointAt : expAt >= 0 ? expAt : pieces.length;
  const fracPieces = pointAt >= 0 ? pieces.slice(pointAt + 1, expAt >= 0 ? expAt : pieces.length) : [];
  const fracDigits = fracPieces.filter((p) => p.kind === 'digit');
  const maxFrac = fracDigits.length;
  let lastZero = -1;
  fracDigits.forEach((p, i) => {
    if (p.kind === 'digit' && p.zero) lastZero = i;
  });
  const minFrac = lastZero + 1;
  let exponent = 0;
  let abs = Math.abs(value);
  const expPiece = expAt >= 0 ? (pieces[expAt] as Extract<Piece, { kind: 'exp' }>) : undefined;
  if (expPiece && abs !== 0) {
    const intPlaces = Math.max(1, pieces.slice(0, intEnd).filter((p) => p.kind === 'digit').length);
    exponent = Math.floor(Math.log10(abs)) - (intPlaces - 1);
    abs = abs / 10 ** exponent;
  }
  let [intDigits, frac] = fixed(abs, maxFrac);
  frac = frac.replace(/0+$/, '');
  if (frac.length < minFrac) frac = frac.padEnd(minFrac, '0');
  const intPieces = pieces.slice(0, intEnd);
  const minInt = intPieces.filter((p) => p.kind === 'digit' && p.zero).length;
  if (intDigits === '0') intDigits = '';
  intDigits = intDigits.padStart(minInt, '0');
  // Fill integer placeholders right to left; surplus digits go to the leftmost placeholder.
  const intOut: string[] = [];
  let d = intDigits.length;
  const firstDigit = intPieces.findIndex((p) => p.kind === 'digit');
  for (let i = intPieces.length - 1; i >= 0; i--) {
    const p = intPieces[i];
    if (p.kind === 'digit') {
      if (i === firstDigit) {
        intOut.unshift(d > 0 ? intDigits.slice(0, d) : '');
        d = 0;
      } else {
        intOut.unshift(d > 0 ? intDigits[--d] : '');
      }
    } else if (p.kind === 'literal') {
      intOut.unshift(p.text);
    }
  }
  let intText = intOut.join('');
  if (grouping) {
    const digitsOnly = intDigits;
    const grouped = group(digitsOnly, loc.group);
    intText = intText.replace(digitsOnly, grouped);
  }
  let out = intText;
  if (pointAt >= 0 && frac.length > 0) out += loc.decimal;
  let f = 0;
  for (const p of fracPieces) {
    if (p.kind === 'digit') {
      out += f < frac.length ? frac[f] : '';
      f++;
    } else if (p.kind === 'literal') out += p.text;
  }
  if (expPiece) {
    const sign = exponent < 0 ? '-' : expPiece.plus ? '+' : '';
    out += expPiece.text + sign + String(Math.abs(exponent)).padStart(expPiece.minDigits, '0');
    const after = pieces.slice(expAt + 1);
    for (const p of after) if (p.kind === 'literal') out += p.text;
  }
  const isZero = !/[1-9]/.test(intDigits + frac);
  if (value < 0 && !explicitNegative && !isZero) out = '-' + out;
  return out;
}
