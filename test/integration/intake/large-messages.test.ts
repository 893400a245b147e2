/**
 * Large change messages on real parts: the webhook and ingest handlers with a real BlobLargeMessageStore on
 * Azurite and the Service Bus emulator. Above DVSYNC_LARGE_MESSAGE_BYTES the full ChangeMessage goes to a
 * blob and the queue gets `blobRef`; when blob storage is unreachable a Dataverse change becomes a re-read
 * instruction and an external record is refused with 503 (nothing is enqueued).
 */
import { createServer } from 'node:net';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { createIngestHandler } from '../../../functions/ingest';
import { createWebhookHandler } from '../../../functions/webhook';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../emulators/servicebus';
import { BlobMessageReader } from '../../../shared/engine/blob-reader';
import type { ChangeMessage } from '../../../shared/model/change-message';
import { BlobLargeMessageStore } from '../../../shared/queue/large-messages';
import { createIntakeRuntime } from '../../../shared/app';
import type { IntakeRuntime } from '../../../shared/webhook/runtime';
import { loadConfiguration } from '../../../shared/config/configuration';
import { startAzurite, type TestAzurite } from '../../helpers/azurite';
import { webhookFixture } from '../../helpers/fixtures';

const FIXTURE = webhookFixture('create-account-sync-nonascii-mojibake.json');
const ORG = 'f42a590d-a29d-ef11-8a66-6045bd056902';
const ROW = '53c52f26-a89d-ef11-8a69-000d3a30b0c1';
const FIXTURE_OPERATION = JSON.parse(FIXTURE.toString('utf8')).OperationId as string;
const CONTAINER = 'dvsync-large-messages';
// Azurite's well-known development account (public, documented by Microsoft).
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXl1OXSuN+tuM+2V+XUJjChbXvEESEY7ZiO7rsY8H1/vGGV2b0PH3b8hRw==';

let sb: ServiceBusEmulator;
let azurite: TestAzurite;
let client: ServiceBusClient;
const runtimes: IntakeRuntime[] = [];

const settings = (): Record<string, string> => ({
  DVSYNC_ENVIRONMENTS: JSON.stringify({
    source: { url: 'https://unqf42a590da29def118a666045bd056.crm4.dynamics.com', organizationId: ORG, credentials: [{ type: 'staticToken', token: 's' }] },
    target: { url: 'https://target.crm.dynamics.com', credentials: [{ type: 'staticToken', token: 't' }] },
  }),
  DVSYNC_ROUTES: JSON.stringify({
    routes: [
      {
        name: 'accounts',
        source: { environment: 'source', table: 'account' },
        target: { environment: 'target', table: 'account', entitySet: 'accounts', key: ['dvs_sourceid'] },
      },
      {
        name: 'erp',
        source: { table: 'erp_customer', recordColumns: { code: 'string', notes: 'string' } },
        target: {
          environment: 'target',
          table: 'account',
          entitySet: 'accounts',
          key: ['accountnumber'],
          columns: { accountnumber: 'code', description: 'notes' },
        },
      },
    ],
  }),
  ServiceBusConnection: sb.connectionString,
  AzureWebJobsStorage: azurite.connectionString,
  DVSYNC_LARGE_MESSAGE_BYTES: '1024',
  DVSYNC_SESSION_BUCKETS: '1',
  DVSYNC_QUEUE_SEND_RETRIES: '0',
});

beforeAll(async () => {
  [sb, azurite] = await Promise.all([
    startServiceBusEmulator({
      port: 0,
      queues: [{ name: 'dvsync-changes', requiresSession: true, requiresDuplicateDetection: true, duplicateDetectionHistoryTimeWindow: 'PT10M' }],
    }),
    startAzurite(),
  ]);
  client = new ServiceBusClient(sb.connectionString, { retryOptions: { maxRetries: 0, timeoutInMs: 2000 } });
});
afterAll(async () => {
  for (const rt of runtimes) await rt.publisher.close();
  await client?.close();
  await Promise.all([sb?.close(), azurite?.close()]);
});

function runtime(overrides: Parameters<typeof createIntakeRuntime>[1] = {}): IntakeRuntime {
  const rt = createIntakeRuntime(loadConfiguration(settings()), overrides);
  runtimes.push(rt);
  return rt;
}

const context = () => new InvocationContext({ functionName: 'test', logHandler: () => undefined });
/** `operationId` replaces the fixture's OperationId, so a second delivery is a new event (not a duplicate). */
const webhookPost = (operationId?: string) =>
  new HttpRequest({
    method: 'POST',
    url: 'http://localhost/api/dataverse/webhook',
    body: { bytes: operationId ? Buffer.from(FIXTURE.toString('utf8').split(FIXTURE_OPERATION).join(operationId)) : FIXTURE },
    headers: { 'content-type': 'application/json' },
  });
const fixtureName = (): string => {
  const target = (JSON.parse(FIXTURE.toString('utf8')) as { InputParameters: Array<{ value: { Attributes: Array<{ key: string; value: unknown }> } }> })
    .InputParameters[0].value;
  return target.Attributes.find((a) => a.key === 'name')!.value as string;
};
const ingestPost = (body: unknown) =>
  new HttpRequest({
    method: 'POST',
    url: 'http://localhost/api/ingest/erp',
    params: { route: 'erp' },
    body: { string: JSON.stringify(body) },
    headers: { 'content-type': 'application/json' },
  });

