/** Engine errors and the classification of errors coming back through the Dataverse port. */

/** A routes/engine configuration mistake found when the engine is built (never at write time). */
export class EngineConfigError extends Error {
  override name = 'EngineConfigError';
}

/** A change that cannot be mapped to a target write; permanent (retrying gives the same result). */
export class MappingError extends Error {
  override name = 'MappingError';
  readonly retryable = false;
  constructor(
    readonly route: string,
    readonly column: string | undefined,
    message: string,
  ) {
    super(`Route "${route}"${column ? `, column "${column}"` : ''}: ${message}`);
  }
}

/** The batch as a whole cannot proceed right now (storage down, Dataverse unreachable): the host redelivers it. */
export class BatchTransientError extends Error {
  override name = 'BatchTransientError';
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export type WriteErrorKind =
  | 'throttled'
  | 'transient'
  | 'notFound'
  | 'precondition'
  | 'duplicateKey'
  | 'validation'
  | 'privilege'
  | 'auth'
  | 'permanent';

export type { SystemicCause } from '../ledger/circuits';
import type { SystemicCause } from '../ledger/circuits';

/** What the engine needs to know about a failed Dataverse call. */
export type ClassifiedError =
  /** No record of the route can succeed until the target or the configuration changes: open its circuit, do not split. */
  | { type: 'systemic'; cause: SystemicCause; status?: number; code?: string; message: string }
  /** throttled: the server paced the user (not the record's fault); else a transient failure's backoff outgrew the budget. */
  | { type: 'reschedule'; notBefore: Date; message: string; throttled: boolean }
  | { type: 'unsupported'; message: string }
  | { type: 'transient'; status?: number; code?: string; message: string; retryAfterMs?: number; pressure: boolean }
  | { type: 'record'; status?: number; code?: string; kind: WriteErrorKind; message: string };

const MISSING_ROW_CODES = new Set(['0x80040217', '0x80060891', '0x80048d02']);
const DUPLICATE_CODES = new Set(['0x80040237', '0x80060892']);
/** SQL timeout / deadlock (−2147204783 / −2147204784): the request was too heavy; shrink and retry. */
const PRESSURE_CODES = new Set(['0x80044151', '0x80044150']);

export function isMissingRowCode(code: string | undefined): boolean {
  return code !== undefined && MISSING_ROW_CODES.has(code.toLowerCase());
}

export function isDuplicateCode(code: string | undefined, status?: number): boolean {
  return (code !== undefined && DUPLICATE_CODES.has(code.toLowerCase())) || (status === 412 && code !== '0x80060882' && code !== '0x80040333');
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  status?: unknown;
  code?: unknown;
  kind?: unknown;
  retryable?: unknown;
  retryAfterMs?: unknown;
  notBefore?: unknown;
  cause?: unknown;
}

/**
 * Sorts a thrown error into: reschedule (throttle wait too long), unsupported (the server does not
 * offer this write path for the table), transient (retry the same request, maybe smaller), or record
 * (this data is wrong; retrying cannot help).
 */
export function classifyWriteError(err: unknown): ClassifiedError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (e.notBefore instanceof Date || e.name === 'RescheduleError') {
    const notBefore = e.notBefore instanceof Date ? e.notBefore : new Date(typeof e.notBefore === 'string' || typeof e.notBefore === 'number' ? e.notBefore : Date.now());
    const cause = (typeof e.cause === 'object' && e.cause !== null ? e.cause : undefined) as ErrorLike | undefined;
    const throttled = cause === undefined || cause.kind === 'throttled' || cause.status === 429;
    return { type: 'reschedule', notBefore, message, throttled };
  }
  const status = typeof e.status === 'number' ? e.status : undefined;
  const code = typeof e.code === 'string' ? e.code.toLowerCase() : undefined;
  if (status === undefined) {
    // No HTTP answer: a network failure is transient; a request refused locally (kind set, not retryable) is the record's fault.
    if (typeof e.kind === 'string' && e.retryable === false && e.kind !== 'auth') return { type: 'record', kind: e.kind as WriteErrorKind, message };
    return { type: 'transient', message, pressure: false };
  }
  if (isUnsupportedMessage(status, code, message)) return { type: 'unsupported', message };
  const cause = systemicCause(status, code, message);
  if (cause) return { type: 'systemic', cause, status, code, message };
  const kind = (typeof e.kind === 'string' ? e.kind : undefined) as WriteErrorKind | undefined;
  const pressure = (code !== undefined && PRESSURE_CODES.has(code)) || status === 408 || status === 504 || /sql timeout|timeout expired/i.test(message);
  const retryable = e.retryable === true || kind === 'transient' || kind === 'throttled' || status === 429 || status >= 500 || pressure;
  if (retryable || kind === 'auth') {
    return { type: 'transient', status, code, message, retryAfterMs: typeof e.retryAfterMs === 'number' ? e.retryAfterMs : undefined, pressure };
  }
  return { type: 'record', status, code, kind: kind ?? kindFromStatus(status, code), message };
}

