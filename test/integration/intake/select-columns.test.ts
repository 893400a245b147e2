/**
 * selectColumns on the webhook path (issue 9, defect 3): real webhook fixtures posted to the exported handler,
 * messages read back from the Service Bus emulator with the real SDK and mapped as the worker maps them.
 * The primary id (`<table>id`, `activityid` for activities) and every column a key or mapping reads are carried
 * even when selectColumns leaves them out.
 */
import { HttpRequest, InvocationContext } from '@azure/functions';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../emulators/servicebus';
import { createWebhookHandler } from '../../../functions/webhook';
import { mapChange } from '../../../shared/engine/mapping';
import type { ChangeMessage } from '../../../shared/model/change-message';
import { orderingBucket, sessionIdFor } from '../../../shared/queue/ordering';
import { createIntakeRuntime } from '../../../shared/app';
import type { IntakeRuntime } from '../../../shared/webhook/runtime';
import { loadConfiguration } from '../../../shared/config/configuration';
import { webhookFixture } from '../../helpers/fixtures';

const CONTACT_ORG = '00aa00aa-bb11-cc22-dd33-44ee44ee44ee';
const ACTIVITY_ORG = 'e4032af2-cacf-4dd0-92aa-9036176934a5';
const CONTACT_ID = '6d81597f-0f9f-e711-8122-000d3aa2331c';
const ACTIVITY_ID = '841579d9-7e63-ef11-9e4a-00155d0001ea';

const routes = {
  routes: [
    {
      name: 'contacts-slim',
      source: { environment: 'source', table: 'contact', selectColumns: ['firstname'] },
      target: {
        environment: 'target',
        table: 'contact',
        entitySet: 'contacts',
        key: ['dvs_sourceid'],
        columns: { dvs_sourceid: 'contactid', firstname: 'firstname' },
      },
    },
    {
      name: 'activities-slim',
      source: { environment: 'activities', table: 'new_customactivity', selectColumns: ['statecode'] },
      target: {
        environment: 'target',
        table: 'task',
        entitySet: 'tasks',
        key: ['dvs_sourceid'],
        columns: { dvs_sourceid: 'activityid', dvs_state: 'statecode' },
      },
    },
  ],
};

const env = (connection: string): Record<string, string> => ({
  DVSYNC_ENVIRONMENTS: JSON.stringify({
    source: { url: 'https://orgname.crm.dynamics.com', organizationId: CONTACT_ORG, credentials: [{ type: 'staticToken', token: 'x' }] },
    activities: { url: 'https://activities.crm.dynamics.com', organizationId: ACTIVITY_ORG, credentials: [{ type: 'staticToken', token: 'x' }] },
    target: { url: 'https://target.crm.dynamics.com', credentials: [{ type: 'staticToken', token: 'y' }] },
  }),
  DVSYNC_ROUTES: JSON.stringify(routes),
  ServiceBusConnection: connection,
  DVSYNC_QUEUE_SEND_TIMEOUT_MS: '1500',
  DVSYNC_QUEUE_SEND_RETRIES: '0',
});

const post = (fixture: string) =>
  new HttpRequest({
    method: 'POST',
    url: 'http://localhost/api/dataverse/webhook?code=k',
    body: { bytes: webhookFixture(fixture) },
    headers: { 'content-type': 'application/json' },
  });
const context = () => new InvocationContext({ functionName: 'dataverseWebhook', logHandler: () => undefined });

let sb: ServiceBusEmulator;
let runtime: IntakeRuntime;
let client: ServiceBusClient;

beforeAll(async () => {
  sb = await startServiceBusEmulator({ port: 0 });
  runtime = createIntakeRuntime(loadConfiguration(env(sb.connectionString)), { largeMessages: null });
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

async function postAndRead(fixture: string, route: string, table: string, rowId: string): Promise<ChangeMessage> {
  const answer = await createWebhookHandler(async () => runtime)(post(fixture), context());
  expect(answer.status).toBe(202);
  expect((answer.jsonBody as { routed: Array<{ route: string }> }).routed.map((r) => r.route)).toEqual([route]);
  const messages = await drainSession(sessionIdFor('target', orderingBucket('target', table, rowId, 64)));
  expect(messages).toHaveLength(1);
  return messages[0].body as ChangeMessage;
}

const routeNamed = (name: string) => runtime.routes.byName.get(name)!.route;

describe('selectColumns on the webhook path', () => {
  it('a contact Update (Microsoft Learn sample) carries the primary id the key maps from, and the worker can address the row', async () => {
    const body = await postAndRead('update-contact-async-postimage-msdocs.json', 'contacts-slim', 'contact', CONTACT_ID);
    // selectColumns is ["firstname"]; fullname, yomifullname, modifiedon, modifiedby… stay behind, the id does not.
    expect(body.values).toEqual({ firstname: 'James', contactid: CONTACT_ID });
    const mapped = mapChange(routeNamed('contacts-slim'), body, () => undefined);
    expect(mapped).toMatchObject({ type: 'write', write: { key: { dvs_sourceid: CONTACT_ID }, columns: { firstname: 'James' } } });
  });

  it('a custom activity Update carries activityid (an activity table has no <table>id column)', async () => {
    const body = await postAndRead('update-new_customactivity-async-setstate-preimage-activityparty.json', 'activities-slim', 'task', ACTIVITY_ID);
    expect(Object.keys(body.values).sort()).toEqual(['activityid', 'statecode']);
    const mapped = mapChange(routeNamed('activities-slim'), body, () => undefined);
    expect(mapped).toMatchObject({ type: 'write', write: { key: { dvs_sourceid: ACTIVITY_ID } } });
  });
});
