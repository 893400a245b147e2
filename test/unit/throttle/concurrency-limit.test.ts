/**
 * The concurrency limit is learned from the server, not assumed: a concurrency 429 names the user's limit
 * ("Number of concurrent requests exceeded the limit of 40."; environments report 40, 52 or 100), and from then on
 * the lane's ceiling stays within it, whatever a later x-ms-dop-hint says.
 */
import { classify } from '../../../shared/dataverse/errors';
import { ThrottleLane } from '../../../shared/throttle/lane';

const concurrency429 = (limit: number) =>
  classify({
    status: 429,
    headers: { 'retry-after': '1' },
    body: { error: { code: '0x80072326', message: `Number of concurrent requests exceeded the limit of ${limit}.` } },
  });

beforeEach(() => jest.useFakeTimers({ now: Date.parse('2024-01-01T00:00:00Z') }));
afterEach(() => jest.useRealTimers());

it('reads the limit from the 429 text at the edge (DataverseError.concurrencyLimit)', () => {
  expect(concurrency429(40)).toMatchObject({ kind: 'throttled', concurrencyLimit: 40, retryAfterMs: 1000 });
  const requests = classify({
    status: 429,
    headers: { 'retry-after': '1' },
    body: { error: { code: '0x80072322', message: 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.' } },
  });
  expect(requests.concurrencyLimit).toBeUndefined();
});

it('caps the lane at the named limit, times its share, and a larger dop hint does not lift it', async () => {
  const lane = new ThrottleLane('env/u1', { initialConcurrency: 52, dopShare: 0.5 });
  let calls = 0;
  const run = lane.run(
    async () => {
      if (calls++ === 0) throw concurrency429(40);
      return 'ok';
    },
    { budgetMs: 60_000 },
  );
  await jest.advanceTimersByTimeAsync(5_000);
  await expect(run).resolves.toBe('ok');
  expect(lane.snapshot().ceiling).toBe(20);
  expect(lane.snapshot().limit).toBeLessThanOrEqual(20);
  lane.observe({ status: 204, durationMs: 5, dopHint: 100 });
  expect(lane.snapshot().ceiling).toBe(20);
});