/** Missing privilege (Learn: reference/web-service-error-codes, "SecLib::CheckPrivilege failed … is missing prv… privilege"). */
const PRIVILEGE_CODE = '0x80040220';
/** EntityKeyNotDefined (also what a key whose index is not Active answers). */
const KEY_NOT_DEFINED_CODE = '0x80060890';
/** Payload errors that name a column or navigation property the target table does not have. */
const UNKNOWN_PROPERTY = /Invalid property '[^']+' was found|An undeclared property '[^']+'|Could not find a property named '[^']+'/;

/**
 * Errors no split, retry or other record can fix: 401 after the client's token refresh, a missing
 * privilege, an alternate key that is not defined or not Active, an unknown column, an unknown entity set.
 * Anything else stays record-level (a 403 on one record's access, a value out of range…).
 */
export function systemicCause(status: number, code: string | undefined, message: string): SystemicCause | undefined {
  if (status === 401) return 'auth';
  if (status === 403 && (code === PRIVILEGE_CODE || /is missing prv\w+ privilege/i.test(message))) return 'privilege';
  if (status === 400 && code === KEY_NOT_DEFINED_CODE) return 'inactiveKey';
  if (status === 400 && UNKNOWN_PROPERTY.test(message)) return 'unknownColumn';
  if (status === 404 && code === '0x8006088a') return 'unknownTable';
  return undefined;
}

/** SdkEntityDoesNotSupportMessage: "The 'CreateMultiple' method does not support entities of type 'account'." */
const UNSUPPORTED_MESSAGE_CODE = '0x80040800';

/** The bulk message (or $batch) is not available for this table: fall back to the next write path. */
function isUnsupportedMessage(status: number, code: string | undefined, message: string): boolean {
  if (code === UNSUPPORTED_MESSAGE_CODE && status >= 400 && status < 500) return true;
  if (status === 404 && code === '0x8006088a' && /Multiple/.test(message)) return true; // action not bound to this set
  if (status === 501) return true;
  return /(is not supported for|not yet implemented|message .* is not supported|The '?\w*Multiple'? message|does not support entities of type)/i.test(message) && status >= 400 && status < 500;
}

function kindFromStatus(status: number, code: string | undefined): WriteErrorKind {
  if (status === 404) return 'notFound';
  if (status === 412) return isDuplicateCode(code, status) ? 'duplicateKey' : 'precondition';
  if (status === 403) return 'privilege';
  if (status === 401) return 'auth';
  if (status === 400) return 'validation';
  return 'permanent';
}

/** A `blobRef` names a blob that does not exist (deleted, or written to another account): permanent. */
export class BlobNotFoundError extends Error {
  override name = 'BlobNotFoundError';
  readonly retryable = false;
}
