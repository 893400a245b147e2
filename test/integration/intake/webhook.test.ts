/**
 * The exported webhook handler with real HttpRequest / InvocationContext objects (test mode) against the
 * Service Bus emulator on a free port; messages are read back with the real @azure/service-bus SDK.
 */
import { HttpRequest, InvocationContext } from '@azure/functions';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { createServer } from 'net';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../emulators/servicebus';
import { createWebhookHandler } from '../../../functions/webhook';
import { createIntakeRuntime } from '../../../shared/app';
import type { IntakeRuntime } from '../../../shared/webhook/runtime';
import { loadConfiguration } from '../../../shared/config/configuration';
import { orderingBucket, sessionIdFor } from '../../../shared/queue/ordering';
import { webhookFixture } from '../../helpers/fixtures';

const FIXTURE = webhookFixture('update-contact-async-postimage-msdocs.json');
const ORG = '00aa00aa-bb11-cc22-dd33-44ee44ee44ee';
const SECRET = 'integration-secret-0123456789';

const env = (connection: string): Record<string, string> => ({
  DVSYNC_ENVIRONMENTS: JSON.stringify({
    source: { url: 'https://orgname.crm.dynamics.com', organizationId: ORG, credentials: [{ type: 'staticToken', token: 'x' }] },
    target: { url: 'https://target.crm.dynamics.com', credentials: [{ type: 'staticToken', token: 'y' }] },
  }),
  DVSYNC_ROUTES: JSON.stringify({
    routes: [
      {
        name: 'contacts',
        source: { environment: 'source', table: 'contact' },
        target: { environment: 'target', table: 'contact', entitySet: 'contacts', key: ['dvs_sourceid'] },
      },
      {
        name: 'contacts-created',
        source: { environment: 'source', table: 'contact', messages: ['Create'] },
        target: { environment: 'target', table: 'contact', entitySet: 'contacts', key: ['dvs_sourceid'] },
      },
    ],
  }),
  ServiceBusConnection: connection,
  DVSYNC_WEBHOOK_SECRET: SECRET,
  DVSYNC_WEBHOOK_MAX_BODY_BYTES: '65536',
  DVSYNC_QUEUE_SEND_TIMEOUT_MS: '1500',
  DVSYNC_QUEUE_SEND_RETRIES: '0',
});

const post = (body: Uint8Array | string, headers: Record<string, string> = {}) =>
  new HttpRequest({
    method: 'POST',
    url: 'http://localhost/api/dataverse/webhook?code=k',
    body: { bytes: typeof body === 'string' ? Buffer.from(body) : body },
    headers: { 'content-type': 'application/json', 'x-dvsync-secret': SECRET, 'x-ms-dynamics-organization': 'orgname.crm.dynamics.com', ...headers },
  });
const context = () => new InvocationContext({ functionName: 'dataverseWebhook', logHandler: () => undefined });

let sb: ServiceBusEmulator;
let runtime: IntakeRuntime;
let client: ServiceBusClient;
let handler: ReturnType<typeof createWebhookHandler>;

beforeAll(async () => {
  sb = await startServiceBusEmulator({ port: 0 });
  runtime = createIntakeRuntime(loadConfiguration(env(sb.connectionString)), { largeMessages: null });
  handler = createWebhookHandler(async () => runtime);
  client = new ServiceBusClient(sb.connectionString);
});
afterAll(async () => {
  await runtime?.publisher.close();
  await client?.close();
  await sb?.close();
});

async function drainSession(sessionId: string): Promise<ServiceBusReceivedMessage[]> {
  const receiver = await client.acceptSession('dvsync-changes', sessionId, { receiveMode: 'receiveAndDelete' });
  try {
    const out: ServiceBusReceivedMessage[] = [];
    for (;;) {
      const batch = await receiver.receiveMessages(10, { maxWaitTimeInMs: 400 });
      if (batch.length === 0) return out;
      out.push(...batch);
    }
  } finally {
    await receiver.close();
  }
}

const expectedSession = sessionIdFor('target', orderingBucket('target', 'contact', '6d81597f-0f9f-e711-8122-000d3aa2331c', 64));

