/**
 * OData `$batch` (Learn: webapi/execute-batch-operations-using-web-api): builds multipart/mixed bodies (CRLF, change sets, Content-ID) and
 * parses multipart responses into one outcome per requested operation. Our own implementation, from
 * the documented wire format; the response boundary is read from the response Content-Type.
 */
import { toWireJson } from './wire-json';
import { randomUUID } from 'node:crypto';
import { classify, DataverseError } from './errors';

const CRLF = '\r\n';
/** Dataverse rejects more than 1,000 requests per batch (and per change set). */
export const MAX_BATCH_OPERATIONS = 1000;

export interface BatchOperation {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Relative to the Web API base (`accounts(…)`), absolute, or a Content-ID reference (`$1`, `$1/name`). */
  url: string;
  headers?: Record<string, string>;
  /** JSON body (objects are serialised). */
  body?: unknown;
  /** Content-ID (change-set operations get one assigned when absent). */
  contentId?: string;
}

export type BatchItem = BatchOperation | { changeSet: BatchOperation[] };

export interface BuiltBatch {
  contentType: string;
  body: string;
  /** The operations in request order with the Content-IDs actually used (change-set ops always have one). */
  operations: Array<BatchOperation & { changeSetIndex?: number }>;
}

export interface BatchPart {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  /** Parsed JSON, the raw text when not JSON, or undefined when empty. */
  body: unknown;
  contentId?: string;
}

export type BatchOutcome =
  | { state: 'succeeded'; part: BatchPart }
  | { state: 'failed'; part: BatchPart; error: DataverseError }
  /** Part of a change set that failed elsewhere: rolled back by the server; `error` is the set's failure. */
  | { state: 'rolledBack'; error?: DataverseError }
  /** Not run: the batch stopped at an earlier failure (no continue-on-error). */
  | { state: 'notExecuted' };

export function isChangeSet(item: BatchItem): item is { changeSet: BatchOperation[] } {
  return Array.isArray((item as { changeSet?: unknown }).changeSet);
}

function requestTarget(url: string, baseUrl: string): string {
  if (url.startsWith('$')) return url;
  const absolute = new URL(url, baseUrl);
  return `${absolute.pathname}${absolute.search}`;
}

function renderOperation(op: BatchOperation, baseUrl: string): string {
  const lines = ['Content-Type: application/http', 'Content-Transfer-Encoding: binary'];
  if (op.contentId !== undefined) lines.push(`Content-ID: ${op.contentId}`);
  lines.push('', `${op.method} ${requestTarget(op.url, baseUrl)} HTTP/1.1`);
  const headers: Record<string, string> = { ...op.headers };
  const hasBody = op.body !== undefined && op.method !== 'GET' && op.method !== 'DELETE';
  if (hasBody && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = op.method === 'POST' ? 'application/json; type=entry' : 'application/json';
  }
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  lines.push('');
  lines.push(hasBody ? (typeof op.body === 'string' ? op.body : toWireJson(op.body)) : '');
  return lines.join(CRLF);
}

/** Builds the multipart body. GETs are not allowed in change sets; at most 1,000 operations. */
export function buildBatch(items: readonly BatchItem[], baseUrl: string, boundaryId: string = randomUUID()): BuiltBatch {
  const batchBoundary = `batch_${boundaryId}`;
  const operations: BuiltBatch['operations'] = [];
  const used = new Set<string>();
  for (const item of items) for (const op of isChangeSet(item) ? item.changeSet : [item]) if (op.contentId !== undefined) used.add(op.contentId);
  let nextId = 1;
  const freshId = (): string => {
    while (used.has(String(nextId))) nextId++;
    used.add(String(nextId));
    return String(nextId);
  };
  const total = items.reduce((n, item) => n + (isChangeSet(item) ? item.changeSet.length : 1), 0);
  if (total === 0) throw new DataverseError({ kind: 'validation', message: 'A $batch needs at least one operation.' });
  if (total > MAX_BATCH_OPERATIONS) {
    throw new DataverseError({
      kind: 'validation',
      message: `A $batch holds at most ${MAX_BATCH_OPERATIONS} operations; got ${total}. Split it into several batches.`,
    });
  }

  const parts: string[] = [];
  items.forEach((item, index) => {
    if (!isChangeSet(item)) {
      operations.push(item);
      parts.push(`--${batchBoundary}${CRLF}${renderOperation(item, baseUrl)}`);
      return;
    }
    if (item.changeSet.length === 0) throw new DataverseError({ kind: 'validation', message: `Change set #${index} is empty; remove it or add operations.` });
    const changeBoundary = `changeset_${randomUUID()}`;
    const inner = item.changeSet.map((op, opIndex) => {
      if (op.method === 'GET') {
        throw new DataverseError({
          kind: 'validation',
          message: `Change set #${index} operation #${opIndex} is a GET; GET is not allowed inside a change set. Put it outside.`,
        });
      }
      const withId = { ...op, contentId: op.contentId ?? freshId() };
      operations.push({ ...withId, changeSetIndex: index });
      return `--${changeBoundary}${CRLF}${renderOperation(withId, baseUrl)}`;
    });
    parts.push(
      `--${batchBoundary}${CRLF}Content-Type: multipart/mixed; boundary=${changeBoundary}${CRLF}${CRLF}${inner.join(CRLF)}${CRLF}--${changeBoundary}--`,
    );
  });
  return {
    contentType: `multipart/mixed; boundary=${batchBoundary}`,
    body: `${parts.join(CRLF)}${CRLF}--${batchBoundary}--${CRLF}`,
    operations,
  };
}

