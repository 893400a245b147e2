/** Incremental sync against the Dataverse emulator (change tracking), the Service Bus emulator and Azurite. */
import { setChangeTrackingRetention } from '../../../emulators/dataverse/changes/retention';
import type { ChangeMessage } from '../../../shared/model/change-message';
import { Checkpoints } from '../../../shared/ledger/checkpoints';
import { checkpointName, type CheckpointStore, type SyncPosition } from '../../../shared/sync/pass';
import { createSyncRuntime } from '../../../shared/app';
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

const bodies = (messages: Array<{ body: unknown }>) => messages.map((m) => m.body as ChangeMessage);

function runtimeFor(routeName: string, overrides: { checkpoints?: CheckpointStore } = {}, routeSync?: Record<string, unknown>) {
  const env = h.settings([accountRoute(routeName, routeSync)]);
  return createSyncRuntime(loadConfiguration(env), overrides);
}

async function createAccounts(prefix: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await h.source.create('accounts', { name: `${prefix} ${i}`, accountnumber: `${prefix}-${i}` })).id as string);
  return ids;
}

/** The row version stamp of a ChangeMessage version (`rv=<n>;…`). */
const rvOf = (v: string): bigint => BigInt(/rv=(\d+)/.exec(v)![1]);

describe('incremental sync', () => {
  it('first pass enqueues every row; the second only the changes and deletes; the delta link is stored', async () => {
    const ids = await createAccounts('FIRST', 5);
    const rt = runtimeFor('first');
    const telemetry = new MemoryTelemetry();
    try {
      const first = await rt.runRoute('first', telemetry);
      expect(first).toMatchObject({ outcome: 'committed', mode: 'full', resynced: false, deletes: 0 });
      expect(first.pages).toBeGreaterThanOrEqual(3); // pageSize 2
      const initial = bodies(await h.drain());
      expect(initial.length).toBe(first.upserts);
      expect(initial.map((b) => b.source.id)).toEqual(expect.arrayContaining(ids));
      const one = initial.find((b) => b.source.id === ids[0])!;
      expect(one).toMatchObject({
        route: 'first',
        origin: 'sync',
        operation: 'upsert',
        source: { environment: 'source', table: 'account', id: ids[0] },
        values: { name: 'FIRST 0', accountnumber: 'FIRST-0' },
      });
      expect(one.version).toMatch(/^rv=\d+;mt=\d+$/);

      await h.source.update('accounts', ids[1], { name: 'FIRST 1 renamed' });
      await h.source.delete('accounts', ids[2]);
      const second = await rt.runRoute('first', telemetry);
      expect(second).toMatchObject({ outcome: 'committed', mode: 'delta', upserts: 1, deletes: 1 });
      const delta = bodies(await h.drain());
      const update = delta.find((b) => b.operation === 'upsert')!;
      const del = delta.find((b) => b.operation === 'delete')!;
      expect(delta).toHaveLength(2);
      expect(update).toMatchObject({ source: { id: ids[1] }, values: { name: 'FIRST 1 renamed' } });
      expect(rvOf(update.version)).toBeGreaterThan(rvOf(initial.find((b) => b.source.id === ids[1])!.version));
      expect(del).toMatchObject({ source: { id: ids[2] }, values: { accountid: ids[2] } });
      // The deletion is stamped newer than anything seen for the row, so the ledger applies it.
      expect(rvOf(del.version)).toBeGreaterThan(rvOf(update.version));

      const third = await rt.runRoute('first', telemetry);
      expect(third).toMatchObject({ outcome: 'committed', mode: 'delta', upserts: 0, deletes: 0 });
      expect(await h.drain()).toHaveLength(0);
      const cp = await new Checkpoints({ connectionString: h.azurite.connectionString }).get<SyncPosition>(checkpointName('first'));
      expect(cp?.position.deltaLink).toContain('$deltatoken=');
      expect(cp?.counts).toMatchObject({ passes: 3, deletes: 1 });
      expect(telemetry.total('sync.enqueued')).toBe(first.upserts + 2);
    } finally {
      await rt.close();
    }
  });

  it('a crash between enqueue and commit leaves the old checkpoint; the re-run re-enqueues without gaps and duplicates are dropped', async () => {
    await h.drain();
    const real = new Checkpoints({ connectionString: h.azurite.connectionString });
    const base = runtimeFor('crash');
    await base.runRoute('crash', new MemoryTelemetry());
    await base.close();
    await h.drain();
    const before = await real.get<SyncPosition>(checkpointName('crash'));

    const ids = await createAccounts('CRASH', 3);
    const crashing: CheckpointStore = {
      get: (name) => real.get(name),
      commit: async () => {
        throw new Error('process killed before the commit');
      },
    };
    const rt1 = runtimeFor('crash', { checkpoints: crashing });
    await expect(rt1.runRoute('crash', new MemoryTelemetry())).rejects.toThrow('process killed');
    await rt1.close();
    expect((await real.get<SyncPosition>(checkpointName('crash')))?.etag).toBe(before?.etag);

    const late = await createAccounts('LATE', 1); // changed after the crashed pass read
    const rt2 = runtimeFor('crash');
    const rerun = await rt2.runRoute('crash', new MemoryTelemetry());
    await rt2.close();
    expect(rerun).toMatchObject({ outcome: 'committed', mode: 'delta', upserts: 4 });
    const received = bodies(await h.drain()).map((b) => b.source.id);
    // Each change exactly once: the repeat of the crashed pass had the same message ids.
    expect(received.sort()).toEqual([...ids, ...late].sort());
  });

  it('an expired delta token falls back to a full read with a telemetry warning', async () => {
    const [expId] = await createAccounts('EXP', 2);
    const rt = runtimeFor('expiry');
    try {
      await rt.runRoute('expiry', new MemoryTelemetry());
      await h.drain();
      const env = h.dv.environments.get('source')!;
      setChangeTrackingRetention(env, 0);
      await new Promise((r) => setTimeout(r, 1100)); // the token's timestamp has whole seconds
      await h.source.update('accounts', expId, { name: 'EXP changed while expired' });
      const telemetry = new MemoryTelemetry();
      let result;
      try {
        result = await rt.runRoute('expiry', telemetry);
      } finally {
        setChangeTrackingRetention(env, 7 * 24 * 3600 * 1000);
      }
      expect(result).toMatchObject({ outcome: 'committed', mode: 'full', resynced: true });
      expect(telemetry.total('sync.resync')).toBe(1);
      expect(telemetry.traces.some((t) => t.level === 'warn' && t.message.includes('0x80044352'))).toBe(true);
      expect(result.upserts).toBeGreaterThanOrEqual(2); // every row read again
      // Unchanged rows repeat earlier message ids (dropped as duplicates); the change made meanwhile arrives.
      expect(bodies(await h.drain())).toEqual([
        expect.objectContaining({ source: expect.objectContaining({ id: expId }), values: expect.objectContaining({ name: 'EXP changed while expired' }) }),
      ]);
    } finally {
      await rt.close();
    }
  });

  it('of two concurrent runners only one advances the checkpoint; the other reports a conflict', async () => {
    await createAccounts('CONC', 2);
    const real = new Checkpoints({ connectionString: h.azurite.connectionString });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reachedCommit!: () => void;
    const atCommit = new Promise<void>((r) => (reachedCommit = r));
    const slow: CheckpointStore = {
      get: (name) => real.get(name),
      commit: async (name, state, etag) => {
        reachedCommit();
        await gate;
        return real.commit(name, state, etag);
      },
    };
    const a = runtimeFor('concurrent', { checkpoints: slow });
    const b = runtimeFor('concurrent');
    try {
      const runA = a.runRoute('concurrent', new MemoryTelemetry());
      await atCommit; // A has read the checkpoint and enqueued; it has not committed
      const resultB = await b.runRoute('concurrent', new MemoryTelemetry());
      release();
      const resultA = await runA;
      expect(resultB.outcome).toBe('committed');
      expect(resultA.outcome).toBe('conflict');
      const cp = await real.get<SyncPosition>(checkpointName('concurrent'));
      expect(cp?.counts.passes).toBe(1);
      // Both runners enqueued the same changes; duplicate detection kept one copy of each.
      const ids = bodies(await h.drain()).map((m) => m.source.id);
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a route that did not opt in, naming the setting to change', async () => {
    const rt = runtimeFor('optout', {}, { enabled: false });
    try {
      await expect(rt.runRoute('optout', new MemoryTelemetry())).rejects.toThrow('"source.sync": {"enabled": true}');
      expect(rt.syncRoutes()).toEqual([]);
    } finally {
      await rt.close();
    }
  });
});
