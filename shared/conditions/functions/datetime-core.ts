/**
 * Timestamps as .NET DateTime sees them: 100 ns ticks since 0001-01-01 plus a kind
 * (UTC → 'Z' in the "o" format, Unspecified → no zone suffix). Parsing accepts ISO 8601 and the
 * invariant/en-US forms DateTime.Parse takes; an explicit offset is converted to UTC.
 */
import { FunctionFailure } from '../errors';

export type DateKind = 'utc' | 'unspecified';
export interface DateTimeValue {
  ticks: bigint;
  kind: DateKind;
}

export const TICKS_PER_MS = 10_000n;
export const EPOCH_TICKS = 621_355_968_000_000_000n;
export const MAX_TICKS = 3_155_378_975_999_999_999n;

export function fromUtcMs(ms: number, kind: DateKind, extraTicks = 0n): DateTimeValue {
  return checkRange({ ticks: BigInt(Math.floor(ms)) * TICKS_PER_MS + EPOCH_TICKS + extraTicks, kind });
}

export function checkRange(d: DateTimeValue): DateTimeValue {
  if (d.ticks < 0n || d.ticks > MAX_TICKS) throw new FunctionFailure('The resulting date is outside the range 0001-01-01 to 9999-12-31.');
  return d;
}

/** Wall-clock milliseconds (as if UTC) and the sub-millisecond tick remainder. */
export function toMs(d: DateTimeValue): { ms: number; sub: number } {
  const rel = d.ticks - EPOCH_TICKS;
  let ms = rel / TICKS_PER_MS;
  let sub = rel % TICKS_PER_MS;
  if (sub < 0n) {
    sub += TICKS_PER_MS;
    ms -= 1n;
  }
  return { ms: Number(ms), sub: Number(sub) };
}

export interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0..9_999_999 ticks within the second. */
  fraction: number;
  dayOfWeek: number;
}

export function fields(d: DateTimeValue): Fields {
  const { ms, sub } = toMs(d);
  const date = new Date(ms);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: date.getUTCSeconds(),
    fraction: date.getUTCMilliseconds() * 10_000 + sub,
    dayOfWeek: date.getUTCDay(),
  };
}

export function fromFields(f: Omit<Fields, 'dayOfWeek'>, kind: DateKind): DateTimeValue {
  const date = new Date(0);
  date.setUTCFullYear(f.year, f.month - 1, f.day);
  date.setUTCHours(f.hour, f.minute, f.second, 0);
  return fromUtcMs(date.getTime(), kind, BigInt(f.fraction));
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

function validDate(y: number, m: number, d: number, h: number, mi: number, s: number): boolean {
  if (m < 1 || m > 12 || d < 1 || h > 23 || mi > 59 || s > 59 || y < 1 || y > 9999) return false;
  const dim = new Date(Date.UTC(2000, m, 0)).getUTCDate();
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 ? (leap ? 29 : 28) : dim);
}

function build(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  frac: string,
  zone: string | undefined,
  ampm?: string,
): DateTimeValue | undefined {
  if (ampm) {
    const pm = ampm.toUpperCase().startsWith('P');
    if (h < 1 || h > 12) return undefined;
    h = (h % 12) + (pm ? 12 : 0);
  }
  if (!validDate(y, mo, d, h, mi, s)) return undefined;
  const fraction = frac ? Number(frac.slice(0, 7).padEnd(7, '0')) : 0;
  let value = fromFields({ year: y, month: mo, day: d, hour: h, minute: mi, second: s, fraction }, zone ? 'utc' : 'unspecified');
  if (zone && zone.toUpperCase() !== 'Z' && zone.toUpperCase() !== 'GMT' && zone.toUpperCase() !== 'UTC') {
    const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const minutes = (Number(m[2]) * 60 + Number(m[3] ?? 0)) * (m[1] === '-' ? -1 : 1);
    value = checkRange({ ticks: value.ticks - BigInt(minutes) * 60n * 10_000_000n, kind: 'utc' });
  }
  return value;
}

