import { DataverseError } from '../../../shared/dataverse/errors';
import { ThrottleLane } from '../../../shared/throttle/lane';
import { UserPool } from '../../../shared/throttle/pool';
import { RescheduleError } from '../../../shared/throttle/errors';

const throttle = (retryAfterMs: number) => new DataverseError({ kind: 'throttled', status: 429, code: '0x80072322', message: 'throttled', retryAfterMs });

beforeEach(() => jest.useFakeTimers({ now: Date.parse('2024-01-01T00:00:00Z') }));
afterEach(() => jest.useRealTimers());

describe('UserPool', () => {
  it('picks the lane with the most headroom', async () => {
    const a = new ThrottleLane('env/a', { initialConcurrency: 4 });
    const b = new ThrottleLane('env/b', { initialConcurrency: 4 });
    const pool = new UserPool([
      { lane: a, client: 'A' },
      { lane: b, client: 'B' },
    ]);
    const held = [await a.acquire(), await a.acquire()];
    expect(pool.pick()).toBe(b);
    held.forEach((p) => p.release());
  });

  it('routes around a throttled user: the retry runs at once on another user', async () => {
    const a = new ThrottleLane('env/a');
    const b = new ThrottleLane('env/b');
    const pool = new UserPool([
      { lane: a, client: 'A' },
      { lane: b, client: 'B' },
    ]);
    const used: string[] = [];
    const result = await pool.run(async (client) => {
      used.push(client);
      if (used.length === 1) throw throttle(60_000);
      return client;
    });
    expect(used).toHaveLength(2);
    expect(used[0]).not.toBe(used[1]);
    expect(result).toBe(used[1]);
    expect(pool.lanes.filter((l) => l.isPaused())).toHaveLength(1);
    // While one user is paused, new work goes to the other.
    const next = await pool.run(async (client) => client);
    expect(next).toBe(used[1]);
  });

  it('spreads concurrent work over users (throughput grows with users)', async () => {
    const lanes = ['u1', 'u2', 'u3'].map((u) => new ThrottleLane(`env/${u}`, { initialConcurrency: 2 }));
    const pool = new UserPool(lanes.map((lane, i) => ({ lane, client: i })));
    let peak = 0;
    let running = 0;
    const release: Array<() => void> = [];
    const jobs = Array.from({ length: 6 }, () =>
      pool.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => release.push(r));
        running--;
      }),
    );
    await jest.advanceTimersByTimeAsync(0);
    expect(peak).toBe(6); // 3 users × 2 slots, all at once
    expect(lanes.map((l) => l.snapshot().inFlight)).toEqual([2, 2, 2]);
    release.forEach((r) => r());
    await Promise.all(jobs);
  });

  it('reschedules when every user is paused beyond the budget', async () => {
    const a = new ThrottleLane('env/a');
    const b = new ThrottleLane('env/b');
    a.throttled(90_000);
    b.throttled(45_000);
    const pool = new UserPool([
      { lane: a, client: 'A' },
      { lane: b, client: 'B' },
    ]);
    const error = await pool.run(async () => 'x', { budgetMs: 10_000 }).catch((e) => e);
    expect(error).toBeInstanceOf(RescheduleError);
    expect((error as RescheduleError).laneId).toBe('env/b');
    expect((error as RescheduleError).retryAfterMs).toBe(45_000);
  });

  it('two controllers (function instances) sharing one user back off together when the server says so', async () => {
    // The server's view: one user, paused until t+20 s after it saw too many requests.
    let serverPausedUntil = 0;
    let serverCalls = 0;
    const server = async (): Promise<string> => {
      serverCalls++;
      const now = Date.now();
      if (now < serverPausedUntil) throw throttle(serverPausedUntil - now);
      if (serverCalls === 3) {
        serverPausedUntil = now + 20_000;
        throw throttle(20_000);
      }
      return 'ok';
    };
    const instance1 = new ThrottleLane('env/shared-user');
    const instance2 = new ThrottleLane('env/shared-user');
    await instance1.run(server);
    await instance2.run(server);
    const r1 = instance1.run(server); // third call: the server throttles the user
    await jest.advanceTimersByTimeAsync(0);
    expect(instance1.isPaused()).toBe(true);
    const r2 = instance2.run(server); // the other instance hits the same user and is told to wait too
    await jest.advanceTimersByTimeAsync(0);
    expect(instance2.isPaused()).toBe(true);
    const callsDuringPause = serverCalls;
    await jest.advanceTimersByTimeAsync(19_000);
    expect(serverCalls).toBe(callsDuringPause); // nobody hammers the paused user
    await jest.advanceTimersByTimeAsync(3_000);
    await expect(Promise.all([r1, r2])).resolves.toEqual(['ok', 'ok']);
  });

  it('refuses an empty pool and duplicate lane ids', () => {
    expect(() => new UserPool([])).toThrow(/at least one application user/);
    const lane = new ThrottleLane('env/a');
    expect(
      () =>
        new UserPool([
          { lane, client: 1 },
          { lane: new ThrottleLane('env/a'), client: 2 },
        ]),
    ).toThrow(/own lane id/);
  });
});
