/** Date and time functions. The current time comes from scope.clock so tests and replays are deterministic. */
import { FunctionFailure } from '../errors';
import { makeInteger, type Value } from '../values';
import { dbl, int, optStr, str } from './args';
import {
  addMonths,
  addTicks,
  fields,
  formatTimeSpan,
  fromFields,
  fromUtcMs,
  parseTimestamp,
  requireTimestamp,
  toMs,
  type DateTimeValue,
} from './datetime-core';
import { formatDate, isDayFirst, parseWithFormat } from './datetime-format';
import { resolveTimeZone, wallToUtc, zoneOffsetMinutes } from './timezones';
import { fn, type FunctionContext, type FunctionTable } from './types';

const TICKS: Record<string, bigint> = {
  second: 10_000_000n,
  minute: 600_000_000n,
  hour: 36_000_000_000n,
  day: 864_000_000_000n,
  week: 6_048_000_000_000n,
};

function now(ctx: FunctionContext): DateTimeValue {
  const date = (ctx.scope.clock ?? (() => new Date()))();
  return fromUtcMs(date.getTime(), 'utc');
}

function ts(args: Value[], i: number, ctx: FunctionContext): DateTimeValue {
  return requireTimestamp(str(ctx.name, args, i), ctx.name);
}

function shift(d: DateTimeValue, amount: number, unit: string, fnName: string): DateTimeValue {
  const u = unit.toLowerCase().replace(/s$/, '');
  if (u === 'month') return addMonths(d, amount);
  if (u === 'year') return addMonths(d, amount * 12);
  const per = TICKS[u];
  if (!per) throw new FunctionFailure(`The function '${fnName}' expects a time unit of Second, Minute, Hour, Day, Week, Month or Year, got '${unit}'.`);
  return addTicks(d, BigInt(amount) * per);
}

/** Fractional amounts (addDays(x, 1.5)) are allowed; .NET rounds them to the nearest millisecond. */
function scaled(amount: number, unitTicks: bigint): bigint {
  return BigInt(Math.round(amount * Number(unitTicks / 10_000n))) * 10_000n;
}

function adder(name: string, unitTicks: bigint) {
  return fn(name, 2, 3, (args, ctx) => {
    const d = ts(args, 0, ctx);
    const amount = dbl(ctx.name, args, 1);
    return formatDate(addTicks(d, scaled(amount, unitTicks)), optStr(ctx.name, args, 2));
  });
}

function inZone(d: DateTimeValue, zone: string): DateTimeValue {
  const { ms, sub } = toMs(d);
  const offset = zoneOffsetMinutes(zone, ms);
  return fromUtcMs(ms + offset * 60000, 'unspecified', BigInt(sub));
}

function fromZone(d: DateTimeValue, zone: string): DateTimeValue {
  const { ms, sub } = toMs(d);
  return fromUtcMs(wallToUtc(zone, ms), 'utc', BigInt(sub));
}

/** Long-date shapes tried after the numeric ones when parseDateTime has no format ('20 octobre 2010', 'martes 20 octubre 2020'). */
const NAMED_DATE_PATTERNS = [
  'D',
  'F',
  'f',
  'M',
  'Y',
  'd MMMM yyyy',
  'dddd d MMMM yyyy',
  "d 'de' MMMM 'de' yyyy",
  "dddd, d 'de' MMMM 'de' yyyy",
  'MMMM d, yyyy',
  'd MMM yyyy',
  'MMM d, yyyy',
  'd. MMMM yyyy',
];

function parseAnyCultureFormat(text: string, locale: string | undefined, fnName: string): DateTimeValue {
  const numeric = parseTimestamp(text, isDayFirst(locale));
  if (numeric) return numeric;
  for (const pattern of NAMED_DATE_PATTERNS) {
    const d = parseWithFormat(text, pattern, locale);
    if (d) return d;
  }
  return requireTimestamp(text, fnName, isDayFirst(locale));
}