describe('POST /api/dataverse/webhook', () => {
  it('enqueues one ChangeMessage per matching route, and the queue drops the duplicate POST', async () => {
    const first = await handler(post(FIXTURE), context());
    expect(first.status).toBe(202);
    const body = first.jsonBody as { routed: Array<{ route: string; messageId: string }>; skipped: Array<{ route: string; reason: string }> };
    expect(body.routed.map((r) => r.route)).toEqual(['contacts']);
    expect(body.skipped).toEqual([{ route: 'contacts-created', reason: 'message "Update" is not one of Create' }]);
    const again = await handler(post(FIXTURE), context());
    expect(again.status).toBe(202);
    expect((again.jsonBody as typeof body).routed).toEqual(body.routed);

    const messages = await drainSession(expectedSession);
    expect(messages).toHaveLength(1);
    const m = messages[0];
    expect(m.messageId).toBe(body.routed[0].messageId);
    expect(m.sessionId).toBe(expectedSession);
    expect(m.correlationId).toBe('aaaa0000-bb11-2222-33cc-444444dddddd');
    expect(m.applicationProperties).toMatchObject({
      route: 'contacts',
      table: 'contact',
      message: 'Update',
      rowId: '6d81597f-0f9f-e711-8122-000d3aa2331c',
      origin: 'webhook',
    });
    expect(m.body).toMatchObject({
      v: 1,
      route: 'contacts',
      origin: 'webhook',
      operation: 'upsert',
      // The docs sample carries RowVersion null: only modifiedon orders it (shared/model/version.ts).
      version: `mt=${Date.parse('2017-09-26T00:04:07Z')}`,
      source: { environment: 'source', table: 'contact', id: '6d81597f-0f9f-e711-8122-000d3aa2331c', operationId: '4af10637-4ea2-e711-8122-000d3aa2331c' },
      values: { firstname: 'James', fullname: 'James Glynn (sample)' },
    });
  });

  it('refuses bad requests with the documented answer and enqueues nothing', async () => {
    const cases: Array<[string, HttpRequest, number, string]> = [
      ['no secret', post(FIXTURE, { 'x-dvsync-secret': '' }), 401, 'unauthorized'],
      ['wrong secret', post(FIXTURE, { 'x-dvsync-secret': 'integration-secret-0123456780' }), 401, 'unauthorized'],
      ['not JSON', post(FIXTURE, { 'content-type': 'text/plain' }), 415, 'unsupported_media_type'],
      ['malformed', post('{"MessageName": "Update",\n  oops}'), 400, 'malformed_json'],
      ['oversized', post(Buffer.alloc(70_000, 0x20)), 413, 'payload_too_large'],
      ['declared oversized', post(FIXTURE, { 'content-length': '900000' }), 413, 'payload_too_large'],
      [
        'other organization',
        post(Buffer.from(FIXTURE.toString('utf8').replace(new RegExp(ORG, 'g'), 'b0714265-8e72-4d3b-8239-ecf0970a3da6'))),
        403,
        'unknown_organization',
      ],
      ['host mismatch', post(FIXTURE, { 'x-ms-dynamics-organization': 'evil.crm.dynamics.com' }), 403, 'unknown_organization'],
    ];
    for (const [name, request, status, code] of cases) {
      const r = await handler(request, context());
      expect({ name, status: r.status, code: (r.jsonBody as { error: string }).error }).toEqual({ name, status, code });
      if (status === 401) expect(r.jsonBody).toEqual({ error: 'unauthorized', message: 'Unauthorized.' });
    }
    expect(await drainSession(expectedSession)).toHaveLength(0);
  });

  it('answers 503 with Retry-After when the queue cannot be reached', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const down = createIntakeRuntime(loadConfiguration(env(sb.connectionString.replace(/localhost:\d+/, `localhost:${closed}`))), { largeMessages: null });
    try {
      const r = await createWebhookHandler(async () => down)(post(FIXTURE), context());
      expect(r.status).toBe(503);
      expect((r.headers as Record<string, string>)['retry-after']).toBe('30');
      expect((r.jsonBody as { error: string }).error).toBe('queue_unavailable');
    } finally {
      await down.publisher.close();
    }
  });
});

describe('POST /api/ingest/{route}', () => {
  it('validates every record before enqueueing anything, then accepts them', async () => {
    const { createIngestHandler } = await import('../../../functions/ingest');
    const routes = {
      routes: [
        {
          name: 'erp-accounts',
          source: { table: 'erp_customer', recordColumns: { code: 'string', name: 'string', credit: 'number' } },
          target: { environment: 'target', table: 'account', entitySet: 'accounts', key: ['accountnumber'], columns: { accountnumber: 'code' } },
        },
      ],
    };
    const rt = createIntakeRuntime(loadConfiguration({ ...env(sb.connectionString), DVSYNC_ROUTES: JSON.stringify(routes) }), { largeMessages: null });
    const ingest = createIngestHandler(async () => rt);
    const req = (body: unknown) =>
      new HttpRequest({
        method: 'POST',
        url: 'http://localhost/api/ingest/erp-accounts',
        params: { route: 'erp-accounts' },
        body: { string: JSON.stringify(body) },
        headers: { 'content-type': 'application/json', 'x-dvsync-secret': SECRET },
      });
    try {
      const bad = await ingest(
        req([
          { code: 'A1', name: 'Contoso' },
          { name: 7, credit: 'x' },
        ]),
        context(),
      );
      expect(bad.status).toBe(400);
      expect((bad.jsonBody as { problems: Array<{ path: string }> }).problems.map((p) => p.path)).toEqual([
        'records[1].name',
        'records[1].credit',
        'records[1].code',
      ]);
      const ok = await ingest(req({ records: [{ code: 'A1', name: 'Contoso', credit: 1.5 }] }), context());
      expect(ok).toMatchObject({ status: 202, jsonBody: { accepted: 1 } });
      const session = sessionIdFor('target', orderingBucket('target', 'account', JSON.stringify(['A1']), 64));
      const messages = await drainSession(session);
      expect(messages).toHaveLength(1);
      expect(messages[0].body).toMatchObject({ route: 'erp-accounts', origin: 'ingest', values: { code: 'A1', name: 'Contoso', credit: 1.5 } });
    } finally {
      await rt.publisher.close();
    }
  });
});
