/**
 * The apply-changes worker as deployed: its function definition run by the local Functions host,
 * triggered by the Service Bus emulator (sessions, batches), with settings only (routes via
 * DVSYNC_ROUTES_FILE, environments, storage). ChangeMessages sent with the real SDK end up in the
 * Dataverse emulator and in the ledger on Azurite.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFunctionsHost } from '../../../emulators/functions-host';
import { applyChanges } from '../../../functions/apply-changes';
import { allFunctions } from '../../../functions/all';
import { RecordLedger } from '../../../shared/ledger/record-ledger';
import { accountRoute, contactRoute, environmentConfig, QUEUE, rows, startWorld, type World } from './harness';

let world: World;
const hostLog: string[] = [];
afterEach(() => {
  if (hostLog.some((l) => /error|fail/i.test(l))) process.stderr.write(`Functions host log:\n${hostLog.join('\n')}\n`);
});
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.close();
});

async function waitFor<T>(probe: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('apply-changes worker through the local Functions host', () => {
  it('is registered as a session-enabled batch Service Bus trigger on ServiceBusConnection', () => {
    const def = allFunctions.find((f) => f.name === 'apply-changes');
    expect(def).toMatchObject({
      trigger: 'serviceBusQueue',
      options: { connection: 'ServiceBusConnection', queueName: QUEUE, isSessionsEnabled: true, cardinality: 'many' },
    });
  });

  it('applies ChangeMessages sent with the SDK to the Dataverse emulator and records them in the ledger', async () => {
    const appDir = mkdtempSync(join(tmpdir(), 'dvsync-worker-'));
    const routes = [accountRoute(), contactRoute('retry')].map((r) => ({ ...r, source: { table: r.source.table, recordColumns: {} } }));
    writeFileSync(join(appDir, 'routes.json'), JSON.stringify({ routes }));
    const host = await startFunctionsHost({
      appDir,
      port: 0,
      definitions: [applyChanges],
      // A batch function holds one session at a time; as in the app's host.json, a drained session is released after 0.5 s
      // (unset, the host holds it for the 60 s try timeout before taking the next).
      hostJson: { version: '2.0', extensions: { serviceBus: { sessionIdleTimeout: '00:00:00.500' } } },
      shutdownTimeoutMs: 1000,
      log: (line) => hostLog.push(line),
      settings: {
        ServiceBusConnection: world.sb.connectionString,
        DVSYNC_ENVIRONMENTS: JSON.stringify({ target: environmentConfig(world.dv, 'target', ['worker-user']) }),
        DVSYNC_ROUTES_FILE: 'routes.json',
        AzureWebJobsScriptRoot: appDir,
        DVSYNC_STORAGE: world.azurite.connectionString,
        AzureWebJobsStorage: world.azurite.connectionString,
      },
    });
    const sender = world.sbClient.createSender(QUEUE);
    try {
      const now = new Date().toISOString();
      const change = (route: string, values: Record<string, unknown>) => ({
        v: 1,
        route,
        origin: 'ingest',
        operation: 'upsert',
        source: { table: route },
        version: 'ext=1:0:test',
        values,
        receivedAt: now,
      });
      await sender.sendMessages([
        {
          messageId: 'w-c1',
          sessionId: 'bucket-1',
          contentType: 'application/json',
          body: change('contacts', { email: 'w@x.com', last: 'Worker', account: 'W-1' }),
        },
        { messageId: 'w-a1', sessionId: 'bucket-1', contentType: 'application/json', body: change('accounts', { num: 'W-1', name: 'Worker parent' }) },
        { messageId: 'w-a2', sessionId: 'bucket-2', contentType: 'application/json', body: change('accounts', { num: 'W-2', name: 'Second' }) },
      ]);
      const accounts = await waitFor(
        () => rows(world.dv, 'target', 'accounts', 'accountid,accountnumber,name'),
        (a) => a.length === 2,
        'two accounts',
      );
      expect(accounts.map((a) => a.accountnumber).sort()).toEqual(['W-1', 'W-2']);
      const parent = accounts.find((a) => a.accountnumber === 'W-1')!;
      // The contact came first in its session; if it was written before its parent, the retry policy re-enqueues it.
      const contacts = await waitFor(
        () => rows(world.dv, 'target', 'contacts', 'emailaddress1,_parentcustomerid_value'),
        (c) => c.length === 1,
        'the contact',
        30_000,
      );
      expect(contacts[0]).toMatchObject({ emailaddress1: 'w@x.com', _parentcustomerid_value: parent.accountid });
      const ledger = new RecordLedger({ connectionString: world.azurite.connectionString });
      const entries = await waitFor(
        () =>
          ledger.read([
            { environment: 'target', table: 'account', key: "accountnumber='W-1'" },
            { environment: 'target', table: 'account', key: "accountnumber='W-2'" },
            { environment: 'target', table: 'contact', key: "emailaddress1='w@x.com'" },
          ]),
        (m) => m.size === 3,
        'three ledger entries',
      );
      expect([...entries.values()].every((e) => e.version === 'ext#ext=1:0:test' && !e.deleted)).toBe(true);
    } finally {
      await sender.close();
      await host.close();
    }
  });
});
