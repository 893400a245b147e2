import { startAzurite, type TestAzurite } from '../../helpers/azurite';
import { WriteEngine, type IncomingMessage } from '../../../shared/engine/engine';
import { EngineConfigError } from '../../../shared/engine/errors';
import type { ScheduledChange } from '../../../shared/engine/ports';
import { RecordLedger } from '../../../shared/ledger/record-ledger';
import { FailureStore } from '../../../shared/ledger/failures';
import type { LedgerWrite } from '../../../shared/ledger/types';
import { routeSchema, type Route } from '../../../shared/routes/schema';
import { FakeDataverse, FakeDataverseError } from './fake-dataverse';

let azurite: TestAzurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.close();
});

const accountRoute = (extra: Record<string, unknown> = {}): Route =>
  routeSchema.parse({
    name: 'accounts',
    source: { table: 'account' },
    target: { environment: 'target', table: 'account', entitySet: 'accounts', key: ['accountnumber'], columns: { accountnumber: 'num', name: 'name', telephone1: 'phone' }, ...extra },
  });
const contactRoute = (missingParent: 'retry' | 'dropLookup' | 'fail' = 'retry'): Route =>
  routeSchema.parse({
    name: 'contacts',
    source: { table: 'contact' },
    target: {
      environment: 'target',
      table: 'contact',
      entitySet: 'contacts',
      key: ['emailaddress1'],
      columns: { emailaddress1: 'email', lastname: 'last' },
      lookups: [{ from: 'account', navigationProperty: 'parentcustomerid_account', targetTable: 'account', key: ['accountnumber'], missingParent }],
    },
  });

let seq = 0;
function msg(route: string, values: Record<string, unknown>, version: number, extra: Partial<IncomingMessage> & { operation?: 'upsert' | 'delete'; receivedAt?: string } = {}): IncomingMessage {
  const body = { v: 1, route, origin: 'ingest', operation: extra.operation ?? 'upsert', source: { table: route }, version: String(version), values, receivedAt: extra.receivedAt ?? new Date().toISOString() };
  return { body, messageId: extra.messageId ?? `m${seq++}`, sessionId: 's1', ...extra };
}

function setup(routes: Route[], opts: { failLedgerWrites?: number } = {}) {
  const dataverse = new FakeDataverse();
  const ledger = new RecordLedger({ connectionString: azurite.connectionString, table: `l${Date.now() % 1e6}${seq++}` });
  const failures = new FailureStore({ connectionString: azurite.connectionString, table: `f${Date.now() % 1e6}${seq++}` });
  const scheduled: ScheduledChange[] = [];
  let failWrites = opts.failLedgerWrites ?? 0;
  const flakyLedger = {
    read: ledger.read.bind(ledger),
    write: async (e: readonly LedgerWrite[]) => {
      if (failWrites-- > 0) throw new Error('storage unavailable');
      return ledger.write(e);
    },
  };
  const engine = new WriteEngine(
    { routes, transientDelayMs: 0, retry: { maxAttempts: 3, baseDelayMs: 1000 } },
    { dataverse, ledger: flakyLedger, failures, rescheduler: { schedule: async (c) => void scheduled.push(...c) } },
  );
  return { engine, dataverse, failures, scheduled };
}

