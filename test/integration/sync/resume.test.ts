/**
 * Mid-pass checkpoints (a crash during a long pass resumes at the saved page) and polymorphic lookups,
 * against the Dataverse emulator (change tracking), the Service Bus emulator and Azurite.
 */
import type { ChangeMessage } from '../../../shared/model/change-message';
import { Checkpoints } from '../../../shared/ledger/checkpoints';
import { checkpointName, type CheckpointStore, type SyncPosition } from '../../../shared/sync/pass';
import { createSyncRuntime } from '../../../shared/app';
import { MemoryTelemetry } from '../../../shared/telemetry/telemetry';
import { loadConfiguration } from '../../../shared/config/configuration';
import { accountRoute, startSyncHarness, type SyncHarness } from './harness';

let h: SyncHarness;
let checkpoints: Checkpoints;
beforeAll(async () => {
  h = await startSyncHarness();
  checkpoints = new Checkpoints({ connectionString: h.azurite.connectionString });
});
afterAll(async () => {
  await h?.close();
});

const bodies = (messages: Array<{ body: unknown }>) => messages.map((m) => m.body as ChangeMessage);

function runtime(routes: unknown[], overrides: { checkpoints?: CheckpointStore } = {}) {
  const env = h.settings(routes);
  return createSyncRuntime(loadConfiguration(env), overrides);
}

/** Lets `allowed` commits through, then fails every later one as a killed process would. */
function dyingAfter(allowed: number): CheckpointStore {
  let commits = 0;
  return {
    get: (name) => checkpoints.get(name),
    commit: async (name, state, etag) => {
      if (commits++ >= allowed) throw new Error('process killed mid-pass');
      return checkpoints.commit(name, state, etag);
    },
  };
}

