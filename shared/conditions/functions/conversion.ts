/** Conversion functions: types, base64, data URIs and URI components. */
import { FunctionFailure } from '../errors';
import { BinaryValue, DecimalValue, FloatValue, asDouble, formatDouble, isFloat, isInteger, isObject, makeFloat, toDisplayString, type Value } from '../values';
import { binaryOrString, optStr, str, typeError } from './args';
import { parseDecimal } from './decimal';
import { scanDotNetNumber, scannedToDouble } from './dotnet-number';
import { parseJsonText } from './json-text';
import { isXml, jsonToXml, parseXml, xmlToJson, XML_CONTENT_TYPE } from './xml';
import { localeNumbers } from './number-format';
import { fn, type FunctionTable } from './types';

const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;

/** Parse a float the way .NET does (NumberStyles.Any) with the culture's decimal and group separators. */
export function parseLocaleFloat(text: string, locale: string | undefined): number | undefined {
  const { decimal, group } = localeNumbers(locale ?? 'en-US');
  const scanned = scanDotNetNumber(text, decimal, group);
  if (!scanned) return undefined;
  const n = scannedToDouble(scanned);
  return Number.isFinite(n) ? n : undefined;
}

function toDecimal(v: Value, name: string): DecimalValue {
  if (v instanceof DecimalValue) return v;
  if (typeof v === 'string') return parseDecimal(v, name);
  if (isInteger(v)) return new DecimalValue(BigInt(v), 0);
  if (isFloat(v)) return parseDecimal(formatDouble(asDouble(v as unknown as number)), name);
  throw typeError(name, 0, 'a string or a number', v);
}

/** xml(): XML text is checked and kept; a JSON object (or JSON text) is converted the Json.NET way. */
function toXml(v: Value, name: string, maxDepth: number): BinaryValue {
  if (isXml(v)) return v;
  if (typeof v === 'string' && /^\s*</.test(v)) {
    parseXml(v, name);
    return new BinaryValue(Buffer.from(v, 'utf8'), XML_CONTENT_TYPE);
  }
  const value = typeof v === 'string' ? parseJsonText(v, maxDepth) : v;
  if (!isObject(value)) throw typeError(name, 0, 'XML text or a JSON object', v);
  return new BinaryValue(Buffer.from(jsonToXml(value, name), 'utf8'), XML_CONTENT_TYPE);
}

function base64Bytes(name: string, text: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) {
    throw new FunctionFailure(`The function '${name}' expects a valid base64 string.`);
  }
  return Buffer.from(clean, 'base64');
}

/** Uri.EscapeDataString: everything except RFC 3986 unreserved characters is percent-encoded. */
export function escapeDataString(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Uri.UnescapeDataString: decodes valid %XX sequences (UTF-8), leaves invalid ones as they are. */
export function unescapeDataString(s: string): string {
  return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run.replace(/%([0-9A-Fa-f]{2})/g, (m, h: string) => (parseInt(h, 16) < 0x80 ? String.fromCharCode(parseInt(h, 16)) : m));
    }
  });
}

function parseDataUri(name: string, uri: string): BinaryValue {
  const m = /^data:([^,]*?),(.*)$/s.exec(uri);
  if (!m) throw new FunctionFailure(`The function '${name}' expects a data URI ('data:[<media type>][;base64],<data>').`);
  const meta = m[1];
  const isBase64 = /;base64$/i.test(meta);
  const mediaType = (isBase64 ? meta.slice(0, -7) : meta) || 'text/plain;charset=US-ASCII';
  const bytes = isBase64 ? base64Bytes(name, m[2]) : Buffer.from(unescapeDataString(m[2]), 'utf8');
  return new BinaryValue(bytes, mediaType);
}

function toBool(v: Value, name: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === null) return false;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true') return true;
    if (t === 'false') return false;
    throw new FunctionFailure(`The function '${name}' cannot convert the string '${v}' to a boolean: use 'true' or 'false'.`);
  }
  if (typeof v === 'number' || typeof v === 'bigint' || v instanceof FloatValue) return asDouble(v) !== 0;
  throw typeError(name, 0, 'a boolean, a number or a string', v);
}