describe('WriteEngine', () => {
  it('isolates a bad record in a bulk batch by binary split, applies the rest and records the failure', async () => {
    const { engine, dataverse, failures } = setup([accountRoute()]);
    const batch = Array.from({ length: 20 }, (_, i) => msg('accounts', { num: `A-${i}`, name: i === 13 ? '__bad__' : `Acme ${i}` }, 1));
    const result = await engine.applyChanges(batch);
    expect(result.counts).toEqual({ applied: 19, skipped: 0, failed: 1, rescheduled: 0 });
    expect(dataverse.rows.size).toBe(19);
    expect(dataverse.rows.has("accounts(accountnumber='A-13')")).toBe(false);
    const f = await failures.list('accounts');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ reason: 'DataverseError', status: 400, code: '0x80044331', targetKey: "accountnumber='A-13'", version: '1' });
    expect(dataverse.received.every((r) => r.path === 'bulk:UpsertMultiple')).toBe(true);
  });

  it('keeps only the latest version per target row within a batch', async () => {
    const { engine, dataverse } = setup([accountRoute()]);
    const result = await engine.applyChanges([msg('accounts', { num: 'A', name: 'v3' }, 3), msg('accounts', { num: 'A', name: 'v5' }, 5), msg('accounts', { num: 'A', name: 'v4' }, 4)]);
    expect(result.outcomes.map((o) => o.outcome.status)).toEqual(['skipped', 'applied', 'skipped']);
    expect(result.outcomes[0].outcome).toMatchObject({ reason: 'superseded' });
    expect(dataverse.rows.get("accounts(accountnumber='A')")?.name).toBe('v5');
    expect(dataverse.received.flatMap((r) => r.writes)).toHaveLength(1);
  });

  it('writes parents before children in one batch (contact looking up an account created in the same batch)', async () => {
    const { engine, dataverse } = setup([contactRoute('fail'), accountRoute()]);
    const result = await engine.applyChanges([
      msg('contacts', { email: 'c@x.com', last: 'Doe', account: { $type: 'reference', table: 'account', id: 'x', keys: { accountnumber: 'P-1' } } }, 1),
      msg('accounts', { num: 'P-1', name: 'Parent' }, 1),
    ]);
    expect(result.counts.applied).toBe(2);
    expect(dataverse.received.map((r) => r.writes[0].table)).toEqual(['account', 'contact']);
    expect(dataverse.rows.get("contacts(emailaddress1='c@x.com')")).toMatchObject({ 'parentcustomerid_account@odata.bind': "/accounts(accountnumber='P-1')" });
  });

  it('missing parent, policy retry: rescheduled with backoff (same body and session, new id), then failed after the bound', async () => {
    const { engine, scheduled, failures } = setup([contactRoute('retry'), accountRoute()]);
    const m = msg('contacts', { email: 'c@x.com', account: 'NOPE' }, 1, { messageId: 'orig' });
    const first = await engine.applyChanges([m]);
    expect(first.outcomes[0].outcome).toMatchObject({ status: 'rescheduled', reason: 'MissingParent', messageId: 'orig~1' });
    expect(scheduled[0]).toMatchObject({ sessionId: 's1', messageId: 'orig~1', applicationProperties: { dvsyncRetries: 1 } });
    expect(JSON.parse(scheduled[0].body)).toEqual(m.body);
    expect(scheduled[0].scheduledEnqueueTimeUtc.getTime()).toBeGreaterThan(Date.now());
    // Redelivered with the retry count the bound allows no further.
    const last = await engine.applyChanges([{ ...m, messageId: 'orig~2', applicationProperties: { dvsyncRetries: 2 } }]);
    expect(last.outcomes[0].outcome).toMatchObject({ status: 'failed', reason: 'MissingParent' });
    expect(scheduled).toHaveLength(1);
    expect((await failures.list('contacts'))[0]).toMatchObject({ reason: 'MissingParent', attempt: 3 });
  });

  it('missing parent, policy dropLookup: writes the row without the lookup and records a warning', async () => {
    const { engine, dataverse, failures } = setup([contactRoute('dropLookup'), accountRoute()]);
    const r = await engine.applyChanges([msg('contacts', { email: 'c@x.com', last: 'Doe', account: 'NOPE' }, 1)]);
    expect(r.outcomes[0].outcome.status).toBe('applied');
    expect(r.outcomes[0].warnings[0]).toMatch(/lookup dropped/);
    expect(dataverse.rows.get("contacts(emailaddress1='c@x.com')")).toEqual({ emailaddress1: 'c@x.com', lastname: 'Doe' });
    expect((await failures.list('contacts'))[0]).toMatchObject({ severity: 'warning', reason: 'LookupDropped' });
  });

  it('missing parent, policy fail: a permanent failure is recorded', async () => {
    const { engine, failures } = setup([contactRoute('fail'), accountRoute()]);
    const r = await engine.applyChanges([msg('contacts', { email: 'c@x.com', account: 'NOPE' }, 1)]);
    expect(r.outcomes[0].outcome).toMatchObject({ status: 'failed', reason: 'MissingParent' });
    expect((await failures.list('contacts'))[0].detail).toMatch(/parentcustomerid_account@odata.bind → \/accounts\(accountnumber='NOPE'\)/);
  });

  it('RescheduleError from the throttle: re-enqueued at notBefore, batch completes', async () => {
    const { engine, dataverse, scheduled } = setup([accountRoute()]);
    const notBefore = new Date(Date.now() + 120_000);
    dataverse.throwNext.push(Object.assign(new Error('wait exceeds budget'), { name: 'RescheduleError', notBefore }));
    const r = await engine.applyChanges([msg('accounts', { num: 'A', name: 'x' }, 1, { messageId: 'id1' }), msg('accounts', { num: 'B', name: 'y' }, 1, { messageId: 'id2' })]);
    expect(r.counts.rescheduled).toBe(2);
    expect(scheduled.map((s) => [s.messageId, s.scheduledEnqueueTimeUtc.getTime(), s.sessionId])).toEqual([
      ['id1~1', notBefore.getTime(), 's1'],
      ['id2~1', notBefore.getTime(), 's1'],
    ]);
    expect(dataverse.rows.size).toBe(0);
  });

  it('skip-unchanged sends only changed columns and skips identical records; stale versions are skipped', async () => {
    const { engine, dataverse } = setup([accountRoute()]);
    await engine.applyChanges([msg('accounts', { num: 'A', name: 'Acme', phone: '1' }, 10)]);
    dataverse.received.length = 0;
    const r = await engine.applyChanges([msg('accounts', { num: 'A', name: 'Acme', phone: '2' }, 11)]);
    expect(r.outcomes[0].outcome.status).toBe('applied');
    expect(dataverse.received[0].writes[0].body).toEqual({ telephone1: '2' });
    const same = await engine.applyChanges([msg('accounts', { num: 'A', name: 'Acme', phone: '2' }, 12)]);
    expect(same.outcomes[0].outcome).toMatchObject({ status: 'skipped', reason: 'identical' });
    const stale = await engine.applyChanges([msg('accounts', { num: 'A', name: 'Old', phone: '0' }, 11)]);
    expect(stale.outcomes[0].outcome).toMatchObject({ status: 'skipped', reason: 'stale' });
    expect(dataverse.received).toHaveLength(1);
    expect(dataverse.rows.get("accounts(accountnumber='A')")).toMatchObject({ name: 'Acme', telephone1: '2' });
  });

  it('a crash between the Dataverse write and the ledger write causes no duplicate and no loss on redelivery', async () => {
    const { engine, dataverse } = setup([accountRoute({ mode: 'createOnly' })], { failLedgerWrites: 1 });
    const batch = [msg('accounts', { num: 'A', name: 'Acme' }, 1), msg('accounts', { num: 'B', name: 'Beta' }, 1)];
    await expect(engine.applyChanges(batch)).rejects.toThrow(/ledger failed after Dataverse confirmed/);
    expect(dataverse.rows.size).toBe(2);
    const redelivered = await engine.applyChanges(batch);
    expect(redelivered.counts).toEqual({ applied: 2, skipped: 0, failed: 0, rescheduled: 0 });
    expect(dataverse.rows.size).toBe(2);
    const third = await engine.applyChanges(batch);
    expect(third.outcomes.map((o) => o.outcome)).toEqual([expect.objectContaining({ reason: 'stale' }), expect.objectContaining({ reason: 'stale' })]);
  });

  it('falls back from bulk to change sets when the table does not support the bulk message', async () => {
    const { engine, dataverse } = setup([accountRoute()]);
    dataverse.noBulk.add('account');
    const r = await engine.applyChanges([msg('accounts', { num: 'A', name: 'a' }, 1), msg('accounts', { num: 'B', name: 'b' }, 1)]);
    expect(r.counts.applied).toBe(2);
    expect(dataverse.received.map((x) => x.path)).toEqual(['bulk:UpsertMultiple', 'changeSet']);
  });

  it('records unparseable messages and mapping errors in the failures table', async () => {
    const { engine, failures } = setup([accountRoute()]);
    const r = await engine.applyChanges([{ body: 'not json', messageId: 'bad1' }, msg('accounts', { name: 'no key' }, 1), msg('nope', {}, 1)]);
    expect(r.outcomes.map((o) => o.outcome.status === 'failed' && o.outcome.reason)).toEqual(['InvalidMessage', 'MappingError', 'UnknownRoute']);
    expect(r.outcomes[1].outcome).toMatchObject({ detail: expect.stringMatching(/Route "accounts", column "accountnumber": key column has no value/) });
    expect((await failures.list('(unparsed)'))[0]).toMatchObject({ messageId: 'bad1', body: 'not json' });
  });

  it('throws (batch redelivered) when every write fails transiently', async () => {
    const { engine, dataverse } = setup([accountRoute()]);
    dataverse.throwNext.push(...Array.from({ length: 3 }, () => new FakeDataverseError(503, '', 'Service Unavailable', 'transient', true)));
    await expect(engine.applyChanges([msg('accounts', { num: 'A', name: 'a' }, 1)])).rejects.toThrow(/failed transiently/);
  });

  it('refuses route cycles at construction', () => {
    const a = routeSchema.parse({ ...accountRoute(), target: { ...accountRoute().target, dependsOn: ['contacts'] } });
    const ports = { dataverse: new FakeDataverse(), ledger: { read: async () => new Map(), write: async () => undefined }, failures: { record: async () => undefined }, rescheduler: { schedule: async () => undefined } };
    expect(() => new WriteEngine({ routes: [a, contactRoute()] }, ports)).toThrow(/cycle \(accounts → contacts → accounts\)/);
    expect(() => new WriteEngine({ routes: [a, contactRoute()] }, ports)).toThrow(EngineConfigError);
  });
});
