/**
 * What the throttle reads of a failed call: "the server paced this user, come back after retryAfterMs".
 * DataverseError (kind `throttled`, from a 429 or a service-protection code) carries it; the throttle
 * needs nothing else of the error, so it does not depend on the client's error class.
 */
export interface ThrottleSignal {
  readonly kind: 'throttled';
  readonly retryAfterMs?: number;
  /** The user's concurrency limit when the server named it (a concurrency 429). */
  readonly concurrencyLimit?: number;
}

export function isThrottleSignal(error: unknown): error is ThrottleSignal {
  return typeof error === 'object' && error !== null && (error as { kind?: unknown }).kind === 'throttled';
}