function toInt(v: Value, name: string): Value {
  if (isInteger(v)) return v;
  if (typeof v === 'string') {
    if (!INTEGER_TEXT.test(v)) throw new FunctionFailure(`The function '${name}' cannot convert the string '${v}' to an integer.`);
    const big = BigInt(v.trim().replace(/^\+/, ''));
    if (big > 2n ** 63n - 1n || big < -(2n ** 63n)) throw new FunctionFailure(`The function '${name}': '${v}' does not fit in a 64-bit integer.`);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }
  if (isFloat(v)) {
    // Convert.ToInt64 rounds half to even.
    const d = asDouble(v as unknown as number);
    const r = Math.round(d);
    return Math.abs(d % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw typeError(name, 0, 'a string or a number', v);
}

function toFloat(v: Value, locale: string | undefined, name: string): Value {
  if (isInteger(v) || isFloat(v)) return makeFloat(asDouble(v as unknown as number));
  if (typeof v === 'string') {
    const n = parseLocaleFloat(v, locale);
    if (n === undefined) throw new FunctionFailure(`The function '${name}' cannot convert the string '${v}' to a float.`);
    return makeFloat(n);
  }
  throw typeError(name, 0, 'a string or a number', v);
}

export const conversionFunctions: FunctionTable = {
  array: fn('array', 1, 1, ([v]) => [v]),
  createarray: fn('createArray', 0, Infinity, (args, ctx) => ctx.budget.collection([...args])),
  bool: fn('bool', 1, 1, ([v], ctx) => toBool(v, ctx.name)),
  int: fn('int', 1, 1, ([v], ctx) => toInt(v, ctx.name)),
  float: fn('float', 1, 2, (args, ctx) => toFloat(args[0], optStr(ctx.name, args, 1), ctx.name)),
  decimal: fn('decimal', 1, 1, ([v], ctx) => toDecimal(v, ctx.name)),
  isint: fn('isInt', 1, 1, ([v]) => (typeof v === 'string' ? INTEGER_TEXT.test(v) : isInteger(v))),
  isfloat: fn('isFloat', 1, 2, (args, ctx) => {
    const v = args[0];
    if (typeof v !== 'string') return isInteger(v) || isFloat(v);
    return parseLocaleFloat(v, optStr(ctx.name, args, 1)) !== undefined;
  }),
  string: fn('string', 1, 1, ([v], ctx) => ctx.budget.string(toDisplayString(v))),
  xml: fn('xml', 1, 1, ([v], ctx) => toXml(v, ctx.name, ctx.budget.limits.maxDepth)),
  json: fn('json', 1, 1, ([v], ctx) => {
    if (v === null) return {};
    if (isXml(v)) return xmlToJson(parseXml(v.bytes.toString('utf8'), ctx.name));
    if (typeof v === 'string') return parseJsonText(v, ctx.budget.limits.maxDepth);
    if (v instanceof BinaryValue) return parseJsonText(v.bytes.toString('utf8'), ctx.budget.limits.maxDepth);
    if (Array.isArray(v) || isObject(v)) return v;
    throw typeError(ctx.name, 0, 'a string', v);
  }),
  base64: fn('base64', 1, 1, ([v], ctx) => {
    const bytes = v instanceof BinaryValue ? v.bytes : Buffer.from(toDisplayString(v), 'utf8');
    return ctx.budget.string(bytes.toString('base64'));
  }),
  base64tostring: fn('base64ToString', 1, 1, (args, ctx) => base64Bytes(ctx.name, str(ctx.name, args, 0)).toString('utf8')),
  decodebase64: fn('decodeBase64', 1, 1, (args, ctx) => base64Bytes(ctx.name, str(ctx.name, args, 0)).toString('utf8')),
  base64tobinary: fn('base64ToBinary', 1, 1, (args, ctx) => new BinaryValue(base64Bytes(ctx.name, str(ctx.name, args, 0)))),
  binary: fn('binary', 1, 1, (args, ctx) => new BinaryValue(binaryOrString(ctx.name, args, 0))),
  datauri: fn('dataUri', 1, 1, ([v], ctx) => {
    if (v instanceof BinaryValue) return `data:${v.contentType};base64,${v.bytes.toString('base64')}`;
    return ctx.budget.string(`data:text/plain;charset=utf-8;base64,${Buffer.from(toDisplayString(v), 'utf8').toString('base64')}`);
  }),
  datauritobinary: fn('dataUriToBinary', 1, 1, (args, ctx) => parseDataUri(ctx.name, str(ctx.name, args, 0))),
  decodedatauri: fn('decodeDataUri', 1, 1, (args, ctx) => parseDataUri(ctx.name, str(ctx.name, args, 0))),
  datauritostring: fn('dataUriToString', 1, 1, (args, ctx) => parseDataUri(ctx.name, str(ctx.name, args, 0)).bytes.toString('utf8')),
  uricomponent: fn('uriComponent', 1, 1, ([v], ctx) => ctx.budget.string(escapeDataString(toDisplayString(v)))),
  encodeuricomponent: fn('encodeUriComponent', 1, 1, ([v], ctx) => ctx.budget.string(escapeDataString(toDisplayString(v)))),
  uricomponenttostring: fn('uriComponentToString', 1, 1, (args, ctx) => unescapeDataString(str(ctx.name, args, 0))),
  decodeuricomponent: fn('decodeUriComponent', 1, 1, (args, ctx) => unescapeDataString(str(ctx.name, args, 0))),
  uricomponenttobinary: fn('uriComponentToBinary', 1, 1, (args, ctx) => new BinaryValue(Buffer.from(unescapeDataString(str(ctx.name, args, 0)), 'utf8'))),
};
