/**
 * The application-user pool of one environment: one lane per user. `pick()` takes the lane with the
 * most headroom and routes around paused (throttled) users, so throughput grows with the number of
 * users (service-protection limits are per user). Each lane pairs with the client of its user.
 */
import type { Clock } from './clock';
import type { ThrottleLane } from './lane';
import { runOnLanes, type RunOptions } from './run';

export class UserPool<C = unknown> {
  private readonly members: ReadonlyArray<{ lane: ThrottleLane; client: C }>;
  private turn = 0;

  constructor(members: ReadonlyArray<{ lane: ThrottleLane; client: C }>, private readonly clock: Clock = members[0]?.lane.clock) {
    if (members.length === 0) throw new TypeError('A user pool needs at least one application user (lane).');
    const ids = new Set(members.map((m) => m.lane.id));
    if (ids.size !== members.length) throw new TypeError('Every application user of a pool needs its own lane id.');
    this.members = members;
  }

  get lanes(): ThrottleLane[] {
    return this.members.map((m) => m.lane);
  }

  /** The lane with the most headroom; while every lane is paused, the one that resumes first. */
  pick(): ThrottleLane {
    return this.pickMember().lane;
  }

  clientOf(lane: ThrottleLane): C {
    const member = this.members.find((m) => m.lane === lane);
    if (!member) throw new TypeError(`Lane ${lane.id} is not in this pool.`);
    return member.client;
  }

  /** Runs `fn` on the best user, retrying on another user after a 429 while the budget allows. */
  run<T>(fn: (client: C, lane: ThrottleLane, signal?: AbortSignal) => Promise<T>, options?: RunOptions): Promise<T> {
    return runOnLanes(() => this.pick(), (lane, signal) => fn(this.clientOf(lane), lane, signal), this.clock, options);
  }

  private pickMember(): { lane: ThrottleLane; client: C } {
    const open = this.members.filter((m) => !m.lane.isPaused());
    if (open.length === 0) return this.members.reduce((a, b) => (b.lane.pausedUntil() < a.lane.pausedUntil() ? b : a));
    // Rotate the starting point so equal headroom spreads over users instead of always the first.
    this.turn = (this.turn + 1) % open.length;
    let best = open[this.turn];
    for (const m of open) {
      const h = m.lane.headroom();
      const bestH = best.lane.headroom();
      if (h > bestH || (h === bestH && h <= 0 && load(m.lane) < load(best.lane))) best = m;
    }
    return best;
  }
}

function load(lane: ThrottleLane): number {
  const s = lane.snapshot();
  return (s.inFlight + s.waiting) / s.effectiveLimit;
}
