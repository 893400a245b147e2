/**
 * The one failure vocabulary: whoever throws decides what a retry can do (as Temporal's
 * `ApplicationFailure` and inngest's `RetryAfterError` carry their own retry semantics). Vendor errors
 * (Dataverse codes, HTTP statuses, SDK errors) are translated into failures once, at the adapter that
 * meets them; code above reads `retry` and `reason`, never status codes or message texts.
 *
 * - `never`: the same input fails again (bad data, bad configuration): record it for a person;
 * - `later`: it can succeed after `notBefore` (throttled, a backoff longer than the time left): schedule it;
 * - `redeliver`: it may succeed right away (transient): try again now, or let the host redeliver.
 */
export type Retry = 'never' | 'later' | 'redeliver';

export interface FailureOptions {
  cause?: unknown;
  /** retry `later`: the earliest time a retry can succeed. */
  notBefore?: Date;
  /** retry `redeliver`: the server's hint for the wait before the next attempt. */
  retryAfterMs?: number;
}

export class Failure extends Error {
  override name = 'Failure';
  readonly notBefore: Date | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    /** A stable machine-readable reason (telemetry, failure records). */
    readonly reason: string,
    readonly retry: Retry,
    message: string,
    options: FailureOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.notBefore = options.notBefore;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** Kept for callers that only ask "may a retry help?". */
  get retryable(): boolean {
    return this.retry !== 'never';
  }
}

export function isFailure(e: unknown): e is Failure {
  return e instanceof Failure;
}
