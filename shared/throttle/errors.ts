/**
 * Thrown instead of sleeping past the caller's budget (message lock / function time left): the caller
 * schedules the work again for `notBefore` (a scheduled enqueue) and completes the current message.
 */
export class RescheduleError extends Error {
  override readonly name = 'RescheduleError';
  readonly retryable = true;
  readonly notBefore: Date;
  /** Milliseconds from the moment of throwing until notBefore. */
  readonly retryAfterMs: number;
  readonly laneId: string | undefined;

  constructor(notBefore: Date, now: number, reason: string, options: { laneId?: string; cause?: unknown } = {}) {
    super(
      `Rescheduling: ${reason}; the work can run again at ${notBefore.toISOString()}, which is beyond the time budget. Enqueue it for then and complete the current message.`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.notBefore = notBefore;
    this.retryAfterMs = Math.max(0, notBefore.getTime() - now);
    this.laneId = options.laneId;
  }
}

export function isRescheduleError(e: unknown): e is RescheduleError {
  return e instanceof RescheduleError;
}
