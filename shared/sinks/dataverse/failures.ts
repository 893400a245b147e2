/**
 * The Dataverse sink's errors in the engine's vocabulary (shared/engine/write-failure.ts). This is the
 * only file that reads Dataverse status codes, error codes and message texts; the engine decides on
 * `reason`, `retry` and the flags alone. Sources: Learn, reference/web-service-error-codes and
 * webapi/compose-http-requests-handle-errors; bulk messages: use-createmultiple-updatemultiple.
 */
import { Failure } from '../../model/failure';
import type { SystemicCause } from '../../ledger/circuits';
import { WriteFailure, type RecordKind } from '../../engine/write-failure';

/** Missing row by id, by key, and a reference (lookup) to a missing row. */
const MISSING_ROW_CODES = new Set(['0x80040217', '0x80060891', '0x80048d02']);
/** DuplicateRecord, a key value that already exists. */
const DUPLICATE_CODES = new Set(['0x80040237', '0x80060892']);
/** SQL timeout / deadlock (−2147204783 / −2147204784): the request was too heavy; shrink and retry. */
const PRESSURE_CODES = new Set(['0x80044151', '0x80044150']);
/** Missing privilege ("SecLib::CheckPrivilege failed … is missing prv… privilege"). */
const PRIVILEGE_CODE = '0x80040220';
/** EntityKeyNotDefined (also what a key whose index is not Active answers). */
const KEY_NOT_DEFINED_CODE = '0x80060890';
/** Resource not found for the segment: an unknown entity set, or an action not bound to it. */
const UNKNOWN_SEGMENT_CODE = '0x8006088a';
/** SdkEntityDoesNotSupportMessage: "The 'CreateMultiple' method does not support entities of type 'account'." */
const UNSUPPORTED_MESSAGE_CODE = '0x80040800';
/** Payload errors that name a column or navigation property the target table does not have. */
const UNKNOWN_PROPERTY = /Invalid property '[^']+' was found|An undeclared property '[^']+'|Could not find a property named '[^']+'/;

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  status?: unknown;
  code?: unknown;
  kind?: unknown;
  retryable?: unknown;
  retryAfterMs?: unknown;
  cause?: unknown;
}

function isDuplicate(code: string | undefined, status: number): boolean {
  return (code !== undefined && DUPLICATE_CODES.has(code)) || (status === 412 && code !== '0x80060882' && code !== '0x80040333');
}

/**
 * A thrown error of a Dataverse call (DataverseError, the throttle's RescheduleError, a network error) as
 * a WriteFailure: throttled / backoff (later), unsupported (another path), transient or overloaded
 * (redeliver), systemic (stops the route) or rejected (this record).
 */
export function dataverseFailure(err: unknown): WriteFailure {
  if (err instanceof WriteFailure) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (err instanceof Failure && err.retry === 'later') {
    return new WriteFailure({ reason: err.reason === 'backoff' ? 'backoff' : 'throttled', message, notBefore: err.notBefore ?? new Date(), cause: err });
  }
  const status = typeof e.status === 'number' ? e.status : undefined;
  const code = typeof e.code === 'string' ? e.code.toLowerCase() : undefined;
  const vendor = { status, code };
  const kind = typeof e.kind === 'string' ? e.kind : undefined;
  if (status === undefined) {
    // No HTTP answer: a network failure is transient; a request refused locally (kind set, not retryable) is the record's fault.
    if (kind !== undefined && e.retryable === false && kind !== 'auth')
      return new WriteFailure({ reason: 'rejected', kind: kind as RecordKind, message, vendor, cause: err });
    return new WriteFailure({ reason: 'transient', message, vendor, cause: err });
  }
  if (isUnsupportedMessage(status, code, message)) return new WriteFailure({ reason: 'unsupported', message, vendor, cause: err });
  const systemic = systemicCause(status, code, message);
  if (systemic) return new WriteFailure({ reason: 'systemic', systemic, message, vendor, cause: err });
  const pressure = (code !== undefined && PRESSURE_CODES.has(code)) || status === 408 || status === 504 || /sql timeout|timeout expired/i.test(message);
  const retryAfterMs = typeof e.retryAfterMs === 'number' ? e.retryAfterMs : undefined;
  const retryable = e.retryable === true || kind === 'transient' || kind === 'throttled' || status === 429 || status >= 500 || pressure;
  if (retryable || kind === 'auth') return new WriteFailure({ reason: pressure ? 'overloaded' : 'transient', message, retryAfterMs, vendor, cause: err });
  return new WriteFailure({
    reason: 'rejected',
    kind: status === 404 ? 'notFound' : ((kind as RecordKind | undefined) ?? kindFromStatus(status, code)),
    message,
    vendor,
    rowExists: status === 412 && isDuplicate(code, status),
    ...(status === 404 && code !== undefined && MISSING_ROW_CODES.has(code) ? { missingRow: missingRow(message) } : {}),
    cause: err,
  });
}

/** Which tables a missing-row answer names: Dataverse says "account With Id = … Does Not Exist" for a bound row. */
function missingRow(message: string): { mentions(table: string): boolean; byReference: boolean } {
  return { mentions: (table) => new RegExp(`\\b${table}\\b`, 'i').test(message), byReference: /With Id/.test(message) };
}

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
  if (status === 404 && code === UNKNOWN_SEGMENT_CODE) return 'unknownTable';
  return undefined;
}

/** The bulk message (or $batch) is not available for this table: fall back to the next write path. */
function isUnsupportedMessage(status: number, code: string | undefined, message: string): boolean {
  if (code === UNSUPPORTED_MESSAGE_CODE && status >= 400 && status < 500) return true;
  if (status === 404 && code === UNKNOWN_SEGMENT_CODE && /Multiple/.test(message)) return true; // action not bound to this set
  if (status === 501) return true;
  return (
    /(is not supported for|not yet implemented|message .* is not supported|The '?\w*Multiple'? message|does not support entities of type)/i.test(message) &&
    status >= 400 &&
    status < 500
  );
}

function kindFromStatus(status: number, code: string | undefined): RecordKind {
  if (status === 412) return isDuplicate(code, status) ? 'duplicateKey' : 'precondition';
  if (status === 403) return 'privilege';
  if (status === 401) return 'auth';
  if (status === 400) return 'validation';
  return 'permanent';
}
