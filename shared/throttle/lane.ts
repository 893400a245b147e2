/**
 * One throttle lane per (environment, application user): an async semaphore whose size follows the
 * server. AIMD: `x-ms-dop-hint` caps it (never above 52), a 429 halves it and pauses the whole lane
 * until Retry-After, every limit's worth of successes adds one back. The rate-limit headers brake it
 * as the remaining burst/time approach 0. Service-protection limits are per user and shared by every
 * instance that uses the user, so each instance reacting to the server's own 429s backs off together.
 */
import { DEFAULT_THROTTLE_RETRY_MS } from '../dataverse/errors';
import type { ResponseMeta } from '../dataverse/meta';
import { systemClock, type Clock } from './clock';
import { DATAVERSE_MAX_CONCURRENCY, parseLaneOptions, type LaneOptions } from './options';
import { RescheduleError } from './errors';
import { runOnLanes, type Permit, type RunOptions } from './run';
import { enqueueWaiter, type QueuedWaiter } from './wait-queue';

export type { Permit } from './run';

export interface LaneSnapshot {
  id: string;
  limit: number;
  effectiveLimit: number;
  ceiling: number;
  inFlight: number;
  waiting: number;
  pausedUntil: number;
}

export class ThrottleLane {
  readonly options: LaneOptions;
  /** The concurrency limit a 429 named (undefined until one does). */
  private serverLimit: number | undefined;
  private limit: number;
  private ceiling: number;
  private inFlight = 0;
  private pausedUntilMs = 0;
  private brake: { factor: number; at: number } | undefined;
  private readonly waiters: QueuedWaiter<Permit>[] = [];
  private cancelResumeTimer: (() => void) | undefined;
  private readonly capacityListeners: Array<() => void> = [];

  constructor(
    readonly id: string,
    options: Parameters<typeof parseLaneOptions>[0] = {},
    readonly clock: Clock = systemClock,
  ) {
    this.options = parseLaneOptions(options);
    this.ceiling = this.options.maxConcurrency;
    this.limit = this.options.initialConcurrency;
  }

  /** Concurrency allowed right now (after the rate-limit brake), at least 1. */
  effectiveLimit(): number {
    let factor = 1;
    if (this.brake && this.clock.now() - this.brake.at <= this.options.brakeTtlMs) factor = this.brake.factor;
    return Math.max(1, Math.floor(this.limit * factor));
  }

  pausedUntil(): number {
    return this.pausedUntilMs;
  }

  isPaused(): boolean {
    return this.pausedUntilMs > this.clock.now();
  }

  /** Free slots now (0 while paused); may be negative right after a decrease. */
  headroom(): number {
    if (this.isPaused()) return 0;
    return this.effectiveLimit() - this.inFlight - this.waiters.length;
  }

  snapshot(): LaneSnapshot {
    return {
      id: this.id,
      limit: this.limit,
      effectiveLimit: this.effectiveLimit(),
      ceiling: this.ceiling,
      inFlight: this.inFlight,
      waiting: this.waiters.length,
      pausedUntil: this.pausedUntilMs,
    };
  }

