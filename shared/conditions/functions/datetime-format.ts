/** .NET date/time format strings: standard specifiers (en-US patterns) and custom patterns, with Intl names for other locales. */
import { FunctionFailure } from '../errors';
import { fields, fromFields, type DateTimeValue, type Fields } from './datetime-core';

interface Names {
  months: string[];
  monthsShort: string[];
  days: string[];
  daysShort: string[];
  am: string;
  pm: string;
}

const EN: Names = {
  months: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
  monthsShort: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
  days: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
  daysShort: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'],
  am: 'AM',
  pm: 'PM',
};

const namesCache = new Map<string, Names>();

function names(locale: string | undefined): Names {
  if (!locale || /^en(-|$)/i.test(locale) || locale === '') return EN;
  const key = locale.toLowerCase();
  const hit = namesCache.get(key);
  if (hit) return hit;
  let fmt: (opts: Intl.DateTimeFormatOptions, d: Date) => string;
  try {
    new Intl.DateTimeFormat(locale);
    fmt = (opts, d) => new Intl.DateTimeFormat(locale, { ...opts, timeZone: 'UTC' }).format(d);
  } catch {
    throw new FunctionFailure(`The locale '${locale}' is not a valid culture name (use an RFC 4646 name such as 'fr-FR').`);
  }
  const month = (i: number) => new Date(Date.UTC(2021, i, 15));
  const day = (i: number) => new Date(Date.UTC(2021, 0, 3 + i)); // 2021-01-03 is a Sunday
  const dayPeriod = (h: number) =>
    new Intl.DateTimeFormat(locale, { hour: 'numeric', hour12: true, timeZone: 'UTC' })
      .formatToParts(new Date(Date.UTC(2021, 0, 1, h)))
      .find((p) => p.type === 'dayPeriod')?.value ?? '';
  const result: Names = {
    months: Array.from({ length: 12 }, (_, i) => fmt({ month: 'long' }, month(i))),
    monthsShort: Array.from({ length: 12 }, (_, i) => fmt({ month: 'short' }, month(i))),
    days: Array.from({ length: 7 }, (_, i) => fmt({ weekday: 'long' }, day(i))),
    daysShort: Array.from({ length: 7 }, (_, i) => fmt({ weekday: 'short' }, day(i))),
    am: dayPeriod(9),
    pm: dayPeriod(21),
  };
  namesCache.set(key, result);
  return result;
}

// Standard format patterns per culture (DateTimeFormatInfo); unknown cultures use the invariant/en-US ones.
const STANDARD_EN: Record<string, string> = {
  d: 'M/d/yyyy',
  D: 'dddd, MMMM d, yyyy',
  f: 'dddd, MMMM d, yyyy h:mm tt',
  F: 'dddd, MMMM d, yyyy h:mm:ss tt',
  g: 'M/d/yyyy h:mm tt',
  G: 'M/d/yyyy h:mm:ss tt',
  m: 'MMMM d',
  M: 'MMMM d',
  t: 'h:mm tt',
  T: 'h:mm:ss tt',
  y: 'MMMM yyyy',
  Y: 'MMMM yyyy',
};
const STANDARD_BY_LOCALE: Record<string, Record<string, string>> = {
  'en-gb': {
    d: 'dd/MM/yyyy',
    D: 'dddd, d MMMM yyyy',
    f: 'dddd, d MMMM yyyy HH:mm',
    F: 'dddd, d MMMM yyyy HH:mm:ss',
    g: 'dd/MM/yyyy HH:mm',
    G: 'dd/MM/yyyy HH:mm:ss',
    m: 'd MMMM',
    M: 'd MMMM',
    t: 'HH:mm',
    T: 'HH:mm:ss',
    y: 'MMMM yyyy',
    Y: 'MMMM yyyy',
  },
  'fr-fr': {
    d: 'dd/MM/yyyy',
    D: 'dddd d MMMM yyyy',
    f: 'dddd d MMMM yyyy HH:mm',
    F: 'dddd d MMMM yyyy HH:mm:ss',
    g: 'dd/MM/yyyy HH:mm',
    G: 'dd/MM/yyyy HH:mm:ss',
    m: 'd MMMM',
    M: 'd MMMM',
    t: 'HH:mm',
    T: 'HH:mm:ss',
    y: 'MMMM yyyy',
    Y: 'MMMM yyyy',
  },
  'de-de': {
    d: 'dd.MM.yyyy',
    D: 'dddd, d. MMMM yyyy',
    f: 'dddd, d. MMMM yyyy HH:mm',
    F: 'dddd, d. MMMM yyyy HH:mm:ss',
    g: 'dd.MM.yyyy HH:mm',
    G: 'dd.MM.yyyy HH:mm:ss',
    m: 'd. MMMM',
    M: 'd. MMMM',
    t: 'HH:mm',
    T: 'HH:mm:ss',
    y: 'MMMM yyyy',
    Y: 'MMMM yyyy',
  },
};

