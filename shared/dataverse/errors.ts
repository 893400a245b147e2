/**
 * Typed Dataverse errors carrying their retry semantics, classified from Microsoft's error tables
 * (Learn: webapi/compose-http-requests-handle-errors, reference/web-service-error-codes). Callers branch on `kind` / `retryable` / `retryAfterMs`, never on text.
 * One entry point: `classify(response | thrown error)`.
 */
import { headerValue, readResponseMeta, type ResponseMeta } from './meta';

export type DataverseErrorKind =
  | 'throttled' // 429 service protection: retry after Retry-After
  | 'transient' // 5xx, timeouts, connection resets, SQL timeout/deadlock: retry with backoff
  | 'notFound' // row (or bind target) does not exist
  | 'precondition' // ETag mismatch or other 412
  | 'duplicateKey' // alternate key / duplicate rule / create-only conflict
  | 'validation' // 400: the request itself is wrong
  | 'privilege' // 403: the application user lacks a privilege
  | 'auth' // 401: token missing/expired/invalid (after one refresh)
  | 'permanent'; // anything else that a retry cannot fix

export interface DataverseErrorInit {
  kind: DataverseErrorKind;
  status?: number;
  code?: string;
  message: string;
  retryAfterMs?: number;
  /** A concurrency 429 names the user's limit ("… exceeded the limit of 52."): environments report 40, 52 or 100. */
  concurrencyLimit?: number;
  meta?: ResponseMeta;
  method?: string;
  url?: string;
  /** Extra error fields the server sent (innererror, CDS ErrorDetails annotations). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

const RETRYABLE: ReadonlySet<DataverseErrorKind> = new Set(['throttled', 'transient']);

export class DataverseError extends Error {
  override readonly name = 'DataverseError';
  readonly kind: DataverseErrorKind;
  /** HTTP status; undefined when no response arrived (timeout, reset) or the request was refused locally. */
  readonly status: number | undefined;
  /** Dataverse error code, lower-case hex (`0x80060892`), or '' when the server sent none. */
  readonly code: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly concurrencyLimit: number | undefined;
  readonly meta: ResponseMeta | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(init: DataverseErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.status = init.status;
    this.code = (init.code ?? '').toLowerCase();
    this.retryable = RETRYABLE.has(init.kind);
    this.retryAfterMs = init.retryAfterMs;
    this.concurrencyLimit = init.concurrencyLimit;
    this.meta = init.meta;
    this.method = init.method;
    this.url = init.url;
    this.details = init.details;
  }
}

export function isDataverseError(e: unknown): e is DataverseError {
  return e instanceof DataverseError;
}

/** Service-protection codes (Learn: api-limits): request count, execution time, concurrency (two variants). */
export const THROTTLE_CODES: ReadonlySet<string> = new Set(['0x80072322', '0x80072321', '0x80072326', '0x80072327']);
const NOT_FOUND_CODES = new Set(['0x80040217', '0x80060891', '0x80048d02']);
const DUPLICATE_CODES = new Set(['0x80060892', '0x80040237', '0x80040333']);
/** SQL timeout (−2147204783) and generic SQL error/deadlock (−2147204784): retry with a smaller batch. */
const SQL_TRANSIENT_CODES = new Set(['0x80044151', '0x80044150']);
/** Without a Retry-After on a 429 we still must not hot-retry. */
export const DEFAULT_THROTTLE_RETRY_MS = 5_000;

const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

export interface ErrorResponse {
  status: number;
  headers?: Headers | Record<string, string | undefined>;
  /** Parsed JSON body, or the raw text when it was not JSON. */
  body?: unknown;
  meta?: ResponseMeta;
  method?: string;
  url?: string;
}