  /**
   * Waits for a slot (and for any pause to end). Rejects with the signal's reason on abort, or with a
   * RescheduleError when `deadline` (epoch ms) passes first.
   */
  acquire(signal?: AbortSignal, deadline?: number): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.waiters.length === 0 && this.canStart()) return Promise.resolve(this.grant());
    const waiting = enqueueWaiter(this.waiters, {
      signal,
      deadline,
      clock: this.clock,
      onDeadline: () => {
        const now = this.clock.now();
        const notBefore = Math.max(this.pausedUntilMs, now + 1000);
        return new RescheduleError(new Date(notBefore), now, `lane ${this.id} had no free slot before the deadline`, { laneId: this.id });
      },
    });
    this.pump();
    return waiting;
  }

  /** A slot now if one is free and nobody is queued on this lane; else undefined (never waits). */
  tryAcquire(): Permit | undefined {
    return this.waiters.length === 0 && this.canStart() ? this.grant() : undefined;
  }

  /** Calls `listener` whenever a slot is free after this lane's own waiters were served (a release, a pause ending). */
  onCapacity(listener: () => void): () => void {
    this.capacityListeners.push(listener);
    return () => {
      const at = this.capacityListeners.indexOf(listener);
      if (at >= 0) this.capacityListeners.splice(at, 1);
    };
  }

  /** Runs `fn` in a slot of this lane with retries inside the budget (see runOnLanes). */
  run<T>(fn: (signal?: AbortSignal) => Promise<T>, options?: RunOptions): Promise<T> {
    return runOnLanes(
      () => this,
      (_lane, signal) => fn(signal),
      this.clock,
      options,
    );
  }

  /** Feeds the lane one response's metadata (wire it to the client's onResponse). */
  observe(meta: ResponseMeta): void {
    if (meta.dopHint !== undefined) {
      const hinted = Math.floor(Math.min(meta.dopHint, this.serverLimit ?? Infinity) * this.options.dopShare);
      this.ceiling = Math.max(1, Math.min(this.options.maxConcurrency, DATAVERSE_MAX_CONCURRENCY, hinted));
      if (this.limit > this.ceiling) this.limit = this.ceiling;
    }
    this.observeRateLimits(meta);
    if (meta.status === 429) {
      this.throttled(meta.retryAfterMs ?? DEFAULT_THROTTLE_RETRY_MS);
    } else if (meta.status >= 200 && meta.status < 300 && this.inFlight >= this.effectiveLimit() - 1) {
      // Additive increase, only while the lane is actually using its limit (else it would overshoot later).
      this.limit = Math.min(this.ceiling, this.limit + this.options.increaseStep / this.limit);
    }
    this.pump();
  }

  /**
   * The server said 429: halve the limit and pause the whole lane until Retry-After. 429s that arrive
   * while already paused (requests that were in flight) only extend the pause: one decrease per event.
   */
  throttled(retryAfterMs: number, concurrencyLimit?: number): void {
    const now = this.clock.now();
    if (concurrencyLimit !== undefined) this.learnConcurrencyLimit(concurrencyLimit);
    if (this.pausedUntilMs <= now) this.limit = Math.max(1, Math.floor(this.limit * this.options.decreaseFactor));
    this.pauseUntil(now + retryAfterMs);
  }

  /**
   * The server named the user's concurrency limit: it caps this lane's share from now on, as the dop hint does
   * (a fleet of instances shares the limit: dopShare is this instance's part of it).
   */
  private learnConcurrencyLimit(limit: number): void {
    this.serverLimit = Math.min(this.serverLimit ?? Infinity, limit);
    this.ceiling = Math.max(1, Math.min(this.ceiling, Math.floor(limit * this.options.dopShare)));
    if (this.limit > this.ceiling) this.limit = this.ceiling;
  }

  /** Pauses without a decrease (e.g. a pause learned from elsewhere). */
  pauseUntil(untilMs: number): void {
    if (untilMs <= this.pausedUntilMs) return;
    this.pausedUntilMs = untilMs;
    this.cancelResumeTimer?.();
    this.cancelResumeTimer = this.clock.setTimer(() => {
      this.cancelResumeTimer = undefined;
      this.pump();
    }, untilMs - this.clock.now());
  }

  private observeRateLimits(meta: ResponseMeta): void {
    const factors: number[] = [];
    if (meta.burstRemaining !== undefined) factors.push(meta.burstRemaining / this.options.burstLowWater);
    if (meta.timeRemainingMs !== undefined) factors.push(meta.timeRemainingMs / this.options.timeLowWaterMs);
    if (factors.length === 0) return;
    this.brake = { factor: Math.min(1, ...factors), at: this.clock.now() };
  }

  private canStart(): boolean {
    return !this.isPaused() && this.inFlight < this.effectiveLimit();
  }

  private grant(): Permit {
    this.inFlight++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.inFlight--;
        this.pump();
      },
    };
  }

  private pump(): void {
    while (this.waiters.length > 0 && this.canStart()) {
      const waiter = this.waiters[0];
      waiter.grant(this.grant());
    }
    for (const listener of [...this.capacityListeners]) {
      if (!this.canStart()) break;
      listener();
    }
  }
}