/** Does this culture write numeric dates day-first? */
export function isDayFirst(locale: string | undefined): boolean {
  if (!locale || /^en-us$/i.test(locale)) return false;
  try {
    const parts = new Intl.DateTimeFormat(locale, { timeZone: 'UTC' }).formatToParts(new Date(Date.UTC(2021, 10, 25)));
    const order = parts.filter((p) => p.type === 'day' || p.type === 'month').map((p) => p.type);
    return order[0] === 'day';
  } catch {
    throw new FunctionFailure(`The locale '${locale}' is not a valid culture name (use an RFC 4646 name such as 'fr-FR').`);
  }
}

function expandStandard(format: string, locale: string | undefined): { pattern: string; toUtc: boolean } {
  switch (format) {
    case 'o':
    case 'O':
      return { pattern: "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK", toUtc: false };
    case 'r':
    case 'R':
      return { pattern: "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'", toUtc: false };
    case 's':
      return { pattern: "yyyy'-'MM'-'dd'T'HH':'mm':'ss", toUtc: false };
    case 'u':
      return { pattern: "yyyy'-'MM'-'dd HH':'mm':'ss'Z'", toUtc: false };
    case 'U':
      return { pattern: (STANDARD_BY_LOCALE[locale?.toLowerCase() ?? ''] ?? STANDARD_EN).F, toUtc: true };
  }
  const table = STANDARD_BY_LOCALE[locale?.toLowerCase() ?? ''] ?? STANDARD_EN;
  const pattern = table[format];
  if (!pattern) throw new FunctionFailure(`'${format}' is not a valid standard date and time format specifier.`);
  return { pattern, toUtc: false };
}

