/**
 * Resource-path parsing: `accounts(<guid>)`, `accounts(accountnumber='A''1',name='x')`,
 * `accounts(<guid>)/primarycontactid/$ref` (Learn: use-alternate-key-reference-record, webapi/associate-disassociate-entities-using-web-api). Quote-aware, so a
 * quoted key value may contain `/`, `,`, `)` or `=`.
 */
import { DvError } from './errors';

export type KeyLiteral =
  | { type: 'string'; value: string }
  | { type: 'guid'; value: string }
  | { type: 'number'; value: number; raw: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'null' };

export type ParsedKey = { kind: 'value'; value: KeyLiteral } | { kind: 'named'; pairs: Array<[string, KeyLiteral]> };

export interface PathSegment {
  /** The identifier before any parentheses (`accounts`, `$ref`, `Microsoft.Dynamics.CRM.CreateMultiple`). */
  name: string;
  key?: ParsedKey;
  /** The key text between the parentheses, exactly as sent (for echoing OData-EntityId). */
  rawKey?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isGuid = (s: string): boolean => GUID.test(s);

/** Malformed key syntax. 0x80060888 is the OData "Error in query syntax" code [U: not documented]. */
function bad(path: string, detail: string): DvError {
  return new DvError(400, '0x80060888', `Bad Request - Error in query syntax: ${detail} in '${path}'.`);
}

function parseLiteral(text: string, path: string): KeyLiteral {
  const t = text.trim();
  if (t.startsWith("'")) {
    if (t.length < 2 || !t.endsWith("'")) throw bad(path, `unterminated string literal ${t}`);
    const inner = t.slice(1, -1);
    if (inner.replace(/''/g, '').includes("'")) throw bad(path, `unescaped quote in ${t} (write a quote inside a value twice: 'O''Brien')`);
    return { type: 'string', value: inner.replace(/''/g, "'") };
  }
  if (isGuid(t)) return { type: 'guid', value: t.toLowerCase() };
  if (t === 'true' || t === 'false') return { type: 'boolean', value: t === 'true' };
  if (t === 'null') return { type: 'null' };
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?[mMdDlL]?$/.test(t)) return { type: 'number', value: Number(t.replace(/[mMdDlL]$/, '')), raw: t };
  throw bad(path, `unrecognized key value ${t || '(empty)'}`);
}

/** Split on `sep` outside quoted strings (and outside parentheses when `depthAware`). */
function splitOutside(text: string, sep: string, depthAware: boolean): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'")
      quoted = !quoted; // '' toggles twice, which keeps us inside the string
    else if (!quoted && depthAware && c === '(') depth++;
    else if (!quoted && depthAware && c === ')') depth--;
    else if (!quoted && depth === 0 && c === sep) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function parseKey(rawKey: string, path: string): ParsedKey {
  const parts = splitOutside(rawKey, ',', false);
  const first = parts[0];
  if (parts.length === 1 && !/^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(first)) return { kind: 'value', value: parseLiteral(first, path) };
  const pairs: Array<[string, KeyLiteral]> = [];
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw bad(path, `key part "${p}" is not name=value`);
    pairs.push([p.slice(0, eq).trim(), parseLiteral(p.slice(eq + 1), path)]);
  }
  return { kind: 'named', pairs };
}

/** Parse a decoded resource path (no leading slash, no query) into segments. */
export function parsePath(path: string): PathSegment[] {
  const clean = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (!clean) return [];
  return splitOutside(clean, '/', true).map((seg) => {
    const open = seg.indexOf('(');
    if (open < 0) return { name: seg };
    if (!seg.endsWith(')')) throw bad(path, `segment "${seg}" has text after its closing parenthesis`);
    const rawKey = seg.slice(open + 1, -1);
    return { name: seg.slice(0, open), rawKey, key: rawKey === '' ? undefined : parseKey(rawKey, path) };
  });
}

/**
 * Reduce an entity reference URL (as in `@odata.bind` / `@odata.id`) to its resource path:
 * absolute (`https://org/api/data/v9.2/contacts(…)`), rooted (`/contacts(…)`) or relative (`contacts(…)`).
 */
export function referencePath(url: string): string {
  let s = url.trim();
  const api = s.match(/\/api\/data\/v\d+(\.\d+)?\//i);
  if (api) s = s.slice(api.index! + api[0].length);
  else if (/^https?:\/\//i.test(s)) s = new URL(s).pathname;
  try {
    s = decodeURIComponent(s);
  } catch {
    // keep as sent; a literal % in a key value is allowed to fail later with a key error
  }
  return s.replace(/^\/+/, '');
}

/** OData literal form of a value for echoing keys (`'O''Brien'`, numbers and GUIDs bare). */
export function formatKeyLiteral(v: KeyLiteral): string {
  switch (v.type) {
    case 'string':
      return `'${v.value.replace(/'/g, "''")}'`;
    case 'guid':
      return v.value;
    case 'number':
      return v.raw;
    case 'boolean':
      return String(v.value);
    case 'null':
      return 'null';
  }
}
