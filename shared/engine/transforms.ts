/** Column transforms from the routes file, applied in order to one plain value. */
import { ExactDecimal } from '../model/decimal';
import type { Transform } from '../routes/schema';

/** A target column value. ExactDecimal: a money/decimal amount kept digit for digit (written by toWireJson). */
export type PlainValue = string | number | boolean | null | ExactDecimal;

export class TransformError extends Error {
  override name = 'TransformError';
}

export function applyTransforms(value: PlainValue, transforms: readonly Transform[]): PlainValue {
  return transforms.reduce<PlainValue>((v, t) => applyOne(v, t), value);
}

/** Text of a value as a transform sees it: an exact amount gives its digits, not the rounded double. */
function text(v: Exclude<PlainValue, null>): string {
  return v instanceof ExactDecimal ? v.text : String(v);
}

function applyOne(v: PlainValue, t: Transform): PlainValue {
  if (typeof t === 'string') {
    switch (t) {
      case 'trim':
        return typeof v === 'string' ? v.trim() : v;
      case 'upper':
        return typeof v === 'string' ? v.toUpperCase() : v;
      case 'lower':
        return typeof v === 'string' ? v.toLowerCase() : v;
      case 'nullIfEmpty':
        return v === '' ? null : v;
      case 'toString':
        return v === null ? null : text(v);
      case 'toNumber': {
        // An exact amount already is a number; keeping it exact keeps every digit.
        if (v === null || typeof v === 'number' || v instanceof ExactDecimal) return v;
        if (typeof v === 'boolean') return v ? 1 : 0;
        const n = Number(v.trim());
        if (v.trim() === '' || !Number.isFinite(n)) throw new TransformError(`toNumber: ${JSON.stringify(v)} is not a number`);
        return n;
      }
      case 'toBoolean': {
        if (v === null || typeof v === 'boolean') return v;
        if (typeof v === 'number') return v !== 0;
        if (v instanceof ExactDecimal) return /[1-9]/.test(v.text.split(/[eE]/)[0]);
        const s = v.trim().toLowerCase();
        if (['true', '1', 'yes', 'y'].includes(s)) return true;
        if (['false', '0', 'no', 'n'].includes(s)) return false;
        throw new TransformError(`toBoolean: ${JSON.stringify(v)} is not a boolean (use true/false, 1/0, yes/no)`);
      }
      case 'dateOnly': {
        if (v === null) return null;
        const d = new Date(typeof v === 'number' ? v : v instanceof ExactDecimal ? Number(v.text) : String(v));
        if (typeof v === 'boolean' || Number.isNaN(d.getTime())) throw new TransformError(`dateOnly: ${JSON.stringify(v)} is not a date`);
        return d.toISOString().slice(0, 10);
      }
    }
  }
  if ('truncate' in t) return typeof v === 'string' ? v.slice(0, t.truncate) : v;
  if ('default' in t) return v === null || v === '' ? t.default : v;
  if ('prefix' in t) return v === null ? null : `${t.prefix}${text(v)}`;
  if ('map' in t) {
    const k = v === null ? 'null' : text(v);
    if (Object.prototype.hasOwnProperty.call(t.map, k)) return t.map[k];
    if (t.otherwise !== undefined) return t.otherwise;
    throw new TransformError(`map: no entry for ${JSON.stringify(v)} and no "otherwise" (known: ${Object.keys(t.map).slice(0, 10).join(', ')})`);
  }
  return v;
}