interface Envelope {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

function readEnvelope(body: unknown): Envelope | undefined {
  const parsed = typeof body === 'string' ? tryJson(body) : body;
  if (!parsed || typeof parsed !== 'object') return undefined;
  const error = (parsed as { error?: unknown }).error;
  if (!error || typeof error !== 'object') return undefined;
  const { code, message, ...rest } = error as Record<string, unknown>;
  return { code: typeof code === 'string' ? code : code === undefined ? '' : String(code), message: typeof message === 'string' ? message : '', details: rest };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function kindFor(status: number, code: string, message: string): DataverseErrorKind {
  if (status === 429 || THROTTLE_CODES.has(code)) return 'throttled';
  if (SQL_TRANSIENT_CODES.has(code)) return 'transient';
  if (status === 401) return 'auth';
  if (status === 403) return 'privilege';
  if (status === 404) return NOT_FOUND_CODES.has(code) || /does not exist/i.test(message) ? 'notFound' : 'permanent';
  if (status === 412) {
    if (DUPLICATE_CODES.has(code) || /already exists/i.test(message)) return 'duplicateKey';
    return 'precondition';
  }
  if (status === 408 || status === 500 || status === 502 || status === 503 || status === 504) return 'transient';
  if (status === 400 || status === 422) return 'validation';
  return 'permanent';
}

function responseFrom(input: ErrorResponse): DataverseError {
  const envelope = readEnvelope(input.body);
  const code = (envelope?.code ?? '').toLowerCase();
  const serverMessage = envelope?.message || (typeof input.body === 'string' && input.body.trim() ? input.body.trim().slice(0, 500) : '');
  const meta = input.meta ?? readResponseMeta(input.status, input.headers, 0);
  const kind = kindFor(input.status, code, serverMessage);
  let retryAfterMs = meta.retryAfterMs;
  if (kind === 'throttled' && retryAfterMs === undefined) retryAfterMs = DEFAULT_THROTTLE_RETRY_MS;
  const where = input.method && input.url ? ` (${input.method} ${input.url})` : '';
  const codeText = code ? ` ${code}` : '';
  const requestId = meta.requestId ?? headerValue(input.headers, 'req_id');
  return new DataverseError({
    kind,
    status: input.status,
    code,
    message: `Dataverse ${input.status}${codeText}${where}: ${serverMessage || 'no error message'}${hintFor(kind)}${requestId ? ` [request ${requestId}]` : ''}`,
    retryAfterMs,
    ...(kind === 'throttled' ? concurrencyLimitOf(code, serverMessage) : {}),
    meta,
    method: input.method,
    url: input.url,
    details: envelope && Object.keys(envelope.details).length > 0 ? envelope.details : undefined,
  });
}

/** Concurrency limit codes (Learn: api-limits, "Concurrent requests"): the message names the limit. */
const CONCURRENCY_CODES = new Set(['0x80072326', '0x80072327']);

function concurrencyLimitOf(code: string, message: string): { concurrencyLimit?: number } {
  const m = /concurrent requests exceeded the limit of (\d+)/i.exec(message);
  if (!m && !CONCURRENCY_CODES.has(code)) return {};
  const limit = m ? Number(m[1]) : NaN;
  return Number.isInteger(limit) && limit > 0 ? { concurrencyLimit: limit } : {};
}

function hintFor(kind: DataverseErrorKind): string {
  switch (kind) {
    case 'throttled':
      return ' (service protection: retry after Retry-After; add application users or lower concurrency)';
    case 'auth':
      return ' (check the credential, its tenant and that an Application user exists for it in this environment)';
    case 'privilege':
      return ' (give the application user a security role with this privilege)';
    default:
      return '';
  }
}

function transportFrom(error: unknown, context: { method?: string; url?: string }): DataverseError {
  const where = context.method && context.url ? ` (${context.method} ${context.url})` : '';
  if (error instanceof DataverseError) return error;
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError') {
    return new DataverseError({
      kind: 'transient',
      message: `Dataverse request timed out${where}; it may or may not have been applied`,
      cause: error,
      ...context,
    });
  }
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  const code = cause?.code ?? (error as { code?: string } | null)?.code;
  const text = cause?.message ?? (error as Error | null)?.message ?? String(error);
  if (code === 'ENOTFOUND') {
    return new DataverseError({
      kind: 'permanent',
      message: `Dataverse host not found${where}: ${text}. Check the environment url.`,
      cause: error,
      ...context,
    });
  }
  const transient =
    (code !== undefined && TRANSIENT_SOCKET_CODES.has(code)) ||
    (error instanceof TypeError && /fetch failed|terminated|other side closed/i.test(`${error.message} ${text}`));
  return new DataverseError({
    kind: transient ? 'transient' : 'permanent',
    message: `Dataverse connection failed${where}: ${code ? `${code} ` : ''}${text}`,
    cause: error,
    ...context,
  });
}

function isErrorResponse(input: unknown): input is ErrorResponse {
  return typeof input === 'object' && input !== null && typeof (input as ErrorResponse).status === 'number' && !(input instanceof Error);
}

/** The one classifier: an HTTP error response (status + headers + body) or a thrown transport error. */
export function classify(input: ErrorResponse | unknown, context: { method?: string; url?: string } = {}): DataverseError {
  if (isErrorResponse(input)) return responseFrom({ ...context, ...input });
  return transportFrom(input, context);
}