describe('incremental sync checkpoints inside a pass', () => {
  it('saves the nextLink after every page; a crashed initial load resumes at the saved page, with no gaps', async () => {
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await h.source.create('accounts', { name: `RESUME ${i}`, accountnumber: `RESUME-${i}` })).id as string);
    const route = accountRoute('resume', { enabled: true, pageSize: 2 });

    const crashed = runtime([route], { checkpoints: dyingAfter(2) });
    await expect(crashed.runRoute('resume', new MemoryTelemetry())).rejects.toThrow('process killed mid-pass');
    await crashed.close();
    const saved = await checkpoints.get<SyncPosition>(checkpointName('resume'));
    expect(saved?.position.deltaLink).toBeUndefined(); // no pass has completed yet
    expect(saved?.position.pass).toMatchObject({ mode: 'full', pages: 2, upserts: 4, deletedIds: [] });
    expect(saved?.position.pass?.nextLink).toContain('$skiptoken=');
    const beforeResume = bodies(await h.drain());
    expect(beforeResume.length).toBe(6); // page 3 was enqueued, then the process died saving it

    const telemetry = new MemoryTelemetry();
    const rt = runtime([route]);
    const result = await rt.runRoute('resume', telemetry);
    await rt.close();
    const total = (await h.source.queryPages('accounts', { select: ['accountid'] }).next()).value?.rows.length;
    expect(result).toMatchObject({ outcome: 'committed', mode: 'full', resumed: true, upserts: total, pages: Math.ceil(total! / 2) });
    expect(telemetry.total('sync.resumed')).toBe(1);
    // This run read only the pages after the saved one (page 3 again: it was published but not saved).
    expect(telemetry.total('sync.enqueued')).toBe(total! - 4);
    const afterResume = bodies(await h.drain());
    const ids = [...beforeResume, ...afterResume].map((b) => b.source.id);
    expect(new Set(ids).size).toBe(ids.length); // page 3's repeat was dropped by duplicate detection
    expect(ids).toEqual(expect.arrayContaining(created));
    expect(ids.length).toBe(total);
    const done = await checkpoints.get<SyncPosition>(checkpointName('resume'));
    expect(done?.position.pass).toBeUndefined();
    expect(done?.position.deltaLink).toContain('$deltatoken=');
  });

  it('keeps deletions of a crashed delta pass in the checkpoint and stamps them when the pass completes', async () => {
    const route = accountRoute('deletes', { enabled: true, pageSize: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await h.source.create('accounts', { name: `DEL ${i}`, accountnumber: `DEL-${i}` })).id as string);
    const first = runtime([route]);
    await first.runRoute('deletes', new MemoryTelemetry());
    await first.close();
    await h.drain();

    await h.source.update('accounts', ids[2], { name: 'DEL 2 changed' });
    await h.source.delete('accounts', ids[0]);
    await h.source.delete('accounts', ids[1]);
    // Delta: 1 upsert, then 2 deletions, one per page. Die after saving the page with the first deletion.
    const crashed = runtime([route], { checkpoints: dyingAfter(2) });
    await expect(crashed.runRoute('deletes', new MemoryTelemetry())).rejects.toThrow('process killed');
    await crashed.close();
    const saved = await checkpoints.get<SyncPosition>(checkpointName('deletes'));
    expect(saved?.position.pass).toMatchObject({ mode: 'delta', deletedIds: [ids[0]] });
    expect(saved?.position.deltaLink).toContain('$deltatoken='); // the committed start of this pass stays

    const rt = runtime([route]);
    const result = await rt.runRoute('deletes', new MemoryTelemetry());
    await rt.close();
    expect(result).toMatchObject({ outcome: 'committed', mode: 'delta', resumed: true, upserts: 1, deletes: 2 });
    const deletes = bodies(await h.drain()).filter((b) => b.operation === 'delete');
    expect(deletes.map((d) => d.source.id).sort()).toEqual([ids[0], ids[1]].sort());
  });

  it('a saved page link that Dataverse refuses is discarded: the pass restarts from its delta link', async () => {
    const route = accountRoute('badlink', { enabled: true, pageSize: 5000 });
    const first = runtime([route]);
    await first.runRoute('badlink', new MemoryTelemetry());
    await first.close();
    await h.drain();
    const id = (await h.source.create('accounts', { name: 'BADLINK', accountnumber: 'BADLINK-1' })).id as string;
    const cp = (await checkpoints.get<SyncPosition>(checkpointName('badlink')))!;
    const pass = {
      nextLink: `${cp.position.deltaLink}&$skiptoken=${encodeURIComponent('<cookie pagenumber="2" />')}`,
      mode: 'delta' as const,
      resynced: false,
      deletedIds: [],
      pages: 1,
      upserts: 0,
      startedAt: new Date().toISOString(),
    };
    await checkpoints.commit<SyncPosition>(checkpointName('badlink'), { position: { ...cp.position, pass }, counts: cp.counts }, cp.etag);

    const telemetry = new MemoryTelemetry();
    const rt = runtime([route]);
    const result = await rt.runRoute('badlink', telemetry);
    await rt.close();
    expect(result).toMatchObject({ outcome: 'committed', mode: 'delta', upserts: 1 });
    expect(telemetry.total('sync.resume_discarded')).toBe(1);
    expect(telemetry.traces.some((t) => t.level === 'warn' && t.message.includes('restarting the pass from its delta link'))).toBe(true);
    expect(bodies(await h.drain()).map((b) => b.source.id)).toEqual([id]);
  });

  it('a polymorphic lookup becomes a reference naming its table (lookuplogicalname annotation)', async () => {
    const account = (await h.source.create('accounts', { name: 'POLY parent', accountnumber: 'POLY-1' })).id as string;
    const parentContact = (await h.source.create('contacts', { lastname: 'POLY parent contact' })).id as string;
    const a = (await h.source.create('contacts', { lastname: 'POLY a', 'parentcustomerid_account@odata.bind': `/accounts(${account})` })).id as string;
    const b = (await h.source.create('contacts', { lastname: 'POLY b', 'parentcustomerid_contact@odata.bind': `/contacts(${parentContact})` })).id as string;
    const route = {
      name: 'contacts-poly',
      source: { environment: 'source', table: 'contact', sync: { enabled: true, pageSize: 50, select: ['lastname', '_parentcustomerid_value'] } },
      target: { environment: 'target', table: 'contact', entitySet: 'contacts', key: ['contactid'], columns: { contactid: 'contactid', lastname: 'lastname' } },
    };
    const rt = runtime([route]);
    await rt.runRoute('contacts-poly', new MemoryTelemetry());
    await rt.close();
    const byId = new Map(bodies(await h.drain()).map((m) => [m.source.id, m]));
    expect(byId.get(a)?.values.parentcustomerid).toEqual({ $type: 'reference', table: 'account', id: account });
    expect(byId.get(b)?.values.parentcustomerid).toEqual({ $type: 'reference', table: 'contact', id: parentContact });
    expect(byId.get(parentContact)?.values.parentcustomerid).toBeNull();
  });
});
