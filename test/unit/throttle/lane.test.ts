import { DataverseError } from '../../../shared/dataverse/errors';
import { ThrottleLane } from '../../../shared/throttle/lane';
import { RescheduleError } from '../../../shared/throttle/errors';
import { retryPolicySchema } from '../../../shared/dataverse/retry';

const ok = (extra: object = {}) => ({ status: 204, durationMs: 5, ...extra });
const throttle = (retryAfterMs: number) => new DataverseError({ kind: 'throttled', status: 429, code: '0x80072322', message: 'throttled', retryAfterMs });

beforeEach(() => jest.useFakeTimers({ now: Date.parse('2024-01-01T00:00:00Z') }));
afterEach(() => jest.useRealTimers());

describe('ThrottleLane semaphore', () => {
  it('grants up to the limit and queues the rest in order', async () => {
    const lane = new ThrottleLane('env/u1', { initialConcurrency: 2 });
    const a = await lane.acquire();
    const b = await lane.acquire();
    const order: string[] = [];
    const c = lane.acquire().then((p) => (order.push('c'), p));
    const d = lane.acquire().then((p) => (order.push('d'), p));
    await jest.advanceTimersByTimeAsync(0);
    expect(order).toEqual([]);
    expect(lane.snapshot()).toMatchObject({ inFlight: 2, waiting: 2 });
    a.release();
    a.release(); // idempotent
    await jest.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['c']);
    b.release();
    (await c).release();
    (await d).release();
    expect(lane.snapshot()).toMatchObject({ inFlight: 0, waiting: 0 });
  });

  it('rejects a waiter with the abort reason and frees its place', async () => {
    const lane = new ThrottleLane('env/u1', { initialConcurrency: 1 });
    const held = await lane.acquire();
    const controller = new AbortController();
    const waiting = lane.acquire(controller.signal);
    controller.abort(new Error('invocation cancelled'));
    await expect(waiting).rejects.toThrow('invocation cancelled');
    expect(lane.snapshot().waiting).toBe(0);
    held.release();
  });
});

describe('AIMD', () => {
  it('caps the limit at x-ms-dop-hint and never above 52', () => {
    const lane = new ThrottleLane('env/u1', { initialConcurrency: 8 });
    lane.observe(ok({ dopHint: 4 }));
    expect(lane.snapshot()).toMatchObject({ ceiling: 4, limit: 4 });
    lane.observe(ok({ dopHint: 500 }));
    expect(lane.snapshot().ceiling).toBe(52);
  });

  it('halves on a 429 once per pause, and pauses the whole lane until Retry-After', async () => {
    const lane = new ThrottleLane('env/u1', { initialConcurrency: 8 });
    lane.observe({ status: 429, durationMs: 1, retryAfterMs: 10_000 });
    lane.observe({ status: 429, durationMs: 1, retryAfterMs: 10_000 }); // in-flight sibling: no second halving
    expect(lane.snapshot().limit).toBe(4);
    expect(lane.isPaused()).toBe(true);
    let granted = false;
    const p = lane.acquire().then((permit) => ((granted = true), permit));
    await jest.advanceTimersByTimeAsync(9_999);
    expect(granted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(granted).toBe(true);
    (await p).release();
  });

  it('raises the limit gradually (about +1 per limit successes while saturated) up to the ceiling', async () => {
    const lane = new ThrottleLane('env/u1', { initialConcurrency: 2 });
    lane.observe(ok({ dopHint: 3 }));
    const permits = [await lane.acquire(), await lane.acquire()];
    lane.observe(ok());
    lane.observe(ok());
    expect(lane.snapshot().limit).toBeCloseTo(2 + 1 / 2 + 1 / 2.5, 5); // +step/limit per success
    for (let i = 0; i < 20; i++) lane.observe(ok());
    expect(lane.snapshot().limit).toBe(3);
    permits.forEach((p) => p.release());
  });

  it('does not grow while under-used', () => {
    const lane = new ThrottleLane('env/u1', { initialConcurrency: 4 });
    for (let i = 0; i < 50; i++) lane.observe(ok());
    expect(lane.snapshot().limit).toBe(4);
  });

  it('brakes as burst / time remaining approach 0, and the brake expires', async () => {
    const lane = new ThrottleLane('env/u1', { initialConcurrency: 20, burstLowWater: 200, timeLowWaterMs: 100_000, brakeTtlMs: 60_000 });
    lane.observe(ok({ burstRemaining: 100, timeRemainingMs: 1_200_000 }));
    expect(lane.effectiveLimit()).toBe(10);
    lane.observe(ok({ burstRemaining: 6000, timeRemainingMs: 10_000 }));
    expect(lane.effectiveLimit()).toBe(2);
    lane.observe(ok({ burstRemaining: 0 }));
    expect(lane.effectiveLimit()).toBe(1);
    await jest.advanceTimersByTimeAsync(60_001);
    expect(lane.effectiveLimit()).toBe(20);
  });
});

describe('ThrottleLane.run', () => {
  it('retries a throttled call after the pause and returns its result', async () => {
    const lane = new ThrottleLane('env/u1');
    let calls = 0;
    const result = lane.run(async () => {
      calls++;
      if (calls === 1) throw throttle(5_000);
      return 'done';
    });
    await jest.advanceTimersByTimeAsync(4_999);
    expect(calls).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toBe('done');
    expect(calls).toBe(2);
  });

  it('throws RescheduleError instead of sleeping past the budget, and does not retry', async () => {
    const lane = new ThrottleLane('env/u1');
    let calls = 0;
    const started = Date.now();
    const error = await lane
      .run(
        async () => {
          calls++;
          throw throttle(120_000);
        },
        { budgetMs: 30_000 },
      )
      .catch((e) => e);
    expect(error).toBeInstanceOf(RescheduleError);
    expect((error as RescheduleError).notBefore.getTime()).toBe(started + 120_000);
    expect(calls).toBe(1);
    // A fresh call on the paused lane is refused at once, without calling the server.
    await expect(lane.run(async () => calls++, { budgetMs: 1_000 })).rejects.toBeInstanceOf(RescheduleError);
    expect(calls).toBe(1);
  });

  it('reschedules when no slot frees up before the deadline', async () => {
    const lane = new ThrottleLane('env/u1', { initialConcurrency: 1 });
    const held = await lane.acquire();
    const run = lane.run(async () => 'never', { budgetMs: 2_000 }).catch((e) => e);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(await run).toBeInstanceOf(RescheduleError);
    held.release();
  });

  it('backs off transient errors, never retries permanent ones', async () => {
    const lane = new ThrottleLane('env/u1');
    const retry = retryPolicySchema.parse({ maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 10_000 });
    let calls = 0;
    const flaky = lane.run(
      async () => {
        calls++;
        if (calls < 3) throw new DataverseError({ kind: 'transient', status: 503, message: 'busy' });
        return calls;
      },
      { retry, random: () => 1 },
    );
    await jest.advanceTimersByTimeAsync(999);
    expect(calls).toBe(1);
    await jest.advanceTimersByTimeAsync(1 + 2000);
    await expect(flaky).resolves.toBe(3);

    let permanentCalls = 0;
    await expect(
      lane.run(async () => {
        permanentCalls++;
        throw new DataverseError({ kind: 'validation', status: 400, message: 'bad' });
      }),
    ).rejects.toMatchObject({ kind: 'validation' });
    expect(permanentCalls).toBe(1);
  });
});
