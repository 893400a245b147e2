/**
 * Incremental sync applies the route's filters (issue 9, defect 2): a row the trigger condition excludes,
 * a row last changed by an ignored user, and deletions of a route without "Delete" are not enqueued, on a
 * delta pass and on a full read alike; each is counted with its reason. Dataverse emulator, Service Bus
 * emulator and Azurite on loopback.
 */
import type { ChangeMessage } from '../../../shared/model/change-message';
import { createSyncRuntime } from '../../../shared/app';
import type { SyncRuntime } from '../../../shared/sync/runtime';
import { MemoryTelemetry } from '../../../shared/telemetry/telemetry';
import { loadConfiguration } from '../../../shared/config/configuration';
import { accountRoute, startSyncHarness, type SyncHarness } from './harness';

let h: SyncHarness;
beforeAll(async () => {
  h = await startSyncHarness();
});
afterAll(async () => {
  await h?.close();
});

const names = async (): Promise<string[]> => (await h.drain()).map((m) => (m.body as ChangeMessage).values.name as string).sort();

function runtime(route: Record<string, unknown>): SyncRuntime {
  const env = h.settings([route]);
  return createSyncRuntime(loadConfiguration(env));
}

it('skips rows the trigger condition excludes, on delta passes and on a full read, with the reason counted', async () => {
  const base = accountRoute('keep-only');
  const route = { ...base, source: { ...(base.source as object), triggerConditions: ["@startsWith(triggerBody()?['name'], 'keep')"] } };
  await h.source.create('accounts', { name: 'keep A', accountnumber: 'K-A' });
  const dropped = (await h.source.create('accounts', { name: 'drop B', accountnumber: 'K-B' })).id as string;
  const rt = runtime(route);
  const telemetry = new MemoryTelemetry();
  try {
    const first = await rt.runRoute('keep-only', telemetry);
    expect(first).toMatchObject({ outcome: 'committed', upserts: 1, skipped: 1 });
    expect(await names()).toEqual(['keep A']);
    const skipped = telemetry.counts.filter((c) => c.name === 'sync.skipped');
    expect(skipped).toEqual([
      expect.objectContaining({
        value: 1,
        properties: expect.objectContaining({ route: 'keep-only', reason: expect.stringMatching(/trigger condition 1 .* is false/) }),
      }),
    ]);

    // The excluded row changes but stays excluded; a change that makes it match lets it through.
    await h.source.update('accounts', dropped, { name: 'drop B again' });
    expect(await rt.runRoute('keep-only', telemetry)).toMatchObject({ upserts: 0, skipped: 1 });
    expect(await names()).toEqual([]);
    await h.source.update('accounts', dropped, { name: 'keep B now' });
    expect(await rt.runRoute('keep-only', telemetry)).toMatchObject({ upserts: 1, skipped: 0 });
    expect(await names()).toEqual(['keep B now']);

    await h.source.create('accounts', { name: 'drop C', accountnumber: 'K-C' });
    const full = await rt.runRoute('keep-only', telemetry, { full: true });
    expect(full).toMatchObject({ mode: 'full', upserts: 2, skipped: 1 });
    // The two matching rows are unchanged since they were enqueued: same message ids, dropped by duplicate detection.
    expect(await names()).toEqual([]);
  } finally {
    await rt.close();
  }
});

it('skips rows last changed by a user in ignoreUsers, and deletions when the route does not list Delete', async () => {
  const who = (await (await fetch(`${h.dv.url('source')}WhoAmI`, { headers: { authorization: 'Bearer app-user-1', accept: 'application/json' } })).json()) as {
    UserId: string;
  };
  const base = accountRoute('not-mine');
  const route = { ...base, source: { ...(base.source as object), messages: ['Create', 'Update'], ignoreUsers: [who.UserId] } };
  const rt = runtime(route);
  const telemetry = new MemoryTelemetry();
  try {
    await rt.runRoute('not-mine', telemetry, { full: true });
    const first = telemetry.counts.filter((c) => c.name === 'sync.skipped');
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((c) => String(c.properties.reason).startsWith(`modifiedby ${who.UserId.toLowerCase()} is in ignoreUsers`))).toBe(true);
    expect(await h.drain()).toHaveLength(0);
    const id = (await h.source.create('accounts', { name: 'gone', accountnumber: 'NM-1' })).id as string;
    await h.source.delete('accounts', id);
    const pass = await rt.runRoute('not-mine', telemetry);
    expect(pass).toMatchObject({ upserts: 0, deletes: 0 });
    expect(pass.skipped).toBeGreaterThanOrEqual(1);
    expect(telemetry.counts.some((c) => c.name === 'sync.skipped' && /"Delete" is not one of Create, Update/.test(String(c.properties.reason)))).toBe(true);
    expect(await h.drain()).toHaveLength(0);
  } finally {
    await rt.close();
  }
});
