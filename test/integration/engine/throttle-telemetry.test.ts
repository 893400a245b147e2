/**
 * The worker's wiring (buildWorkerEngine from settings, as functions/apply-changes.ts uses it) reports
 * throttling: a 429 from the Dataverse emulator becomes one `dataverse.throttled` event on the telemetry
 * of the invocation whose request got it.
 */
import { buildWorkerEngine } from '../../../shared/app';
import { MemoryTelemetry } from '../../../shared/telemetry/telemetry';
import { runWithTelemetry } from '../../../shared/telemetry/scope';
import { accountRoute, counters, environmentConfig, operator, rows, startWorld, type World } from './harness';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.close();
});

it('a 429 from the Dataverse emulator produces one dataverse.throttled event with environment, user and pause', async () => {
  await operator(world.dv, 'POST', 'reset');
  const route = accountRoute();
  const engine = buildWorkerEngine({
    ServiceBusConnection: world.sb.connectionString,
    DVSYNC_ENVIRONMENTS: JSON.stringify({ target: environmentConfig(world.dv, 'target', ['telemetry-user']) }),
    DVSYNC_ROUTES: JSON.stringify({ routes: [{ ...route, source: { table: route.source.table, recordColumns: {} } }] }),
    DVSYNC_STORAGE: world.azurite.connectionString,
  });
  // 300 model seconds of 429 (Retry-After 300 s) last 0.3 s here: inside the default budget, so the change still applies.
  await operator(world.dv, 'PATCH', 'config', { faults: { throttleStormSeconds: 300, throttleStormRetryAfterSeconds: 300 } });
  const telemetry = new MemoryTelemetry();
  const body = {
    v: 1,
    route: 'accounts',
    origin: 'ingest',
    operation: 'upsert',
    source: { table: 'account' },
    version: '1',
    values: { num: 'T-1', name: 'throttled' },
    receivedAt: new Date().toISOString(),
  };
  const result = await runWithTelemetry(telemetry, () => engine.applyChanges([{ body, messageId: 'tt-1', sessionId: 'tt' }]));

  expect(result.counts.applied).toBe(1);
  expect((await counters(world.dv)).responsesByStatus['429']).toBe(1);
  expect((await rows(world.dv, 'target', 'accounts', 'accountnumber')).map((a) => a.accountnumber)).toEqual(['T-1']);
  const throttled = telemetry.events.filter((e) => e.name === 'dataverse.throttled');
  expect(throttled).toHaveLength(1);
  expect(throttled[0]).toMatchObject({
    level: 'warn',
    properties: { environment: 'target', user: 'static#0', reason: 'http429', retryAfterMs: expect.any(Number) },
  });
  expect(throttled[0].properties.retryAfterMs).toBeGreaterThan(0);
  expect(telemetry.events.filter((e) => e.name !== 'dataverse.throttled')).toEqual([]);
});
