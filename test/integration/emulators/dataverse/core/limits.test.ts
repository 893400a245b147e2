import { client, start } from './helpers';

// Learn: api-limits: service protection per user, and the headers on every response (Learn: send-parallel-requests for x-ms-dop-hint).
describe('service protection limits', () => {
  it('trips the concurrency limit at once beyond 52 in flight (0x80072326 + Retry-After); a second user is unaffected', async () => {
    // Each request holds its slot ~3 s so 100 parallel requests surely overlap on a busy machine.
    const dv = await start({ timeScale: 1, cost: { latencyMs: 3000 } });
    try {
      const alice = client(dv.url('source'), 'alice');
      const bob = client(dv.url('source'), 'bob');
      const results = await Promise.all([
        ...Array.from({ length: 100 }, () => alice.get('EntityDefinitions?$select=LogicalName')),
        ...Array.from({ length: 10 }, () => bob.get('EntityDefinitions?$select=LogicalName')),
      ]);
      const aliceResults = results.slice(0, 100);
      const throttled = aliceResults.filter((r) => r.status === 429);
      expect(aliceResults.filter((r) => r.status === 200)).toHaveLength(52);
      expect(throttled).toHaveLength(48);
      for (const r of throttled) {
        expect(r.json!.error).toEqual({ code: '0x80072326', message: 'Number of concurrent requests exceeded the limit of 52.' });
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(r.headers.get('x-ms-dop-hint')).toBe('4');
      }
      expect(results.slice(100).every((r) => r.status === 200)).toBe(true);
    } finally {
      await dv.close();
    }
  });

  it('trips the request-count window after it is exceeded (0x80072322) with a scaled Retry-After', async () => {
    const dv = await start({ timeScale: 0.01, limits: { requests: 5 } });
    try {
      const alice = client(dv.url('source'), 'alice');
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 7; i++) {
        last = await alice.post('accounts', { name: `a${i}` });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([204, 204, 204, 204, 204, 429, 429]);
      expect(last!.json!.error).toEqual({ code: '0x80072322', message: 'Number of requests exceeded the limit of 5 over time window of 300 seconds.' });
      const retryAfter = Number(last!.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(3); // 300 s × 0.01
      expect((await client(dv.url('source'), 'bob').post('accounts', { name: 'b' })).status).toBe(204);
      const counters = (await (await fetch(`${dv.operatorUrl}counters`)).json()) as { throttledByCode: Record<string, number> };
      expect(counters.throttledByCode['0x80072322']).toBe(2);
    } finally {
      await dv.close();
    }
  });

  it('trips the execution-time window after it is exceeded (0x80072321) and reports remaining time', async () => {
    // Each single create costs 40 ms of execution; the budget is 100 ms.
    const dv = await start({ timeScale: 0.01, limits: { executionMs: 100 } });
    try {
      const alice = client(dv.url('source'), 'alice');
      const first = await alice.post('accounts', { name: 'a' });
      // Seconds with grouping and two decimals, as live environments send it: 100 − 40 ms = 0.06 s.
      expect(first.headers.get('x-ms-ratelimit-time-remaining-xrm-requests')).toBe('0.06');
      expect(first.headers.get('x-ms-ratelimit-burst-remaining-xrm-requests')).toBe('5999');
      const statuses = [first.status];
      let last;
      for (let i = 0; i < 3; i++) {
        last = await alice.post('accounts', { name: 'a' });
        statuses.push(last.status);
      }
      // 40 + 40 + 40 = 120 > 100: the third completes, the fourth is refused.
      expect(statuses).toEqual([204, 204, 204, 429]);
      expect(last!.json!.error).toEqual({
        code: '0x80072321',
        message:
          'Combined execution time of incoming requests exceeded limit of 100 milliseconds over time window of 300 seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.',
      });
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await dv.close();
    }
  });

  it('makes requests take the modelled time: latency plus execution, scaled', async () => {
    // 60 ms latency + 40 ms create = 100 model ms; at timeScale 2 that is ≥ 200 ms of wall time.
    const dv = await start({ timeScale: 2 });
    try {
      const t0 = performance.now();
      expect((await client(dv.url('source')).post('accounts', { name: 'slow' })).status).toBe(204);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(195);
      const counters = (await (await fetch(`${dv.operatorUrl}counters`)).json()) as {
        executionMsByUser: Record<string, number>;
        operations: Record<string, number>;
      };
      expect(counters.executionMsByUser['test-user']).toBe(40);
      expect(counters.operations['single:create']).toBe(1);
    } finally {
      await dv.close();
    }
  });
});
