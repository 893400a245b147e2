/**
 * The real WriteEngine → Dataverse sink → Dataverse client → throttle pools → Dataverse emulator,
 * with the ledger and failures on Azurite and re-enqueued changes on the Service Bus emulator.
 * Assertions look at what the emulator stored and counted, and at what waits on the queue.
 */
import { RecordLedger } from '../../../shared/ledger/record-ledger';
import type { WriteEvent } from '../../../emulators/dataverse/types';
import { EngineConfigError } from '../../../shared/engine/errors';
import { WriteEngine } from '../../../shared/engine/engine';
import { routeSchema } from '../../../shared/routes/schema';
import { accountRoute, closedPort, contactRoute, counters, operator, rig, rows, startWorld, type World } from './harness';

let world: World;
let events: WriteEvent[] = [];
beforeAll(async () => {
  world = await startWorld();
  world.dv.environments.get('target')!.onCommitted((e) => void events.push(...e));
});
afterAll(async () => {
  await world?.close();
});
beforeEach(async () => {
  await operator(world.dv, 'POST', 'reset');
  events = [];
});

const accounts = () => rows(world.dv, 'target', 'accounts', 'accountnumber,name,telephone1');

describe('WriteEngine against the Dataverse emulator', () => {
  it('isolates bad records in an all-or-nothing bulk batch (too-long string, duplicate alternate key), applies the rest and records the Dataverse codes', async () => {
    const r = rig(world, [accountRoute(), contactRoute()]);
    const batch = Array.from({ length: 20 }, (_, i) => r.msg('accounts', { num: `A-${i}`, name: i === 13 ? 'x'.repeat(200) : `Acme ${i}` }, 1));
    const contacts = Array.from({ length: 10 }, (_, i) =>
      r.msg('contacts', { email: `c${i}@x.com`, last: `L${i}`, ext: i === 3 || i === 8 ? 'SAME' : `E${i}` }, 1),
    );
    const result = await r.engine.applyChanges([...batch, ...contacts]);
    expect(result.counts).toEqual({ applied: 28, skipped: 0, failed: 2, rescheduled: 0 });
    // Everything went through UpsertMultiple (split into smaller calls), never row by row.
    const { operations } = await counters(world.dv);
    expect(Object.keys(operations).filter((k) => !k.startsWith('bulk:'))).toEqual([]);

    const stored = await accounts();
    expect(stored).toHaveLength(19);
    expect(stored.map((a) => a.accountnumber)).not.toContain('A-13');
    const storedContacts = await rows(world.dv, 'target', 'contacts', 'emailaddress1,dvs_externalid');
    expect(storedContacts.map((c) => c.emailaddress1).sort()).toEqual([
      'c0@x.com',
      'c1@x.com',
      'c2@x.com',
      'c3@x.com',
      'c4@x.com',
      'c5@x.com',
      'c6@x.com',
      'c7@x.com',
      'c9@x.com',
    ]);

    const accountFailures = await r.failures.list('accounts');
    expect(accountFailures).toHaveLength(1);
    expect(accountFailures[0]).toMatchObject({
      reason: 'DataverseError',
      status: 400,
      code: '0x80044331',
      targetKey: "accountnumber='A-13'",
      version: 'ext=1:0:test',
    });
    expect((await r.failures.list('contacts'))[0]).toMatchObject({ status: 412, code: '0x80060892', targetKey: "emailaddress1='c8@x.com'" });
  });

  it('merges the changes of one target row within a batch into one write, in version order (the latest value per column wins)', async () => {
    const r = rig(world, [accountRoute()]);
    const result = await r.engine.applyChanges([
      r.msg('accounts', { num: 'A', name: 'v3' }, 3),
      r.msg('accounts', { num: 'A', name: 'v5' }, 5),
      r.msg('accounts', { num: 'A', name: 'v4' }, 4),
    ]);
    expect(result.outcomes.map((o) => o.outcome.status)).toEqual(['applied', 'applied', 'applied']);
    expect(result.outcomes[0].outcome).toMatchObject({ detail: expect.stringMatching(/merged into message/) });
    expect(await accounts()).toEqual([expect.objectContaining({ accountnumber: 'A', name: 'v5' })]);
    expect(events).toHaveLength(1);
  });

  it('writes parents before children in one batch: a contact binds to an account created in the same batch by alternate key', async () => {
    const r = rig(world, [contactRoute('fail'), accountRoute()]);
    const result = await r.engine.applyChanges([
      r.msg('contacts', { email: 'c@x.com', last: 'Doe', account: { $type: 'reference', table: 'account', id: 'x', keys: { accountnumber: 'P-1' } } }, 1),
      r.msg('accounts', { num: 'P-1', name: 'Parent' }, 1),
    ]);
    expect(result.counts.applied).toBe(2);
    expect(events.map((e) => e.table)).toEqual(['account', 'contact']);
    const [parent] = await rows(world.dv, 'target', 'accounts', 'accountid');
    expect(await rows(world.dv, 'target', 'contacts', 'emailaddress1,_parentcustomerid_value')).toEqual([
      expect.objectContaining({ emailaddress1: 'c@x.com', _parentcustomerid_value: parent.accountid }),
    ]);
  });

  it('missing parent, policy retry: re-enqueued on Service Bus with backoff (same body and session, new id), then failed after the bound', async () => {
    const r = rig(world, [contactRoute('retry'), accountRoute()]);
    const m = r.msg('contacts', { email: 'c@x.com', account: 'NOPE' }, 1, { messageId: `${r.session}-orig` });
    const first = await r.engine.applyChanges([m]);
    expect(first.outcomes[0].outcome).toMatchObject({ status: 'rescheduled', reason: 'MissingParent', messageId: `${r.session}-orig~1` });
    // Redelivered with the retry count the bound allows no further: failed, nothing more queued.
    const last = await r.engine.applyChanges([{ ...m, messageId: `${r.session}-orig~2`, applicationProperties: { dvsyncRetries: 2 } }]);
    expect(last.outcomes[0].outcome).toMatchObject({ status: 'failed', reason: 'MissingParent' });
    const queued = await r.queued();
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ sessionId: r.session, messageId: `${r.session}-orig~1`, applicationProperties: { dvsyncRetries: 1 } });
    expect(JSON.parse(queued[0].body as string)).toEqual(m.body);
    expect(queued[0].scheduledEnqueueTimeUtc!.getTime()).toBeGreaterThan(Date.now());
    expect((await r.failures.list('contacts'))[0]).toMatchObject({ reason: 'MissingParent', attempt: 3 });
    expect(await rows(world.dv, 'target', 'contacts', 'emailaddress1')).toEqual([]);
  });

  it('missing parent, policy dropLookup: writes the row without the lookup and records a warning', async () => {
    const r = rig(world, [contactRoute('dropLookup'), accountRoute()]);
    const result = await r.engine.applyChanges([r.msg('contacts', { email: 'c@x.com', last: 'Doe', account: 'NOPE' }, 1)]);
    expect(result.outcomes[0].outcome.status).toBe('applied');
    expect(result.outcomes[0].warnings[0]).toMatch(/lookup dropped/);
    expect(await rows(world.dv, 'target', 'contacts', 'emailaddress1,lastname,_parentcustomerid_value')).toEqual([
      expect.objectContaining({ emailaddress1: 'c@x.com', lastname: 'Doe', _parentcustomerid_value: null }),
    ]);
    expect((await r.failures.list('contacts'))[0]).toMatchObject({ severity: 'warning', reason: 'LookupDropped' });
  });

  it('missing parent, policy fail: a permanent failure naming the bind is recorded', async () => {
    const r = rig(world, [contactRoute('fail'), accountRoute()]);
    const result = await r.engine.applyChanges([r.msg('contacts', { email: 'c@x.com', account: 'NOPE' }, 1)]);
    expect(result.outcomes[0].outcome).toMatchObject({ status: 'failed', reason: 'MissingParent' });
    expect((await r.failures.list('contacts'))[0].detail).toMatch(/parentcustomerid_account@odata.bind → \/accounts\(accountnumber='NOPE'\)/);
    expect(await r.queued()).toHaveLength(0);
  });

  it('skip-unchanged sends only changed columns and skips identical records; stale and out-of-order versions are skipped', async () => {
    const r = rig(world, [accountRoute()]);
    await r.engine.applyChanges([r.msg('accounts', { num: 'A', name: 'Acme', phone: '1' }, 10)]);
    const updated = await r.engine.applyChanges([r.msg('accounts', { num: 'A', name: 'Acme', phone: '2' }, 11)]);
    expect(updated.outcomes[0].outcome.status).toBe('applied');
    expect(events).toHaveLength(2);
    const sent = events[1].changedColumns.filter((c) => !['modifiedon', 'modifiedby', 'versionnumber'].includes(c));
    expect(sent).toEqual(['telephone1']);
    const same = await r.engine.applyChanges([r.msg('accounts', { num: 'A', name: 'Acme', phone: '2' }, 12)]);
    expect(same.outcomes[0].outcome).toMatchObject({ status: 'skipped', reason: 'identical' });
    const stale = await r.engine.applyChanges([
      r.msg('accounts', { num: 'A', name: 'Old', phone: '0' }, 11),
      r.msg('accounts', { num: 'A', name: 'Older', phone: '9' }, 5),
    ]);
    expect(stale.outcomes.map((o) => o.outcome)).toEqual([expect.objectContaining({ reason: 'stale' }), expect.objectContaining({ reason: 'stale' })]);
    expect(events).toHaveLength(2);
    expect(await accounts()).toEqual([expect.objectContaining({ name: 'Acme', telephone1: '2' })]);
  });

  it('a ledger write failing after Dataverse confirmed (storage refused) causes no duplicate and no loss on redelivery', async () => {
    const dead = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${Buffer.from('k').toString('base64')};TableEndpoint=http://127.0.0.1:${await closedPort()}/devstoreaccount1;`;
    let failNext = true;
    const r = rig(world, [accountRoute({ mode: 'createOnly' })], {
      // The first ledger write goes to a port nothing listens on; reads and later writes reach Azurite.
      ledger: (real) => ({
        read: (keys) => real.read(keys),
        write: (entries) => {
          if (!failNext) return real.write(entries);
          failNext = false;
          return new RecordLedger({ connectionString: dead, table: 'unreachable', maxRetries: 0 }).write(entries);
        },
      }),
    });
    const batch = [r.msg('accounts', { num: 'A', name: 'Acme' }, 1), r.msg('accounts', { num: 'B', name: 'Beta' }, 1)];
    await expect(r.engine.applyChanges(batch)).rejects.toThrow(/ledger failed after Dataverse confirmed/);
    expect(await accounts()).toHaveLength(2);
    const redelivered = await r.engine.applyChanges(batch);
    expect(redelivered.counts).toEqual({ applied: 2, skipped: 0, failed: 0, rescheduled: 0 });
    expect(await accounts()).toHaveLength(2);
    expect(events.filter((e) => e.message === 'Create')).toHaveLength(2);
    const third = await r.engine.applyChanges(batch);
    expect(third.outcomes.map((o) => o.outcome)).toEqual([expect.objectContaining({ reason: 'stale' }), expect.objectContaining({ reason: 'stale' })]);
  });

  it('records unparseable messages, mapping errors and unknown routes in the failures table', async () => {
    const r = rig(world, [accountRoute()]);
    const result = await r.engine.applyChanges([{ body: 'not json', messageId: 'bad1' }, r.msg('accounts', { name: 'no key' }, 1), r.msg('nope', {}, 1)]);
    expect(result.outcomes.map((o) => o.outcome.status === 'failed' && o.outcome.reason)).toEqual(['InvalidMessage', 'MappingError', 'UnknownRoute']);
    expect(result.outcomes[1].outcome).toMatchObject({ detail: expect.stringMatching(/Route "accounts", column "accountnumber": key column has no value/) });
    expect((await r.failures.list('(unparsed)'))[0]).toMatchObject({ messageId: 'bad1', body: 'not json' });
    expect((await counters(world.dv)).requests).toBe(0);
  });

  it('throws (batch redelivered) when every write fails transiently (503 burst), and applies on redelivery', async () => {
    const r = rig(world, [accountRoute()], { engine: { transientRetries: 1 }, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 } });
    await operator(world.dv, 'PATCH', 'config', { faults: { burst503: 12 } });
    const batch = [r.msg('accounts', { num: 'A', name: 'a' }, 1)];
    try {
      await expect(r.engine.applyChanges(batch)).rejects.toThrow(/failed transiently/);
    } finally {
      await operator(world.dv, 'PATCH', 'config', { faults: { burst503: 0 } });
    }
    expect((await counters(world.dv)).responsesByStatus['503']).toBeGreaterThanOrEqual(2);
    expect((await r.engine.applyChanges(batch)).counts.applied).toBe(1);
    expect(await accounts()).toHaveLength(1);
  });

  it('refuses route cycles at construction', () => {
    const a = routeSchema.parse({ ...accountRoute(), target: { ...accountRoute().target, dependsOn: ['contacts'] } });
    const r = rig(world, [accountRoute()]);
    const ports = {
      sinks: { dataverse: { apply: async () => undefined } },
      ledger: r.ledger,
      failures: r.failures,
      rescheduler: { schedule: async () => undefined },
    };
    expect(() => new WriteEngine({ routes: [a, contactRoute()] }, ports)).toThrow(/cycle \(accounts → contacts → accounts\)/);
    expect(() => new WriteEngine({ routes: [a, contactRoute()] }, ports)).toThrow(EngineConfigError);
  });
});
