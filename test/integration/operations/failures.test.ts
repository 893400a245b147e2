/** Failures recorded by the engine's FailureStore: listed, replayed onto the changes queue, marked replayed. */
import { ServiceBusClient } from '@azure/service-bus';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../emulators/servicebus';
import { FailureStore, type FailureRecord } from '../../../shared/ledger/failures';
import { tableClient } from '../../../shared/ledger/tables';
import type { ChangeMessage } from '../../../shared/model/change-message';
import { listFailures, replayFailures } from '../../../shared/operations/failures';
import { ServiceBusChangePublisher } from '../../../shared/queue/servicebus';
import { parseRoutes } from '../../../shared/routes/load';
import { compileCondition } from '../../../shared/routes/conditions';
import { startAzurite, type TestAzurite } from '../../helpers/azurite';

const QUEUE = 'ops-replay';
const TABLE = 'opsfailures';
let sb: ServiceBusEmulator;
let azurite: TestAzurite;
let client: ServiceBusClient;

beforeAll(async () => {
  [sb, azurite] = await Promise.all([
    startServiceBusEmulator({
      port: 0,
      queues: [{ name: QUEUE, requiresSession: true, requiresDuplicateDetection: true, duplicateDetectionHistoryTimeWindow: 'PT10M' }],
    }),
    startAzurite(),
  ]);
  client = new ServiceBusClient(sb.connectionString, { retryOptions: { timeoutInMs: 2000, maxRetries: 0 } });
});
afterAll(async () => {
  await client?.close();
  await Promise.all([sb?.close(), azurite?.close()]);
});

const routes = parseRoutes(
  JSON.stringify({
    routes: [
      {
        name: 'accounts',
        source: { environment: 'source', table: 'account' },
        target: { environment: 'target', table: 'account', entitySet: 'accounts', key: ['accountnumber'], columns: { accountnumber: 'accountnumber' } },
      },
    ],
  }),
  'test routes',
  compileCondition,
);

const change: ChangeMessage = {
  v: 1,
  route: 'accounts',
  origin: 'webhook',
  operation: 'upsert',
  source: { environment: 'source', table: 'account', id: '11111111-2222-3333-4444-555555555555', correlationId: 'corr-1' },
  version: '1001',
  values: { accountnumber: 'A-1', name: 'Contoso' },
  receivedAt: '2024-05-01T10:00:00.000Z',
};

function failure(over: Partial<FailureRecord>): FailureRecord {
  return {
    severity: 'error',
    reason: 'MissingParent',
    detail: 'parent account A-0 does not exist',
    messageId: 'accounts:abc',
    route: 'accounts',
    targetKey: "accountnumber='A-1'",
    attempt: 5,
    time: '2024-05-01T10:00:05.000Z',
    body: JSON.stringify(change),
    ...over,
  };
}

async function drainSession(): Promise<Array<{ body: unknown; messageId: unknown; applicationProperties?: Record<string, unknown> }>> {
  const receiver = await client.acceptNextSession(QUEUE, { maxAutoLockRenewalDurationInMs: 0 }).catch(() => undefined);
  if (!receiver) return [];
  const out = await receiver.receiveMessages(50, { maxWaitTimeInMs: 500 });
  for (const m of out) await receiver.completeMessage(m);
  await receiver.close();
  return out.map((m) => ({ body: m.body, messageId: m.messageId, applicationProperties: m.applicationProperties as Record<string, unknown> | undefined }));
}

describe('failures', () => {
  it('lists what the engine recorded and replays it onto the queue once, marking it replayed', async () => {
    const store = new FailureStore({ connectionString: azurite.connectionString, table: TABLE });
    await store.record([
      failure({}),
      failure({ messageId: 'garbage', reason: 'InvalidMessage', body: 'not json', time: '2024-05-01T09:00:00.000Z' }),
      failure({ route: 'other', messageId: 'other:1', time: '2024-04-01T00:00:00.000Z' }),
    ]);
    const all = await listFailures(store);
    expect(all.map((f) => f.messageId)).toEqual(['accounts:abc', 'garbage', 'other:1']); // newest first
    expect(await listFailures(store, { route: 'accounts', since: new Date('2024-05-01T09:30:00Z') })).toEqual([
      expect.objectContaining({ route: 'accounts', reason: 'MissingParent', targetKey: "accountnumber='A-1'", detail: 'parent account A-0 does not exist' }),
    ]);

    const table = tableClient(azurite.connectionString, TABLE);
    const publisher = new ServiceBusChangePublisher(client, QUEUE, 30, false);
    const base = { store, table, publisher, routes, sessionBuckets: 8, route: 'accounts' };
    try {
      const dry = await replayFailures({ ...base, dryRun: true });
      expect(dry.replayed).toHaveLength(1);
      expect(await drainSession()).toEqual([]);

      const report = await replayFailures(base);
      expect(report.replayed).toEqual([expect.objectContaining({ route: 'accounts', messageId: expect.stringMatching(/^accounts:[0-9a-f]{32}$/) })]);
      expect(report.skipped).toEqual([expect.objectContaining({ reason: expect.stringContaining('not a change message') })]);
      const received = await drainSession();
      expect(received).toHaveLength(1);
      expect(received[0].body).toEqual(change);
      expect(received[0].messageId).toBe(report.replayed[0].messageId);
      expect(received[0].applicationProperties).toMatchObject({ route: 'accounts', replayOf: 'accounts:abc' });

      const [marked] = await listFailures(store, { id: report.replayed[0].id });
      expect(marked.replayedAt).toBeDefined();
      expect(marked.replayMessageId).toBe(report.replayed[0].messageId);
      // Without --id, replayed failures are not replayed again; with --id the same message id is dropped as a duplicate.
      expect((await replayFailures(base)).replayed).toEqual([]);
      expect((await replayFailures({ ...base, id: report.replayed[0].id })).replayed[0].messageId).toBe(report.replayed[0].messageId);
      expect(await drainSession()).toEqual([]);
    } finally {
      await publisher.close();
    }
  });
});