export function boundaryOf(contentType: string): string | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2]) : undefined;
}

interface RawEntity {
  headers: Record<string, string>;
  body: string;
}

/** Splits `head CRLF CRLF body` (CRLF or LF) into lower-cased headers and the rest. */
function splitEntity(text: string): RawEntity {
  const match = /\r?\n\r?\n/.exec(text);
  const headText = match ? text.slice(0, match.index) : text;
  const body = match ? text.slice(match.index + match[0].length) : '';
  const headers: Record<string, string> = {};
  for (const line of headText.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const pieces = body.split(delimiter);
  const parts: string[] = [];
  // pieces[0] is the preamble; a piece starting with "--" is the close delimiter's epilogue.
  for (const piece of pieces.slice(1)) {
    if (piece.startsWith('--')) break;
    parts.push(piece.replace(/^[ \t]*\r?\n/, '').replace(/\r?\n$/, ''));
  }
  return parts;
}

function parseHttpPart(entity: RawEntity, where: string): BatchPart {
  const inner = entity.body.replace(/^(\r?\n)+/, '');
  const lineEnd = /\r?\n/.exec(inner);
  const statusLine = lineEnd ? inner.slice(0, lineEnd.index) : inner;
  const status = /^HTTP\/\d(?:\.\d)?\s+(\d{3})\s*(.*)$/.exec(statusLine.trim());
  if (!status)
    throw new DataverseError({
      kind: 'transient',
      message: `Unreadable $batch response ${where}: expected an HTTP status line, got ${JSON.stringify(statusLine.slice(0, 80))}.`,
    });
  const rest = lineEnd ? inner.slice(lineEnd.index + lineEnd[0].length) : '';
  const { headers, body } = rest.trim() === '' ? { headers: {}, body: '' } : splitEntity(rest);
  const trimmed = body.replace(/(\r?\n)+$/, '');
  let parsed: unknown = trimmed === '' ? undefined : trimmed;
  if (trimmed !== '' && /json/i.test(headers['content-type'] ?? 'application/json')) {
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      parsed = trimmed;
    }
  }
  const part: BatchPart = { status: Number(status[1]), statusText: status[2].trim(), headers, body: parsed };
  const contentId = entity.headers['content-id'] ?? headers['content-id'];
  if (contentId !== undefined) part.contentId = contentId;
  return part;
}

/** One entry per top-level response part; a change set answers as an array of its parts. */
export function parseBatchResponse(contentType: string, body: string): Array<BatchPart | BatchPart[]> {
  const boundary = boundaryOf(contentType);
  if (!boundary || !/^multipart\/mixed/i.test(contentType.trim())) {
    throw new DataverseError({
      kind: 'transient',
      message: `The $batch response is not multipart/mixed with a boundary (Content-Type: ${contentType || 'none'}).`,
    });
  }
  return splitMultipart(body, boundary).map((raw, index) => {
    const entity = splitEntity(raw);
    const type = entity.headers['content-type'] ?? '';
    if (/^multipart\/mixed/i.test(type)) {
      const inner = boundaryOf(type);
      if (!inner) throw new DataverseError({ kind: 'transient', message: `$batch response part #${index} is a change set without a boundary.` });
      return splitMultipart(entity.body, inner).map((p, i) => parseHttpPart(splitEntity(p), `part #${index}.${i}`));
    }
    return parseHttpPart(entity, `part #${index}`);
  });
}

function outcomeOf(part: BatchPart): BatchOutcome {
  if (part.status >= 200 && part.status < 300) return { state: 'succeeded', part };
  return { state: 'failed', part, error: classify({ status: part.status, headers: part.headers, body: part.body }) };
}

/**
 * Lines the response up with the request: one outcome per operation in `built.operations` order.
 * Responses come back in request order; a failed change set answers only for its failing operation.
 */
export function matchOutcomes(built: BuiltBatch, parsed: Array<BatchPart | BatchPart[]>): BatchOutcome[] {
  const outcomes: BatchOutcome[] = [];
  let cursor = 0;
  let index = 0;
  while (index < built.operations.length) {
    const op = built.operations[index];
    const response = parsed[cursor];
    if (op.changeSetIndex === undefined) {
      outcomes.push(response === undefined ? { state: 'notExecuted' } : Array.isArray(response) ? outcomeOf(response[0]) : outcomeOf(response));
      cursor++;
      index++;
      continue;
    }
    const setOps = built.operations.filter((o) => o.changeSetIndex === op.changeSetIndex);
    const parts = response === undefined ? [] : Array.isArray(response) ? response : [response];
    const byId = new Map(parts.filter((p) => p.contentId !== undefined).map((p) => [p.contentId as string, p]));
    const failedPart = parts.find((p) => p.status >= 400);
    const setError = failedPart ? classify({ status: failedPart.status, headers: failedPart.headers, body: failedPart.body }) : undefined;
    for (const [i, setOp] of setOps.entries()) {
      const part = byId.get(setOp.contentId as string) ?? (byId.size === 0 && parts.length === setOps.length ? parts[i] : undefined);
      if (part) outcomes.push(outcomeOf(part));
      else if (response === undefined || !setError) outcomes.push({ state: 'notExecuted' });
      else outcomes.push({ state: 'rolledBack', error: setError });
    }
    if (response !== undefined) cursor++;
    index += setOps.length;
  }
  return outcomes;
}