function countRun(s: string, i: number): number {
  let n = 1;
  while (s[i + n] === s[i]) n++;
  return n;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Format a timestamp with a .NET format string (default "o"). */
export function formatDate(d: DateTimeValue, format: string | undefined, locale?: string): string {
  let pattern = format && format !== '' ? format : 'o';
  let value = d;
  if (pattern.length === 1) {
    const std = expandStandard(pattern, locale);
    pattern = std.pattern;
    if (std.toUtc) value = { ...d, kind: 'utc' };
  } else if (pattern.length === 2 && pattern[0] === '%') pattern = pattern[1];
  const f = fields(value);
  const n = names(locale);
  return renderCustom(pattern, f, value.kind, n);
}

function renderCustom(p: string, f: Fields, kind: DateTimeValue['kind'], n: Names): string {
  let out = '';
  for (let i = 0; i < p.length;) {
    const c = p[i];
    const run = countRun(p, i);
    switch (c) {
      case 'y':
        out += run === 1 ? String(f.year % 100) : run === 2 ? pad(f.year % 100, 2) : pad(f.year, run);
        i += run;
        continue;
      case 'M':
        out += run === 1 ? String(f.month) : run === 2 ? pad(f.month, 2) : run === 3 ? n.monthsShort[f.month - 1] : n.months[f.month - 1];
        i += run;
        continue;
      case 'd':
        out += run === 1 ? String(f.day) : run === 2 ? pad(f.day, 2) : run === 3 ? n.daysShort[f.dayOfWeek] : n.days[f.dayOfWeek];
        i += run;
        continue;
      case 'h': {
        const h12 = f.hour % 12 === 0 ? 12 : f.hour % 12;
        out += run === 1 ? String(h12) : pad(h12, 2);
        i += run;
        continue;
      }
      case 'H':
        out += run === 1 ? String(f.hour) : pad(f.hour, 2);
        i += run;
        continue;
      case 'm':
        out += run === 1 ? String(f.minute) : pad(f.minute, 2);
        i += run;
        continue;
      case 's':
        out += run === 1 ? String(f.second) : pad(f.second, 2);
        i += run;
        continue;
      case 'f':
      case 'F': {
        if (run > 7) throw new FunctionFailure(`The date format '${p}' has more than 7 '${c}' specifiers.`);
        const digits = pad(f.fraction, 7).slice(0, run);
        out += c === 'f' ? digits : digits.replace(/0+$/, '');
        if (c === 'F' && digits.replace(/0+$/, '') === '' && out.endsWith('.')) out = out.slice(0, -1);
        i += run;
        continue;
      }
      case 't': {
        const designator = f.hour < 12 ? n.am : n.pm;
        out += run === 1 ? designator.slice(0, 1) : designator;
        i += run;
        continue;
      }
      case 'K':
        out += kind === 'utc' ? 'Z' : '';
        i += 1;
        continue;
      case 'z': {
        // Offsets: UTC timestamps are +00:00 here (the engine runs in UTC).
        out += run === 1 ? '+0' : run === 2 ? '+00' : '+00:00';
        i += run;
        continue;
      }
      case 'g':
        out += f.year > 0 ? 'A.D.' : 'B.C.';
        i += run;
        continue;
      case ':':
      case '/':
        out += c;
        i += 1;
        continue;
      case "'":
      case '"': {
        const end = p.indexOf(c, i + 1);
        if (end < 0) throw new FunctionFailure(`The date format '${p}' has an unterminated quoted string.`);
        out += p.slice(i + 1, end);
        i = end + 1;
        continue;
      }
      case '\\':
        out += p[i + 1] ?? '';
        i += 2;
        continue;
      case '%':
        i += 1;
        continue;
      default:
        out += c;
        i += 1;
    }
  }
  return out;
}

/** Parse `text` with an exact .NET custom format (DateTime.ParseExact subset). */
export function parseWithFormat(text: string, format: string, locale: string | undefined): DateTimeValue | undefined {
  const n = names(locale);
  let pattern = format;
  if (pattern.length === 1) pattern = expandStandard(pattern, locale).pattern;
  const groups: Array<(v: string, acc: Record<string, number>) => boolean> = [];
  let re = '';
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const numeric = (key: string, width: string) => {
    re += `(\\d${width})`;
    groups.push((v, acc) => {
      acc[key] = Number(v);
      return true;
    });
  };
  const named = (key: string, list: string[]) => {
    re += `(${list.map(esc).join('|')})`;
    groups.push((v, acc) => {
      acc[key] = list.findIndex((x) => x.toLowerCase() === v.toLowerCase()) + 1;
      return acc[key] > 0;
    });
  };
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i];
    const run = countRun(pattern, i);
    if (c === 'y') numeric('year', run <= 2 ? '{1,2}' : `{${run},4}`);
    else if (c === 'M') run <= 2 ? numeric('month', run === 1 ? '{1,2}' : '{2}') : named('month', run === 3 ? n.monthsShort : n.months);
    else if (c === 'd') {
      if (run <= 2) numeric('day', run === 1 ? '{1,2}' : '{2}');
      else named('weekday', run === 3 ? n.daysShort : n.days);
    } else if (c === 'H' || c === 'h') numeric(c === 'H' ? 'hour' : 'hour12', run === 1 ? '{1,2}' : '{2}');
    else if (c === 'm') numeric('minute', run === 1 ? '{1,2}' : '{2}');
    else if (c === 's') numeric('second', run === 1 ? '{1,2}' : '{2}');
    else if (c === 'f' || c === 'F') {
      re += `(\\d{${c === 'f' ? run : `0,${run}`}})`;
      groups.push((v, acc) => {
        acc.fraction = Number(v.padEnd(7, '0') || '0');
        return true;
      });
    } else if (c === 't') named('ampm', [n.am, n.pm]);
    else if (c === 'K' || c === 'z') {
      re += '(Z|[+-]\\d{1,2}(?::?\\d{2})?)?';
      groups.push((v, acc) => {
        if (!v) return true;
        acc.utc = 1;
        const m = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(v);
        if (m) acc.offset = (Number(m[2]) * 60 + Number(m[3] ?? 0)) * (m[1] === '-' ? -1 : 1);
        return true;
      });
    } else if (c === "'" || c === '"') {
      const end = pattern.indexOf(c, i + 1);
      re += esc(pattern.slice(i + 1, end < 0 ? pattern.length : end));
      i = end < 0 ? pattern.length : end + 1;
      continue;
    } else if (c === '\\') {
      re += esc(pattern[i + 1] ?? '');
      i += 2;
      continue;
    } else {
      re += esc(pattern.slice(i, i + run));
    }
    i += run;
  }
  const m = new RegExp(`^\\s*${re}\\s*$`, 'i').exec(text);
  if (!m) return undefined;
  const acc: Record<string, number> = {};
  for (let g = 0; g < groups.length; g++) if (!groups[g](m[g + 1] ?? '', acc)) return undefined;
  let hour = acc.hour ?? 0;
  if (acc.hour12 !== undefined) hour = (acc.hour12 % 12) + (acc.ampm === 2 ? 12 : 0);
  let year = acc.year ?? 1;
  if (acc.year !== undefined && /(^|[^y])yy?([^y]|$)/.test(pattern) && !/yyy/.test(pattern)) year += year < 50 ? 2000 : 1900;
  const month = acc.month ?? 1;
  const day = acc.day ?? 1;
  if (month > 12 || day > 31 || hour > 23 || (acc.minute ?? 0) > 59 || (acc.second ?? 0) > 59) return undefined;
  const value = fromFields(
    { year, month, day, hour, minute: acc.minute ?? 0, second: acc.second ?? 0, fraction: acc.fraction ?? 0 },
    acc.utc ? 'utc' : 'unspecified',
  );
  if (fields(value).day !== day) return undefined;
  if (acc.offset) return { ticks: value.ticks - BigInt(acc.offset) * 600_000_000n, kind: 'utc' };
  return value;
}
