/**
 * One `application/http` part: the inner request (`PATCH $1 HTTP/1.1`, headers, body) and the
 * rendering of its response (`HTTP/1.1 204 No Content`, headers, body) (Learn: webapi/execute-batch-operations-using-web-api).
 */
import { STATUS_CODES } from 'node:http';
import type { DvResponse } from '../types';
import { batchPayloadError } from './errors';
import type { MimePart } from './multipart';

export interface InnerRequest {
  method: string;
  /** URL exactly as written on the request line. */
  url: string;
  headers: Record<string, string>;
  body: string;
  contentId?: string;
}

const METHODS = new Set(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']);

export function parseInnerRequest(part: MimePart, where: string): InnerRequest {
  const type = part.headers['content-type'] ?? '';
  if (!/^application\/http\b/i.test(type)) {
    throw batchPayloadError(`${where}: the part's Content-Type must be 'application/http' (or 'multipart/mixed' for a change set), got '${type || '(none)'}'.`);
  }
  const encoding = part.headers['content-transfer-encoding'];
  if (!encoding || encoding.toLowerCase() !== 'binary') {
    throw batchPayloadError(
      `${where}: the 'Content-Transfer-Encoding' header is missing or not 'binary'; every request part needs 'Content-Transfer-Encoding: binary'.`,
    );
  }
  const lines = part.body.split('\r\n');
  const requestLine = lines[0] ?? '';
  const m = /^([A-Z]+) (\S+) (HTTP\/\d\.\d)$/.exec(requestLine.trim());
  if (!m) {
    throw batchPayloadError(
      `${where}: the request line '${requestLine}' is not valid. The request line at the start of each operation within a batch must be of the format 'HttpMethod RequestUrl HttpVersion'.`,
    );
  }
  if (m[3] !== 'HTTP/1.1') {
    throw batchPayloadError(`${where}: the HTTP version '${m[3]}' used in a batch operation request is not supported. Only 'HTTP/1.1' is supported.`);
  }
  if (!METHODS.has(m[1]))
    throw batchPayloadError(`${where}: the HTTP method '${m[1]}' is not valid in a batch operation; use GET, POST, PATCH, PUT or DELETE.`);
  const headers: Record<string, string> = {};
  let i = 1;
  for (; i < lines.length && lines[i] !== ''; i++) {
    const colon = lines[i].indexOf(':');
    if (colon <= 0) throw batchPayloadError(`${where}: the header line '${lines[i]}' of the inner request is not 'Name: value'.`);
    headers[lines[i].slice(0, colon).trim().toLowerCase()] = lines[i].slice(colon + 1).trim();
  }
  const body = lines
    .slice(i + 1)
    .join('\r\n')
    .replace(/(\r\n)+$/, '');
  return { method: m[1], url: m[2], headers, body, contentId: part.headers['content-id'] };
}

/** The text of one response part, CRLF throughout. */
export function renderResponsePart(res: DvResponse, contentId?: string): string {
  const lines = ['Content-Type: application/http', 'Content-Transfer-Encoding: binary'];
  if (contentId !== undefined) lines.push(`Content-ID: ${contentId}`);
  lines.push('', `HTTP/1.1 ${res.status} ${STATUS_CODES[res.status] ?? ''}`.trimEnd());
  for (const [k, v] of Object.entries(res.headers)) lines.push(`${headerCase(k)}: ${v}`);
  lines.push('');
  const body = res.body === undefined ? '' : Buffer.isBuffer(res.body) ? res.body.toString('utf8') : res.body;
  return `${lines.join('\r\n')}\r\n${body}`;
}

const SPECIAL: Record<string, string> = { 'odata-version': 'OData-Version', 'odata-entityid': 'OData-EntityId', etag: 'ETag', req_id: 'REQ_ID' };

function headerCase(name: string): string {
  return (
    SPECIAL[name] ??
    name
      .split('-')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join('-')
  );
}