export const dateTimeFunctions: FunctionTable = {
  adddays: adder('addDays', TICKS.day),
  addhours: adder('addHours', TICKS.hour),
  addminutes: adder('addMinutes', TICKS.minute),
  addseconds: adder('addSeconds', TICKS.second),
  addtotime: fn('addToTime', 3, 4, (args, ctx) =>
    formatDate(shift(ts(args, 0, ctx), int(ctx.name, args, 1), str(ctx.name, args, 2), ctx.name), optStr(ctx.name, args, 3)),
  ),
  subtractfromtime: fn('subtractFromTime', 3, 4, (args, ctx) =>
    formatDate(shift(ts(args, 0, ctx), -int(ctx.name, args, 1), str(ctx.name, args, 2), ctx.name), optStr(ctx.name, args, 3)),
  ),
  getfuturetime: fn('getFutureTime', 2, 3, (args, ctx) =>
    formatDate(shift(now(ctx), int(ctx.name, args, 0), str(ctx.name, args, 1), ctx.name), optStr(ctx.name, args, 2)),
  ),
  getpasttime: fn('getPastTime', 2, 3, (args, ctx) =>
    formatDate(shift(now(ctx), -int(ctx.name, args, 0), str(ctx.name, args, 1), ctx.name), optStr(ctx.name, args, 2)),
  ),
  utcnow: fn('utcNow', 0, 1, (args, ctx) => formatDate(now(ctx), optStr(ctx.name, args, 0))),
  formatdatetime: fn('formatDateTime', 1, 3, (args, ctx) => formatDate(ts(args, 0, ctx), optStr(ctx.name, args, 1), optStr(ctx.name, args, 2))),
  parsedatetime: fn('parseDateTime', 1, 3, (args, ctx) => {
    const text = str(ctx.name, args, 0);
    const locale = optStr(ctx.name, args, 1);
    const format = optStr(ctx.name, args, 2);
    const d = format ? parseWithFormat(text, format, locale) : parseAnyCultureFormat(text, locale, ctx.name);
    if (!d) throw new FunctionFailure(`The function 'parseDateTime' could not read '${text}' with the format '${format}'.`);
    return formatDate(d, 'o');
  }),
  convertfromutc: fn('convertFromUtc', 2, 3, (args, ctx) => {
    const d = ts(args, 0, ctx);
    return formatDate(inZone(d, resolveTimeZone(str(ctx.name, args, 1), ctx.name)), optStr(ctx.name, args, 2));
  }),
  converttoutc: fn('convertToUtc', 2, 3, (args, ctx) => {
    const d = ts(args, 0, ctx);
    return formatDate(fromZone(d, resolveTimeZone(str(ctx.name, args, 1), ctx.name)), optStr(ctx.name, args, 2));
  }),
  converttimezone: fn('convertTimeZone', 3, 4, (args, ctx) => {
    const d = ts(args, 0, ctx);
    const utc = fromZone(d, resolveTimeZone(str(ctx.name, args, 1), ctx.name));
    return formatDate(inZone(utc, resolveTimeZone(str(ctx.name, args, 2), ctx.name)), optStr(ctx.name, args, 3));
  }),
  dayofmonth: fn('dayOfMonth', 1, 1, (args, ctx) => fields(ts(args, 0, ctx)).day),
  dayofweek: fn('dayOfWeek', 1, 1, (args, ctx) => fields(ts(args, 0, ctx)).dayOfWeek),
  dayofyear: fn('dayOfYear', 1, 1, (args, ctx) => {
    const f = fields(ts(args, 0, ctx));
    return Math.round((Date.UTC(2000, f.month - 1, f.day) - Date.UTC(2000, 0, 1)) / 86_400_000) + 1 - (f.month > 2 && !isLeap(f.year) ? 1 : 0);
  }),
  startofday: fn('startOfDay', 1, 2, (args, ctx) => {
    const d = ts(args, 0, ctx);
    const f = fields(d);
    return formatDate(fromFields({ ...f, hour: 0, minute: 0, second: 0, fraction: 0 }, d.kind), optStr(ctx.name, args, 1));
  }),
  startofhour: fn('startOfHour', 1, 2, (args, ctx) => {
    const d = ts(args, 0, ctx);
    const f = fields(d);
    return formatDate(fromFields({ ...f, minute: 0, second: 0, fraction: 0 }, d.kind), optStr(ctx.name, args, 1));
  }),
  startofmonth: fn('startOfMonth', 1, 2, (args, ctx) => {
    const d = ts(args, 0, ctx);
    const f = fields(d);
    return formatDate(fromFields({ ...f, day: 1, hour: 0, minute: 0, second: 0, fraction: 0 }, d.kind), optStr(ctx.name, args, 1));
  }),
  ticks: fn('ticks', 1, 1, (args, ctx) => makeInteger(ts(args, 0, ctx).ticks)),
  datedifference: fn('dateDifference', 2, 2, (args, ctx) => formatTimeSpan(ts(args, 1, ctx).ticks - ts(args, 0, ctx).ticks)),
};

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}