async function received(): Promise<ServiceBusReceivedMessage[]> {
  const receiver = await client.acceptSession('dvsync-changes', 'target-0000', { receiveMode: 'receiveAndDelete' });
  try {
    return await receiver.receiveMessages(20, { maxWaitTimeInMs: 500 });
  } finally {
    await receiver.close();
  }
}

/** A loopback port nobody listens on: connections are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('large change messages', () => {
  it('a webhook change above the threshold goes to blob storage; the queue message carries blobRef and the blob round-trips', async () => {
    const rt = runtime();
    const answer = await createWebhookHandler(async () => rt)(webhookPost(), context());
    expect(answer.status).toBe(202);
    const [messageId] = (answer.jsonBody as { routed: Array<{ messageId: string }> }).routed.map((r) => r.messageId);
    const [m] = await received();
    expect(m.messageId).toBe(messageId);
    const queued = m.body as ChangeMessage;
    expect(queued.values).toEqual({});
    expect(queued.reread).toBeUndefined();
    expect(queued.blobRef).toEqual({ container: CONTAINER, name: `${messageId.replace(/:/g, '/')}.json` });
    expect(m.applicationProperties?.blobRef).toBe(`${CONTAINER}/${queued.blobRef!.name}`);

    // What the worker reads back (the engine's own reader) is the full message, non-ASCII text byte for byte.
    const full = JSON.parse(
      await BlobMessageReader.fromConnectionString(azurite.connectionString).read(queued.blobRef!.container, queued.blobRef!.name),
    ) as ChangeMessage;
    expect(full).toMatchObject({
      route: 'accounts',
      origin: 'webhook',
      operation: 'upsert',
      source: { id: ROW, table: 'account', message: 'Create' },
      version: queued.version,
    });
    expect(full.blobRef).toBeUndefined();
    expect(Buffer.byteLength(JSON.stringify(full))).toBeGreaterThan(1024);
    expect(Object.keys(full.values).length).toBeGreaterThan(20);
    expect(full.values.name).toBe(fixtureName());
    const props = await BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient(CONTAINER)
      .getBlobClient(queued.blobRef!.name)
      .getProperties();
    expect(props.contentType).toBe('application/json; charset=utf-8');
  });

  it('an external record above the threshold goes to blob storage too; a small one stays on the queue', async () => {
    const rt = runtime();
    const notes = 'ü'.repeat(800); // 1,600 UTF-8 bytes
    const answer = await createIngestHandler(async () => rt)(
      ingestPost([
        { code: 'BIG-1', notes },
        { code: 'SMALL-1', notes: 'short' },
      ]),
      context(),
    );
    expect(answer.status).toBe(202);
    const bodies = (await received()).map((m) => m.body as ChangeMessage);
    const big = bodies.find((b) => b.blobRef)!;
    const small = bodies.find((b) => !b.blobRef)!;
    expect(small.values).toEqual({ code: 'SMALL-1', notes: 'short' });
    const full = JSON.parse(
      await BlobMessageReader.fromConnectionString(azurite.connectionString).read(big.blobRef!.container, big.blobRef!.name),
    ) as ChangeMessage;
    expect(full.values).toEqual({ code: 'BIG-1', notes });
  });

  it('without reachable blob storage a webhook change becomes reread with trimmed values, and a large record is refused with 503', async () => {
    const port = await closedPort();
    const unreachable = new BlobServiceClient(`http://127.0.0.1:${port}/${DEV_ACCOUNT}`, new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY), {
      retryOptions: { maxTries: 1 },
    });
    const rt = runtime({ largeMessages: new BlobLargeMessageStore(unreachable, CONTAINER) });

    const answer = await createWebhookHandler(async () => rt)(webhookPost('0b6a3f3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b'), context());
    expect(answer.status).toBe(202);
    const [m] = await received();
    expect(m.body).toMatchObject({ route: 'accounts', origin: 'webhook', reread: true, values: {}, source: { id: ROW } });
    expect((m.body as ChangeMessage).blobRef).toBeUndefined();
    expect(m.applicationProperties?.reread).toBe(true);

    const refused = await createIngestHandler(async () => rt)(ingestPost({ code: 'BIG-2', notes: 'x'.repeat(2000) }), context());
    expect(refused.status).toBe(503);
    expect(refused.jsonBody).toMatchObject({ error: 'storage_unavailable' });
    expect(refused.headers).toMatchObject({ 'retry-after': expect.any(String) });
    expect(await received()).toHaveLength(0);
  });

  it('without blob storage configured, a large external record is refused with 413 naming the settings', async () => {
    const rt = runtime({ largeMessages: null });
    const refused = await createIngestHandler(async () => rt)(ingestPost({ code: 'BIG-3', notes: 'x'.repeat(2000) }), context());
    expect(refused.status).toBe(413);
    expect((refused.jsonBody as { message: string }).message).toContain('set DVSYNC_STORAGE or AzureWebJobsStorage');
    expect(await received()).toHaveLength(0);
  });
});