const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const SLASHED =
  /^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*([AaPp][Mm])?)?\s*(Z|GMT|UTC|[+-]\d{2}(?::?\d{2})?)?$/i;
const NAMED =
  /^(?:[A-Za-z]+,?\s+)?(?:(\d{1,2})\s+([A-Za-z]+)|([A-Za-z]+)\s+(\d{1,2}),?)\s+(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*([AaPp][Mm])?)?\s*(Z|GMT|UTC|[+-]\d{2}:?\d{2})?$/;

/** Parse a timestamp string; `dayFirst` reads `a/b/yyyy` as day/month (e.g. fr-FR). */
export function parseTimestamp(text: string, dayFirst = false): DateTimeValue | undefined {
  const t = text.trim();
  let m = ISO.exec(t);
  if (m) return build(+m[1], +m[2], +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), m[7] ?? '', m[8]);
  m = SLASHED.exec(t);
  if (m) {
    const [a, b, c] = [m[1], m[2], m[3]];
    let y: number, mo: number, d: number;
    if (a.length === 4) [y, mo, d] = [+a, +b, +c];
    else if (dayFirst) [d, mo, y] = [+a, +b, +c];
    else [mo, d, y] = [+a, +b, +c];
    if (c.length <= 2 && a.length !== 4) y += y < 50 ? 2000 : 1900;
    return build(y, mo, d, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), m[7] ?? '', m[9], m[8]);
  }
  m = NAMED.exec(t);
  if (m) {
    const monthName = (m[2] ?? m[3]).toLowerCase();
    const mo = MONTHS.findIndex((x) => x === monthName || (monthName.length >= 3 && x.startsWith(monthName))) + 1;
    if (mo === 0) return undefined;
    return build(+m[5], mo, +(m[1] ?? m[4]), +(m[6] ?? 0), +(m[7] ?? 0), +(m[8] ?? 0), m[9] ?? '', m[11], m[10]);
  }
  return undefined;
}

export function requireTimestamp(text: string, fnName: string, dayFirst = false): DateTimeValue {
  const d = parseTimestamp(text, dayFirst);
  if (!d) {
    throw new FunctionFailure(`The function '${fnName}' expects a timestamp such as '2018-03-15T13:00:00Z' or '03/15/2018 13:00:00', got '${text}'.`);
  }
  return d;
}

export function addTicks(d: DateTimeValue, delta: bigint): DateTimeValue {
  return checkRange({ ticks: d.ticks + delta, kind: d.kind });
}

/** DateTime.AddMonths: clamps the day to the target month's length. */
export function addMonths(d: DateTimeValue, months: number): DateTimeValue {
  const f = fields(d);
  const total = f.year * 12 + (f.month - 1) + months;
  const year = Math.floor(total / 12);
  const month = (total % 12) + 1;
  if (year < 1 || year > 9999) throw new FunctionFailure('The resulting date is outside the range 0001-01-01 to 9999-12-31.');
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const dim = month === 2 ? (leap ? 29 : 28) : new Date(Date.UTC(2001, month, 0)).getUTCDate();
  return fromFields({ ...f, year, month, day: Math.min(f.day, dim) }, d.kind);
}

/** TimeSpan "c" format: [-][d.]hh:mm:ss[.fffffff]. */
export function formatTimeSpan(ticks: bigint): string {
  const negative = ticks < 0n;
  let t = negative ? -ticks : ticks;
  const fraction = t % 10_000_000n;
  t /= 10_000_000n;
  const seconds = t % 60n;
  t /= 60n;
  const minutes = t % 60n;
  t /= 60n;
  const hours = t % 24n;
  const days = t / 24n;
  const p = (n: bigint) => n.toString().padStart(2, '0');
  return `${negative ? '-' : ''}${days > 0n ? `${days}.` : ''}${p(hours)}:${p(minutes)}:${p(seconds)}${fraction > 0n ? `.${fraction.toString().padStart(7, '0')}` : ''}`;
}
