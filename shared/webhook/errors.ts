/**
 * Rejections of an intake request. Each carries the HTTP status Dataverse (or an ingest caller) gets,
 * a stable machine code, and a message that says what was wrong, where, and what to do.
 * Dataverse retries only 502/503/504 (once), so everything permanent is a 4xx and everything
 * transient is a 503 with Retry-After.
 */
import type { PathProblem } from '../util/path';

export type RejectionCode =
  | 'unauthorized'
  | 'unknown_organization'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'invalid_encoding'
  | 'malformed_json'
  | 'invalid_payload'
  | 'invalid_records'
  | 'unknown_route'
  | 'queue_unavailable'
  | 'storage_unavailable'
  | 'internal_error';

export class IntakeRejection extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 413 | 415 | 503,
    readonly code: RejectionCode,
    message: string,
    /** Per-item problems (path + message) for payload and record validation. */
    readonly problems: PathProblem[] = [],
    /** Seconds, for 503 answers. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'IntakeRejection';
  }
  get transient(): boolean {
    return this.status === 503;
  }
}
