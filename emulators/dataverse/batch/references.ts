/**
 * Turning an inner request into a `DvRequest`: resolving `$n` Content-ID references in the
 * request line and in `@odata.bind` / `@odata.id` body values (Learn: webapi/execute-batch-operations-using-web-api), and
 * reducing absolute or rooted URLs to the path after `/api/data/v9.x/`.
 */
import type { DvRequest } from '../types';
import { batchPayloadError, unknownContentId } from './errors';
import type { InnerRequest } from './http-part';

/** Content-ID → absolute entity URL of the row that part created or addressed. */
export type ContentIds = Map<string, string>;

function resolveUrl(url: string, refs: ContentIds): string {
  const m = /^\$(\d+)(.*)$/.exec(url);
  if (!m) return url;
  const target = refs.get(m[1]);
  if (!target) throw unknownContentId(`$${m[1]}`);
  return target + m[2];
}

function apiRelative(url: string, where: string): string {
  const api = /\/api\/data\/v\d+(?:\.\d+)?\//i.exec(url);
  if (api) return url.slice(api.index + api[0].length);
  if (/^https?:\/\//i.test(url)) throw batchPayloadError(`${where}: the URL '${url}' is not under /api/data/v9.2/.`);
  return url.replace(/^\/+/, '');
}

function replaceReferences(value: unknown, refs: ContentIds): unknown {
  if (typeof value === 'string' && /^\$\d+$/.test(value)) {
    const target = refs.get(value.slice(1));
    if (!target) throw unknownContentId(value);
    return target;
  }
  if (Array.isArray(value)) return value.map((v) => replaceReferences(v, refs));
  return value;
}

/** Body with `$n` in reference-valued properties replaced; non-JSON bodies pass through for the handler to reject. */
function resolveBody(body: string, refs: ContentIds): string {
  if (!body.includes('$')) return body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return body;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    out[k] = k.endsWith('@odata.bind') || k === '@odata.id' ? replaceReferences(v, refs) : v;
  }
  return JSON.stringify(out);
}

export function toDvRequest(inner: InnerRequest, refs: ContentIds, where: string): DvRequest {
  const url = apiRelative(resolveUrl(inner.url, refs), where);
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw batchPayloadError(`${where}: the URL '${inner.url}' has an invalid percent-encoding.`);
  }
  return {
    method: inner.method,
    path,
    query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
    headers: inner.headers,
    body: Buffer.from(resolveBody(inner.body, refs), 'utf8'),
  };
}

/** The URL `$n` stands for: OData-EntityId of a 204, else the row in a representation body. */
export function entityUrlOf(
  headers: Record<string, string>,
  body: string | Buffer | undefined,
  baseUrl: string,
  primaryIdOf: (set: string) => string | undefined,
): string | undefined {
  if (headers['odata-entityid']) return headers['odata-entityid'];
  if (headers['location']) return headers['location'];
  if (body === undefined) return undefined;
  try {
    const json = JSON.parse(body.toString()) as Record<string, unknown>;
    const set = /#([A-Za-z_][A-Za-z0-9_]*)[(/]/.exec(String(json['@odata.context'] ?? ''))?.[1];
    const pk = set ? primaryIdOf(set) : undefined;
    return set && pk && typeof json[pk] === 'string' ? `${baseUrl}${set}(${json[pk]})` : undefined;
  } catch {
    return undefined;
  }
}
