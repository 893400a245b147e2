/**
 * functions/inbound.ts through the local Functions host, against the Service Bus emulator (real SDK on both
 * ends) and Azurite (the failures table): valid records are forwarded as ChangeMessages; a refused message is
 * recorded with its reason and completed; without a failures table it is redelivered and dead-lettered.
 */
import type { ServiceBusQueueFunctionOptions } from '@azure/functions';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { serviceBusQueueFunction } from '../../../functions/definition';
import { createInboundHandler, inbound } from '../../../functions/inbound';
import { startFunctionsHost, type FunctionsHostHandle } from '../../../emulators/functions-host';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../emulators/servicebus';
import { FailureStore } from '../../../shared/ledger/failures';
import type { ChangeMessage } from '../../../shared/model/change-message';
import { closeIntakeRuntime, createIntakeRuntime } from '../../../shared/app';
import { loadConfiguration } from '../../../shared/config/configuration';
import { startAzurite, type TestAzurite } from '../../helpers/azurite';

const appDir = mkdtempSync(join(tmpdir(), 'inbound-'));
let sb: ServiceBusEmulator;
let azurite: TestAzurite;
let client: ServiceBusClient;

beforeAll(async () => {
  [sb, azurite] = await Promise.all([
    startServiceBusEmulator({
      port: 0,
      queues: [
        { name: 'dvsync-changes', requiresSession: true, requiresDuplicateDetection: true, duplicateDetectionHistoryTimeWindow: 'PT10M' },
        { name: 'dvsync-inbound', maxDeliveryCount: 2, lockDuration: 'PT5S' },
      ],
    }),
    startAzurite(),
  ]);
  client = new ServiceBusClient(sb.connectionString, { retryOptions: { maxRetries: 0, timeoutInMs: 2000 } });
});
afterAll(async () => {
  await closeIntakeRuntime();
  await client?.close();
  await Promise.all([sb?.close(), azurite?.close()]);
});

const settings = (): Record<string, string> => ({
  DVSYNC_ENVIRONMENTS: JSON.stringify({ target: { url: 'https://target.crm.dynamics.com', credentials: [{ type: 'staticToken', token: 't' }] } }),
  DVSYNC_ROUTES: JSON.stringify({
    routes: [
      {
        name: 'erp-customers',
        source: { table: 'erp_customer', recordColumns: { code: 'string', name: 'string', credit: 'number' } },
        target: {
          environment: 'target',
          table: 'account',
          entitySet: 'accounts',
          key: ['accountnumber'],
          columns: { accountnumber: 'code', name: 'name', creditlimit: 'credit' },
        },
      },
    ],
  }),
  ServiceBusConnection: sb.connectionString,
  AzureWebJobsStorage: azurite.connectionString,
  DVSYNC_SESSION_BUCKETS: '1',
  DVSYNC_QUEUE_SEND_RETRIES: '0',
});

