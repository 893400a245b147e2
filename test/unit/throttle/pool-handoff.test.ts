/** UserPool.run hands a waiting request to whichever user frees a slot first (fake clock). */
import { ThrottleLane } from '../../../shared/throttle/lane';
import { UserPool } from '../../../shared/throttle/pool';
import { RescheduleError } from '../../../shared/throttle/errors';

beforeEach(() => jest.useFakeTimers({ now: Date.parse('2024-01-01T00:00:00Z') }));
afterEach(() => jest.useRealTimers());

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('UserPool hand-off', () => {
  it('runs queued requests on the user that frees first while another stays busy', async () => {
    const fast = new ThrottleLane('env/fast', { initialConcurrency: 1 });
    const slow = new ThrottleLane('env/slow', { initialConcurrency: 1 });
    const pool = new UserPool([
      { lane: slow, client: 'slow' },
      { lane: fast, client: 'fast' },
    ]);
    // Both users busy: the slow user's call takes 1,000 ms, the fast user's 10 ms.
    const busySlow = pool.run(async (_c, lane) => (expect(lane).toBe(slow), wait(1_000)));
    const busyFast = pool.run(async (_c, lane) => (expect(lane).toBe(fast), wait(10)));
    const ranOn: string[] = [];
    const queued = Array.from({ length: 4 }, (_, i) =>
      pool.run(async (client) => {
        ranOn.push(`${i}:${client}`);
        await wait(10);
      }),
    );
    await jest.advanceTimersByTimeAsync(0);
    expect(ranOn).toEqual([]);
    // Four 10 ms calls one after the other on the fast user, in arrival order; none waited for the slow one.
    await jest.advanceTimersByTimeAsync(50);
    expect(ranOn).toEqual(['0:fast', '1:fast', '2:fast', '3:fast']);
    await Promise.all([...queued, busyFast]);
    expect(slow.snapshot().inFlight).toBe(1);
    await jest.advanceTimersByTimeAsync(1_000);
    await busySlow;
  });

  it('a user resuming from a pause takes a waiting request when it is the first with a slot', async () => {
    const a = new ThrottleLane('env/a', { initialConcurrency: 1 });
    const b = new ThrottleLane('env/b', { initialConcurrency: 1 });
    const pool = new UserPool([
      { lane: a, client: 'a' },
      { lane: b, client: 'b' },
    ]);
    a.pauseUntil(Date.now() + 100);
    const busyB = pool.run(() => wait(1_000));
    const next = pool.run(async (client) => client);
    await jest.advanceTimersByTimeAsync(99);
    expect(a.snapshot().inFlight + b.snapshot().inFlight).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    await expect(next).resolves.toBe('a');
    await jest.advanceTimersByTimeAsync(1_000);
    await busyB;
  });

  it('a request that gets no slot on any user before its budget ends is rescheduled, and leaves the queue', async () => {
    const a = new ThrottleLane('env/a', { initialConcurrency: 1 });
    const b = new ThrottleLane('env/b', { initialConcurrency: 1 });
    const pool = new UserPool([
      { lane: a, client: 'a' },
      { lane: b, client: 'b' },
    ]);
    const busy = [pool.run(() => wait(1_000)), pool.run(() => wait(1_000))];
    const late = pool.run(async () => 'late', { budgetMs: 200 });
    const rejected = expect(late).rejects.toBeInstanceOf(RescheduleError);
    await jest.advanceTimersByTimeAsync(200);
    await rejected;
    // The timed-out request no longer holds a place: the next one runs as soon as a slot frees.
    const after = pool.run(async (client) => client);
    await jest.advanceTimersByTimeAsync(800);
    await expect(after).resolves.toMatch(/^[ab]$/);
    await Promise.all(busy);
  });
});
