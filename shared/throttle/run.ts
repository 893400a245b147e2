/**
 * The run loop shared by a single lane and the user pool: pick a lane, take a slot, run, and on a
 * retryable failure wait (for the lane's pause or the backoff) only if that wait fits the budget;
 * otherwise throw RescheduleError so the caller re-enqueues the work instead of sleeping on a lock.
 */
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from '../dataverse/retry';
import { sleep, type Clock } from './clock';
import { RescheduleError } from './errors';
import { isThrottleSignal, type ThrottleSignal } from './signal';

/** A slot taken on a lane. */
export interface Permit {
  /** Idempotent. */
  release(): void;
}

/** What the run loop needs of a lane (ThrottleLane implements it): the loop does not import the lane. */
export interface RunLane {
  readonly id: string;
  pausedUntil(): number;
  acquire(signal?: AbortSignal, deadline?: number): Promise<Permit>;
  throttled(retryAfterMs: number, concurrencyLimit?: number): void;
}

/** Takes a slot on some lane (the user pool: whichever lane frees first); default: `pick()`'s lane. */
export type SlotAcquirer<L extends RunLane = RunLane> = (signal?: AbortSignal, deadline?: number) => Promise<{ lane: L; permit: Permit }>;

/** Whether an error is the server telling this lane to back off. */
export function isThrottle(error: unknown): error is ThrottleSignal {
  return isThrottleSignal(error);
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Time the caller can still spend (message lock / function time left), in ms from now. */
  budgetMs?: number;
  /** The same as an absolute epoch-ms deadline; the earlier of the two wins. */
  deadline?: number;
  retry?: RetryPolicy;
  /** Jitter source (tests pass a fixed one). */
  random?: () => number;
}

export async function runOnLanes<T, L extends RunLane>(
  pick: () => L,
  fn: (lane: L, signal?: AbortSignal) => Promise<T>,
  clock: Clock,
  options: RunOptions = {},
  acquire?: SlotAcquirer<L>,
): Promise<T> {
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  const deadlines = [options.deadline, options.budgetMs === undefined ? undefined : clock.now() + options.budgetMs].filter((d): d is number => d !== undefined);
  const deadline = deadlines.length ? Math.min(...deadlines) : undefined;
  let failures = 0;
  for (;;) {
    const picked = pick();
    const now = clock.now();
    if (deadline !== undefined && picked.pausedUntil() > deadline) {
      throw new RescheduleError(new Date(picked.pausedUntil()), now, `lane ${picked.id} is paused by the server (429 Retry-After)`, { laneId: picked.id });
    }
    const { lane, permit } = acquire ? await acquire(options.signal, deadline) : { lane: picked, permit: await picked.acquire(options.signal, deadline) };
    let error: unknown;
    try {
      return await fn(lane, options.signal);
    } catch (e) {
      error = e;
      if (isThrottle(e)) lane.throttled(e.retryAfterMs ?? 0, e.concurrencyLimit);
    } finally {
      permit.release();
    }
    failures++;
    const delay = retryDelayMs(error, failures, policy, options.random);
    if (delay === undefined) throw error;
    if (isThrottle(error)) {
      // The lane is paused now; the next pick routes to another user or waits in acquire() for the pause.
      const next = pick();
      if (deadline !== undefined && next.pausedUntil() > deadline) {
        throw new RescheduleError(new Date(next.pausedUntil()), clock.now(), `every usable lane is paused by the server (last: ${lane.id})`, {
          laneId: next.id,
          cause: error,
        });
      }
      continue;
    }
    const resumeAt = clock.now() + delay;
    if (deadline !== undefined && resumeAt > deadline) {
      throw new RescheduleError(new Date(resumeAt), clock.now(), `a transient error needs a ${delay} ms backoff`, {
        laneId: lane.id,
        cause: error,
        backoff: true,
      });
    }
    await sleep(clock, delay, options.signal);
  }
}