async function withHost(definition: typeof inbound, body: (host: FunctionsHostHandle, log: string[]) => Promise<void>): Promise<void> {
  const log: string[] = [];
  const host = await startFunctionsHost({ appDir, port: 0, definitions: [definition], hostJson: {}, settings: settings(), log: (line) => void log.push(line) });
  try {
    await body(host, log);
  } finally {
    await host.close();
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function receiveChanges(): Promise<ServiceBusReceivedMessage[]> {
  const receiver = await client.acceptSession('dvsync-changes', 'target-0000', { receiveMode: 'receiveAndDelete' });
  try {
    return await receiver.receiveMessages(50, { maxWaitTimeInMs: 500 });
  } finally {
    await receiver.close();
  }
}

async function peek(queue: string, subQueueType?: 'deadLetter'): Promise<ServiceBusReceivedMessage[]> {
  const receiver = client.createReceiver(queue, subQueueType ? { subQueueType } : {});
  try {
    return await receiver.peekMessages(20);
  } finally {
    await receiver.close();
  }
}

describe('dvsync-inbound through the Functions host', () => {
  it('forwards valid records as ChangeMessages; refused messages are recorded in the failures table with their reason and completed', async () => {
    const failures = new FailureStore({ connectionString: azurite.connectionString });
    await withHost(inbound, async (_host, log) => {
      const sender = client.createSender('dvsync-inbound');
      await sender.sendMessages([
        {
          messageId: 'in-ok',
          body: {
            route: 'erp-customers',
            records: [
              { code: 'C-1', name: 'One', credit: 10 },
              // eslint-disable-next-line no-loss-of-precision -- the producer's number has more digits than a double
              { code: 'C-2', name: 'Two', credit: 12345678901234567890.5 },
            ],
          },
        },
        { messageId: 'in-bad-record', body: { route: 'erp-customers', records: [{ code: 'C-3', credit: 'lots' }] } },
        { messageId: 'in-unknown-route', body: { route: 'nowhere', record: { code: 'X' } } },
        { messageId: 'in-not-json', body: '{"route": "erp-customers", "record": ' },
      ]);
      await sender.close();

      const forwarded = await until('two forwarded changes', async () => {
        const got = await receiveChanges();
        return got.length ? got : undefined;
      });
      const changes = forwarded.map((m) => m.body as ChangeMessage);
      expect(changes.map((c) => c.values.code).sort()).toEqual(['C-1', 'C-2']);
      expect(changes[0]).toMatchObject({ route: 'erp-customers', origin: 'ingest', operation: 'upsert', source: { table: 'erp_customer' } });

      const recorded = await until('three recorded failures', async () => {
        const all = [...(await failures.list('erp-customers')), ...(await failures.list('(unparsed)'))].filter((f) => f.messageId.startsWith('in-'));
        return all.length >= 3 ? all : undefined;
      });
      const byId = new Map(recorded.map((f) => [f.messageId, f]));
      expect(byId.get('in-bad-record')).toMatchObject({ route: 'erp-customers', reason: 'InvalidInboundMessage', severity: 'error', attempt: 1 });
      expect(byId.get('in-bad-record')!.detail).toMatch(/^invalid_records: .*records\[0\]\.credit: expected number/);
      expect(JSON.parse(byId.get('in-bad-record')!.body)).toEqual({ route: 'erp-customers', records: [{ code: 'C-3', credit: 'lots' }] });
      expect(byId.get('in-unknown-route')).toMatchObject({ reason: 'InvalidInboundMessage' });
      expect(byId.get('in-unknown-route')!.route).toBeUndefined(); // not a configured route: kept in "(unparsed)"
      expect(byId.get('in-unknown-route')!.detail).toContain('unknown_route: There is no route "nowhere"');
      expect(byId.get('in-not-json')!.detail).toMatch(/^not_json: The inbound message is not JSON \(line 1, column \d+/);
      expect(byId.get('in-not-json')!.body).toBe('{"route": "erp-customers", "record": ');

      // Completed, not redelivered or dead-lettered; nothing else reached the changes queue.
      expect(await peek('dvsync-inbound')).toHaveLength(0);
      expect(await peek('dvsync-inbound', 'deadLetter')).toHaveLength(0);
      expect(await receiveChanges()).toHaveLength(0);
      expect(log.some((l) => l.includes('inbound: message in-bad-record refused (invalid_records)'))).toBe(true);
      expect(log.some((l) => l.startsWith('[inbound]') && l.includes('dvsync.event inbound.invalid') && l.includes('"reason":"unknown_route"'))).toBe(true);
    });
  });

  it('without a failures table a refused message is redelivered and dead-lettered; the log says why', async () => {
    const runtime = createIntakeRuntime(loadConfiguration(settings()), { failures: null });
    const noStorage = serviceBusQueueFunction('inbound', {
      ...(inbound.options as ServiceBusQueueFunctionOptions),
      handler: createInboundHandler(async () => runtime),
    });
    try {
      await withHost(noStorage as typeof inbound, async (_host, log) => {
        await client.createSender('dvsync-inbound').sendMessages({ messageId: 'in-nowhere', body: { route: 'erp-customers', records: [] } });
        const dead = await until('a dead-lettered message', async () => (await peek('dvsync-inbound', 'deadLetter'))[0]);
        expect(dead.messageId).toBe('in-nowhere');
        expect(dead.deadLetterReason).toBe('MaxDeliveryCountExceeded');
        expect(
          log.filter((l) => l.includes('dvsync.event inbound.invalid') && l.includes('"reason":"invalid_records"') && l.includes('no records')).length,
        ).toBe(2); // once per delivery
        expect(log.some((l) => l.includes('no failures table is configured'))).toBe(true);
      });
    } finally {
      await runtime.publisher.close();
    }
  });
});
