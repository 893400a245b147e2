/** String functions. indexOf/lastIndexOf/nthIndexOf/startsWith/endsWith ignore case; contains/replace do not. */
import { randomBytes } from 'crypto';
import { FunctionFailure } from '../errors';
import { toDisplayString } from '../values';
import { int, optStr, str } from './args';
import { formatNumber } from './number-format';
import { fn, type FunctionTable } from './types';

function fold(s: string): string {
  return s.toLowerCase();
}

function guid(format: string, random?: () => number): string {
  const bytes = random ? Buffer.from(Array.from({ length: 16 }, () => Math.floor(random() * 256) & 0xff)) : randomBytes(16);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const h = bytes.toString('hex');
  const d = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  switch (format.toUpperCase()) {
    case 'N':
      return h;
    case 'D':
      return d;
    case 'B':
      return `{${d}}`;
    case 'P':
      return `(${d})`;
    case 'X': {
      const p = (s: string) => `0x${s}`;
      const tail = h.slice(16).match(/../g)!.map(p).join(',');
      return `{${p(h.slice(0, 8))},${p(h.slice(8, 12))},${p(h.slice(12, 16))},{${tail}}}`;
    }
    default:
      throw new FunctionFailure(`The function 'guid' expects a format of 'N', 'D', 'B', 'P' or 'X', got '${format}'.`);
  }
}

export const stringFunctions: FunctionTable = {
  concat: fn('concat', 1, Infinity, (args, ctx) => {
    let total = 0;
    const parts = args.map((a) => {
      const s = toDisplayString(a);
      total += s.length;
      ctx.budget.size(total, 'string');
      return s;
    });
    return parts.join('');
  }),
  substring: fn('substring', 2, 3, (args, ctx) => {
    const text = str(ctx.name, args, 0);
    const start = int(ctx.name, args, 1);
    const length = args.length > 2 && args[2] !== null ? int(ctx.name, args, 2) : text.length - start;
    if (start < 0) throw new FunctionFailure(`The function 'substring' expects a start index of 0 or more, got ${start}.`);
    if (start > text.length)
      throw new FunctionFailure(`The function 'substring': the start index ${start} is past the end of the ${text.length}-character string.`);
    if (length < 0) throw new FunctionFailure(`The function 'substring' expects a length of 0 or more, got ${length}.`);
    if (start + length > text.length) {
      throw new FunctionFailure(`The function 'substring': start index ${start} plus length ${length} must not exceed the string length ${text.length}.`);
    }
    return text.substr(start, length);
  }),
  slice: fn('slice', 2, 3, (args, ctx) => {
    const text = str(ctx.name, args, 0);
    const len = text.length;
    const clamp = (i: number) => Math.min(len, Math.max(0, i < 0 ? len + i : i));
    const start = clamp(int(ctx.name, args, 1));
    const end = args.length > 2 && args[2] !== null ? clamp(int(ctx.name, args, 2)) : len;
    return start >= end ? '' : text.slice(start, end);
  }),
  replace: fn('replace', 3, 3, (args, ctx) => {
    const text = str(ctx.name, args, 0);
    const oldText = str(ctx.name, args, 1);
    const newText = str(ctx.name, args, 2);
    if (oldText === '') throw new FunctionFailure("The function 'replace' expects a non-empty string to replace (second parameter).");
    const count = text.split(oldText).length - 1;
    ctx.budget.size(text.length + count * (newText.length - oldText.length), 'string');
    return text.split(oldText).join(newText);
  }),
  split: fn('split', 2, 2, (args, ctx) => {
    const text = str(ctx.name, args, 0);
    const delimiter = str(ctx.name, args, 1);
    if (delimiter === '') return [text];
    return ctx.budget.collection(text.split(delimiter));
  }),
  tolower: fn('toLower', 1, 1, (args, ctx) => str(ctx.name, args, 0).toLowerCase()),
  toupper: fn('toUpper', 1, 1, (args, ctx) => str(ctx.name, args, 0).toUpperCase()),
  trim: fn('trim', 1, 1, (args, ctx) => str(ctx.name, args, 0).trim()),
  indexof: fn('indexOf', 2, 2, (args, ctx) => fold(str(ctx.name, args, 0)).indexOf(fold(str(ctx.name, args, 1)))),
  lastindexof: fn('lastIndexOf', 2, 2, (args, ctx) => {
    const text = str(ctx.name, args, 0);
    const search = str(ctx.name, args, 1);
    if (search === '') return text === '' ? 0 : text.length - 1;
    if (text === '') return -1;
    return fold(text).lastIndexOf(fold(search));
  }),
  nthindexof: fn('nthIndexOf', 3, 3, (args, ctx) => {
    const text = fold(str(ctx.name, args, 0));
    const search = fold(str(ctx.name, args, 1));
    const occurrence = int(ctx.name, args, 2);
    if (occurrence === 0) throw new FunctionFailure("The function 'nthIndexOf' expects a non-zero occurrence (negative counts from the end).");
    if (search === '') return occurrence > 0 ? 0 : text.length;
    let found = -1;
    if (occurrence > 0) {
      let from = 0;
      for (let n = 0; n < occurrence; n++) {
        ctx.budget.step();
        found = text.indexOf(search, from);
        if (found < 0) return -1;
        from = found + 1;
      }
    } else {
      let from = text.length;
      for (let n = 0; n < -occurrence; n++) {
        ctx.budget.step();
        if (from < 0) return -1;
        found = text.lastIndexOf(search, from);
        if (found < 0) return -1;
        from = found - 1;
      }
    }
    return found;
  }),
  startswith: fn('startsWith', 2, 2, (args, ctx) => fold(str(ctx.name, args, 0)).startsWith(fold(str(ctx.name, args, 1)))),
  endswith: fn('endsWith', 2, 2, (args, ctx) => fold(str(ctx.name, args, 0)).endsWith(fold(str(ctx.name, args, 1)))),
  guid: fn('guid', 0, 1, (args, ctx) => guid(optStr(ctx.name, args, 0) ?? 'D', ctx.scope.random)),
  formatnumber: fn('formatNumber', 2, 3, (args, ctx) => formatNumber(args, ctx.name)),
};
