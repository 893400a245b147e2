/**
 * Delivery that real Dataverse can produce and a target that misbehaves, on the whole local stack.
 * The contact steps of the source environment point at a capture server (registered through the Web API
 * like any endpoint), so the test holds real webhook requests and replays them to the Functions host
 * in the order it chooses: twice, newest first, or while the target is throttling / failing.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planSteps } from '../../emulators/stack/webhook-plan';
import { registerWebhook } from '../../emulators/stack/webhook-registration';
import { LOCAL_ADMIN_TOKEN } from '../../emulators/stack/dataverse-wiring';
import { routesFileSchema, type Route } from '../../shared/routes/schema';
import { throttledResponses, writeOperations } from '../../demo/watch';
import { CLOSE_TIMEOUT_MS, settle, startE2eStack, waitFor, type E2eStack } from './harness';

const demo = JSON.parse(readFileSync(join(__dirname, '..', '..', 'demo', 'routes.json'), 'utf8')) as { routes: Route[] };
const contactsRoute = routesFileSchema.parse({
  routes: [
    {
      name: 'contacts-replayed',
      source: { environment: 'source', table: 'contact', filteringColumns: ['firstname', 'lastname'] },
      target: {
        environment: 'target',
        table: 'contact',
        entitySet: 'contacts',
        key: ['dvs_externalid'],
        columns: { dvs_externalid: 'contactid', firstname: 'firstname', lastname: 'lastname' },
      },
    },
  ],
}).routes[0];

interface Captured {
  headers: IncomingHttpHeaders;
  body: Buffer;
  json: { MessageName: string; PrimaryEntityId: string };
}

let e2e: E2eStack;
let capture: Server;
const captured: Captured[] = [];

beforeAll(async () => {
  // The stack registers the host only for the accounts route; contacts go to the capture server below.
  e2e = await startE2eStack({ routes: { routes: demo.routes.filter((r) => r.name === 'accounts-to-target') } });
  capture = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      captured.push({ headers: req.headers, body, json: JSON.parse(body.toString('utf8')) });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  const source = e2e.stack.dataverse!.url('source');
  const steps = planSteps([contactsRoute], () => 'contactid').get('source')!;
  await registerWebhook(
    { apiBaseUrl: source, token: LOCAL_ADMIN_TOKEN },
    `http://127.0.0.1:${(capture.address() as AddressInfo).port}/capture`,
    'capture-key',
    steps,
    'e2e capture',
  );
  // The app loads routes on the first event; give it the contacts route before any write.
  writeFileSync(e2e.routesFile, JSON.stringify({ routes: [...demo.routes.filter((r) => r.name === 'accounts-to-target'), contactsRoute] }));
}, 60_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (capture ? capture.close(() => resolve()) : resolve()));
  await e2e?.close();
}, CLOSE_TIMEOUT_MS);

/** The captured request for a row and message (the n-th one), waiting for the emulator to deliver it. */
async function capturedFor(id: string, message: string, nth = 0): Promise<Captured> {
  const matches = () => captured.filter((c) => c.json.PrimaryEntityId.toLowerCase() === id.toLowerCase() && c.json.MessageName === message);
  await waitFor(
    `the ${message} of ${id} at the capture server`,
    async () => matches().length,
    (n) => n > nth,
    e2e,
  );
  return matches()[nth];
}

/** Replays a captured request to the host exactly as Dataverse sent it (its headers, its bytes, the function key). */
async function replay(c: Captured): Promise<number> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.headers)) if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
  const url = `${e2e.stack.webhooks!.webhookUrl}?code=${encodeURIComponent(e2e.stack.functionsHost.functionKey)}`;
  const res = await fetch(url, { method: 'POST', headers, body: c.body });
  await res.arrayBuffer();
  return res.status;
}

async function counters(): Promise<{ writes: number; throttled: number; status503: number }> {
  const c = await e2e.operator.counters();
  return { writes: writeOperations(c), throttled: throttledResponses(c), status503: Number((c.responsesByStatus as Record<string, number>)['503'] ?? 0) };
}

const targetContact = (id: string) => e2e.target.getByKey('contacts', { dvs_externalid: id }, ['firstname', 'lastname']);

