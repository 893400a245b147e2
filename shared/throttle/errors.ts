/**
 * Thrown instead of sleeping past the caller's budget (message lock / function time left): the caller
 * schedules the work again for `notBefore` (a scheduled enqueue) and completes the current message.
 */
import { Failure } from '../model/failure';

export class RescheduleError extends Failure {
  override readonly name = 'RescheduleError';
  declare readonly notBefore: Date;
  /** Milliseconds from the moment of throwing until notBefore. */
  declare readonly retryAfterMs: number;
  readonly laneId: string | undefined;

  /** `backoff`: a transient failure's backoff outgrew the budget; otherwise the server paced the user (`throttled`). */
  constructor(notBefore: Date, now: number, reason: string, options: { laneId?: string; cause?: unknown; backoff?: boolean } = {}) {
    super(
      options.backoff ? 'backoff' : 'throttled',
      'later',
      `Rescheduling: ${reason}; the work can run again at ${notBefore.toISOString()}, which is beyond the time budget. Enqueue it for then and complete the current message.`,
      { notBefore, retryAfterMs: Math.max(0, notBefore.getTime() - now), cause: options.cause },
    );
    this.laneId = options.laneId;
  }
}

export function isRescheduleError(e: unknown): e is RescheduleError {
  return e instanceof RescheduleError;
}
