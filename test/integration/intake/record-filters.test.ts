/**
 * External records (POST /api/ingest/{route} and the dvsync-inbound queue) go through the route's trigger
 * conditions like webhook events do (issue 9, defect 2): a record the condition excludes is not enqueued,
 * and the answer names it by position with the reason. Service Bus emulator on loopback, real SDK.
 */
import { HttpRequest, InvocationContext } from '@azure/functions';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../emulators/servicebus';
import { createIngestHandler } from '../../../functions/ingest';
import { MemoryTelemetry } from '../../../shared/telemetry/telemetry';
import { processInboundMessage } from '../../../shared/webhook/inbound';
import { createIntakeRuntime } from '../../../shared/app';
import type { IntakeRuntime } from '../../../shared/webhook/runtime';
import { loadConfiguration } from '../../../shared/config/configuration';

const SECRET = 'integration-secret-0123456789';
let sb: ServiceBusEmulator;
let client: ServiceBusClient;
let rt: IntakeRuntime;

const routes = {
  routes: [
    {
      name: 'active-customers',
      source: {
        table: 'erp_customer',
        recordColumns: { code: 'string', name: 'string', active: 'boolean' },
        triggerConditions: ["@equals(triggerBody()?['active'], true)"],
      },
      target: { environment: 'target', table: 'account', entitySet: 'accounts', key: ['accountnumber'], columns: { accountnumber: 'code', name: 'name' } },
    },
  ],
};

beforeAll(async () => {
  sb = await startServiceBusEmulator({ port: 0 });
  client = new ServiceBusClient(sb.connectionString, { retryOptions: { maxRetries: 0, timeoutInMs: 2000 } });
  rt = createIntakeRuntime(
    loadConfiguration({
      DVSYNC_ENVIRONMENTS: JSON.stringify({ target: { url: 'https://target.crm.dynamics.com', credentials: [{ type: 'staticToken', token: 'y' }] } }),
      DVSYNC_ROUTES: JSON.stringify(routes),
      ServiceBusConnection: sb.connectionString,
      DVSYNC_WEBHOOK_SECRET: SECRET,
      DVSYNC_SESSION_BUCKETS: '1',
      DVSYNC_QUEUE_SEND_RETRIES: '0',
    }),
    { largeMessages: null, failures: null },
  );
});
afterAll(async () => {
  await rt?.publisher.close();
  await client?.close();
  await sb?.close();
});

async function drain(): Promise<ServiceBusReceivedMessage[]> {
  const receiver = await client.acceptSession('dvsync-changes', 'target-0000', { receiveMode: 'receiveAndDelete' });
  try {
    const out: ServiceBusReceivedMessage[] = [];
    for (;;) {
      const batch = await receiver.receiveMessages(50, { maxWaitTimeInMs: 400 });
      if (batch.length === 0) return out;
      out.push(...batch);
    }
  } finally {
    await receiver.close();
  }
}

const records = [
  { code: 'C1', name: 'Active one', active: true },
  { code: 'C2', name: 'Inactive', active: false },
  { code: 'C3', name: 'Active three', active: true },
];

it('ingest enqueues only the records the trigger condition accepts and names the others', async () => {
  const ingest = createIngestHandler(async () => rt);
  const res = await ingest(
    new HttpRequest({
      method: 'POST',
      url: 'http://localhost/api/ingest/active-customers',
      params: { route: 'active-customers' },
      body: { string: JSON.stringify(records) },
      headers: { 'content-type': 'application/json', 'x-dvsync-secret': SECRET },
    }),
    new InvocationContext({ functionName: 'ingest', logHandler: () => undefined }),
  );
  expect(res.status).toBe(202);
  expect(res.jsonBody).toEqual({ accepted: 2, skipped: [{ index: 1, reason: expect.stringMatching(/^trigger condition 1 \(.*\) is false$/) }] });
  expect((await drain()).map((m) => (m.body as { values: { code: string } }).values.code).sort()).toEqual(['C1', 'C3']);
});

it('the inbound queue applies the same filter, and reports each skipped record', async () => {
  const telemetry = new MemoryTelemetry();
  const outcome = await processInboundMessage(
    rt,
    JSON.stringify({ route: 'active-customers', records: records.map((r) => ({ ...r, name: `${r.name} (inbound)` })) }),
    { messageId: 'in-1' },
    telemetry,
  );
  expect(outcome).toMatchObject({ status: 'accepted', records: 2, skipped: [{ index: 1 }] });
  expect(telemetry.events.filter((e) => e.name === 'inbound.skipped').map((e) => e.properties.reason)).toEqual([expect.stringMatching(/trigger condition 1/)]);
  expect((await drain()).map((m) => (m.body as { values: { name: string } }).values.name).sort()).toEqual(['Active one (inbound)', 'Active three (inbound)']);
});
