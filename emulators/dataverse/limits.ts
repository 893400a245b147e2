/**
 * Service protection limits per user (Learn: api-limits): a sliding window for the request
 * count and for combined execution time (both trip only after being exceeded) and a concurrency
 * gate (trips at once). Windows run on real time scaled by timeScale.
 */
import { DvError, dvErrors } from './errors';
import type { Limits } from './options';

interface UserWindow {
  requests: number[]; // real-time ms of admitted requests
  executions: Array<{ at: number; ms: number }>; // completion time, model ms
  executionSum: number;
  inFlight: number;
}

export interface Admission {
  release(executionMs: number): void;
  headers(): Record<string, string>;
}

const SECONDS_FORMAT: Intl.NumberFormatOptions = { minimumFractionDigits: 2, maximumFractionDigits: 2 };

export class ServiceProtection {
  private users = new Map<string, UserWindow>();

  constructor(
    public limits: Limits,
    public timeScale: number,
    private readonly clock: () => number = Date.now,
  ) {}

  private windowMs(): number {
    return this.limits.windowSeconds * 1000 * this.timeScale;
  }

  /** Retry-After header value: whole seconds at timeScale 1, fractional seconds when scaled. */
  retryAfter(modelSeconds: number): string {
    const real = Math.max(modelSeconds * this.timeScale, 0.001);
    return this.timeScale === 1 ? String(Math.max(1, Math.ceil(real))) : real.toFixed(3);
  }

  private window(user: string): UserWindow {
    let w = this.users.get(user);
    if (!w) this.users.set(user, (w = { requests: [], executions: [], executionSum: 0, inFlight: 0 }));
    const horizon = this.clock() - this.windowMs();
    while (w.requests.length && w.requests[0] <= horizon) w.requests.shift();
    while (w.executions.length && w.executions[0].at <= horizon) w.executionSum -= w.executions.shift()!.ms;
    return w;
  }

  /** Admit a request or throw the documented 429. Every HTTP request (a $batch or bulk call too) counts once. */
  admit(user: string): Admission {
    const w = this.window(user);
    const now = this.clock();
    const toModelS = (realMs: number) => realMs / 1000 / this.timeScale;
    if (w.inFlight >= this.limits.concurrency) throw dvErrors.concurrency(this.limits.concurrency, this.retryAfter(1));
    if (w.requests.length >= this.limits.requests) {
      const wait = w.requests[w.requests.length - this.limits.requests] + this.windowMs() - now;
      throw dvErrors.tooManyRequests(this.limits.requests, this.limits.windowSeconds, this.retryAfter(toModelS(wait)));
    }
    if (w.executionSum > this.limits.executionMs) {
      let excess = w.executionSum - this.limits.executionMs;
      let until = now;
      for (const e of w.executions) {
        excess -= e.ms;
        until = e.at;
        if (excess < 0) break;
      }
      throw dvErrors.executionTime(this.limits.executionMs, this.limits.windowSeconds, this.retryAfter(toModelS(until + this.windowMs() - now)));
    }
    w.requests.push(now);
    w.inFlight++;
    let released = false;
    return {
      release: (executionMs: number) => {
        if (released) return;
        released = true;
        w.inFlight--;
        w.executions.push({ at: this.clock(), ms: executionMs });
        w.executionSum += executionMs;
      },
      headers: () => {
        const cur = this.window(user);
        return {
          'x-ms-ratelimit-burst-remaining-xrm-requests': String(Math.max(0, this.limits.requests - cur.requests.length)),
          // Seconds with en-US grouping and two decimals, as live environments send it (`1,200.00` = the full 20 minutes).
          'x-ms-ratelimit-time-remaining-xrm-requests': (Math.max(0, this.limits.executionMs - cur.executionSum) / 1000).toLocaleString(
            'en-US',
            SECONDS_FORMAT,
          ),
        };
      },
    };
  }

  snapshot(): Record<string, { requestsInWindow: number; executionMsInWindow: number; inFlight: number }> {
    const out: Record<string, { requestsInWindow: number; executionMsInWindow: number; inFlight: number }> = {};
    for (const u of this.users.keys()) {
      const w = this.window(u);
      out[u] = { requestsInWindow: w.requests.length, executionMsInWindow: w.executionSum, inFlight: w.inFlight };
    }
    return out;
  }

  reset(): void {
    this.users.clear();
  }
}

export const isThrottle = (e: unknown): e is DvError => e instanceof DvError && e.status === 429;
