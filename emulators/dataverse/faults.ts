/** Fault injection (README "Faults"): server errors, 503 bursts, slow responses, dropped sockets, 429 storms. */
import { type DvError, dvErrors } from './errors';
import type { Faults } from './options';

export type FaultDecision = { kind: 'none'; extraMs: number } | { kind: 'error'; error: DvError } | { kind: 'drop' };

export class FaultInjector {
  private stormUntil = 0;

  constructor(
    public faults: Faults,
    private readonly random: () => number = Math.random,
  ) {
    this.armStorm();
  }

  /** Start a 429 storm lasting `faults.throttleStormSeconds` model seconds from now. */
  armStorm(timeScale = 1): void {
    this.stormUntil = this.faults.throttleStormSeconds > 0 ? Date.now() + this.faults.throttleStormSeconds * 1000 * timeScale : 0;
  }

  decide(retryAfter: (modelSeconds: number) => string): FaultDecision {
    const f = this.faults;
    if (this.stormUntil > Date.now()) {
      return { kind: 'error', error: dvErrors.tooManyRequests(6000, 300, retryAfter(f.throttleStormRetryAfterSeconds)) };
    }
    if (f.burst503 > 0) {
      f.burst503--;
      return { kind: 'error', error: dvErrors.serverError(503) };
    }
    if (f.dropRate > 0 && this.random() < f.dropRate) return { kind: 'drop' };
    if (f.errorRate > 0 && this.random() < f.errorRate) {
      return { kind: 'error', error: dvErrors.serverError(f.errorStatuses[Math.floor(this.random() * f.errorStatuses.length)]) };
    }
    return { kind: 'none', extraMs: f.slowRate > 0 && this.random() < f.slowRate ? f.slowMs : 0 };
  }
}