test('the same webhook POSTed twice is applied once', async () => {
  const id = await e2e.source.create('contacts', { firstname: 'Dup', lastname: 'Licate' });
  const create = await capturedFor(id, 'Create');
  const before = await counters();
  expect(await replay(create)).toBe(202);
  expect(await replay(create)).toBe(202);
  await waitFor(
    'the contact to arrive',
    () => targetContact(id),
    (r) => r !== undefined,
    e2e,
  );
  await settle(e2e);
  expect(await targetContact(id)).toMatchObject({ firstname: 'Dup', lastname: 'Licate' });
  expect((await counters()).writes - before.writes).toBe(1);
});

test('an older update delivered after a newer one leaves the newer values', async () => {
  const id = await e2e.source.create('contacts', { firstname: 'Order', lastname: 'v1' });
  const create = await capturedFor(id, 'Create');
  await e2e.source.update('contacts', id, { lastname: 'v2' });
  const older = await capturedFor(id, 'Update', 0);
  await e2e.source.update('contacts', id, { lastname: 'v3' });
  const newer = await capturedFor(id, 'Update', 1);
  expect(await replay(create)).toBe(202);
  expect(await replay(newer)).toBe(202);
  await waitFor(
    'the newest version to arrive',
    () => targetContact(id),
    (r) => r?.lastname === 'v3',
    e2e,
  );
  await settle(e2e);
  const before = await counters();
  const logsBefore = e2e.logs.length;
  expect(await replay(older)).toBe(202);
  await settle(e2e);
  // It reached the worker, which skipped it as not newer than what the ledger applied.
  expect(e2e.logs.slice(logsBefore).join('\n')).toMatch(/apply-changes: 1 messages → applied 0, skipped 1/);
  expect(await targetContact(id)).toMatchObject({ firstname: 'Order', lastname: 'v3' });
  // The late older update was accepted and queued, and wrote nothing.
  expect((await counters()).writes - before.writes).toBe(0);
  expect(await e2e.failures()).toEqual([]);
});

/** Five new contacts, captured; the target misbehaves while their webhooks are replayed; each must land once. */
async function fiveContactsThrough(
  fault: Record<string, number>,
  label: string,
  met: (before: Awaited<ReturnType<typeof counters>>) => Promise<boolean>,
): Promise<{ before: Awaited<ReturnType<typeof counters>>; after: Awaited<ReturnType<typeof counters>> }> {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(await e2e.source.create('contacts', { firstname: label, lastname: `#${i}` }));
  const creates = await Promise.all(ids.map((id) => capturedFor(id, 'Create')));
  const before = await counters();
  await e2e.operator.configure({ faults: fault });
  for (const c of creates) expect(await replay(c)).toBe(202);
  // Only the worker talks to Dataverse until the fault has hit it (operator endpoints are not faulted).
  await waitFor(
    `the worker to meet the fault (${JSON.stringify(fault)})`,
    () => met(before),
    (hit) => hit,
    e2e,
  );
  await waitFor(
    `all five ${label} contacts to arrive`,
    () => Promise.all(ids.map(targetContact)),
    (rows) => rows.every((r) => r !== undefined),
    e2e,
    30_000,
  );
  await settle(e2e);
  const rows = await Promise.all(ids.map(targetContact));
  expect(rows).toEqual(ids.map((_, i) => expect.objectContaining({ firstname: label, lastname: `#${i}` })));
  return { before, after: await counters() };
}

test('a 429 storm from the target ends with every change applied exactly once', async () => {
  // 200 model seconds at timeScale 0.01: two real seconds of 429s with Retry-After 0.3 s.
  const { before, after } = await fiveContactsThrough(
    { throttleStormSeconds: 200, throttleStormRetryAfterSeconds: 30 },
    'Storm',
    async (b) => (await counters()).throttled > b.throttled,
  );
  expect(after.throttled - before.throttled).toBeGreaterThan(0);
  expect(after.writes - before.writes).toBe(5);
  expect(await e2e.failures()).toEqual([]);
});

test('a burst of 503s from the target ends with every change applied exactly once', async () => {
  const { before, after } = await fiveContactsThrough({ burst503: 3 }, 'Burst', async () => {
    const config = await e2e.operator.config();
    return (config.faults as { burst503: number }).burst503 === 0;
  });
  expect(after.status503 - before.status503).toBe(3);
  expect(after.writes - before.writes).toBe(5);
  expect(await e2e.failures()).toEqual([]);
});
