/**
 * Service Bus queue triggers through the local Functions host, against the Service Bus emulator via
 * the real @azure/service-bus SDK: settlement (complete / abandon → dead-letter), trigger metadata,
 * batches, and per-session order under concurrency.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import type { InvocationContext } from '@azure/functions';
import { serviceBusQueueFunction, type FunctionDefinition } from '../../../functions/definition';
import { startFunctionsHost, type FunctionsHostHandle } from '../../../emulators/functions-host';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../emulators/servicebus';

const appDir = mkdtempSync(join(tmpdir(), 'fh-sb-'));
let emulator: ServiceBusEmulator;
let client: ServiceBusClient;

beforeAll(async () => {
  emulator = await startServiceBusEmulator({
    port: 0,
    queues: [
      { name: 'poison', maxDeliveryCount: 3, lockDuration: 'PT30S' },
      { name: 'plain', maxDeliveryCount: 5 },
      { name: 'batched', maxDeliveryCount: 5 },
      { name: 'ordered', requiresSession: true, maxDeliveryCount: 5 },
      { name: 'slow', maxDeliveryCount: 5, lockDuration: 'PT1S' },
      { name: 'mixed', maxDeliveryCount: 5, lockDuration: 'PT30S' },
    ],
  });
  client = new ServiceBusClient(emulator.connectionString);
});
afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

async function withHost(definitions: FunctionDefinition[], hostJson: object, body: (host: FunctionsHostHandle) => Promise<void>): Promise<void> {
  const host = await startFunctionsHost({
    appDir,
    port: 0,
    definitions,
    hostJson,
    settings: { ServiceBusConnection: emulator.connectionString },
    log: () => undefined,
  });
  try {
    await body(host);
  } finally {
    await host.close();
  }
}

function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = setInterval(() => {
      if (predicate()) {
        clearInterval(tick);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(tick);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 20);
  });
}

async function drain(queue: string, subQueueType?: 'deadLetter'): Promise<ServiceBusReceivedMessage[]> {
  const receiver = client.createReceiver(queue, { receiveMode: 'receiveAndDelete', subQueueType });
  try {
    return await receiver.receiveMessages(100, { maxWaitTimeInMs: 500 });
  } finally {
    await receiver.close();
  }
}

test('a handler that throws is abandoned each time and the broker dead-letters the message at maxDeliveryCount', async () => {
  const attempts: number[] = [];
  const fn = serviceBusQueueFunction('alwaysFails', {
    connection: 'ServiceBusConnection',
    queueName: 'poison',
    handler: (_msg: unknown, context: InvocationContext) => {
      attempts.push(context.triggerMetadata!.deliveryCount as number);
      throw new Error('downstream refused');
    },
  });
  await withHost([fn], {}, async () => {
    await client.createSender('poison').sendMessages({ body: { id: 'p-1' }, messageId: 'poison-1' });
    await waitFor(() => attempts.length >= 3, 10_000, 'three delivery attempts');
    const dead = await waitForDeadLetter('poison');
    expect(dead.messageId).toBe('poison-1');
    expect(dead.deadLetterReason).toBe('MaxDeliveryCountExceeded');
    expect(dead.body).toEqual({ id: 'p-1' });
  });
  expect(attempts).toEqual([1, 2, 3]);
  expect(await drain('poison')).toHaveLength(0);
});

async function waitForDeadLetter(queue: string): Promise<ServiceBusReceivedMessage> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const [message] = await drain(queue, 'deadLetter');
    if (message) return message;
  }
  throw new Error(`nothing reached ${queue}'s dead-letter queue`);
}

test('a successful handler gets the body as the host gives it and completes the message; metadata is camel-cased', async () => {
  const received: { body: unknown; meta: Record<string, unknown> }[] = [];
  const fn = serviceBusQueueFunction('accepts', {
    connection: 'ServiceBusConnection',
    queueName: 'plain',
    handler: (body: unknown, context: InvocationContext) => void received.push({ body, meta: context.triggerMetadata as Record<string, unknown> }),
  });
  await withHost([fn], {}, async () => {
    const sender = client.createSender('plain');
    await sender.sendMessages({
      body: { route: 'accounts', n: 1 },
      messageId: 'm-json',
      correlationId: 'corr-1',
      subject: 'upsert',
      applicationProperties: { TenantId: 'contoso' },
    });
    await sender.sendMessages({ body: Buffer.from('plain text, not JSON'), messageId: '12345' });
    await waitFor(() => received.length === 2, 5000, 'two invocations');
  });
  const json = received.find((r) => r.meta.messageId === 'm-json')!;
  expect(json.body).toEqual({ route: 'accounts', n: 1 });
  expect(json.meta).toMatchObject({ deliveryCount: 1, correlationId: 'corr-1', label: 'upsert', applicationProperties: { tenantId: 'contoso' } });
  expect(typeof json.meta.lockToken).toBe('string');
  expect(typeof json.meta.sequenceNumber).toBe('number');
  expect(new Date(json.meta.enqueuedTimeUtc as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
  // Like the Node library in Azure: a digits-only messageId is JSON-parsed into a number.
  const text = received.find((r) => r.meta.messageId === 12345)!;
  expect(text.body).toBe('plain text, not JSON');
  expect(await drain('plain')).toHaveLength(0);
});

test('a batch function receives arrays of bodies and …Array metadata, up to maxMessageBatchSize', async () => {
  const batches: { bodies: unknown[]; meta: Record<string, unknown> }[] = [];
  const fn = serviceBusQueueFunction('batchWriter', {
    connection: 'ServiceBusConnection',
    queueName: 'batched',
    cardinality: 'many',
    handler: (bodies: unknown, context: InvocationContext) =>
      void batches.push({ bodies: bodies as unknown[], meta: context.triggerMetadata as Record<string, unknown> }),
  });
  const sender = client.createSender('batched');
  await sender.sendMessages(Array.from({ length: 7 }, (_, i) => ({ body: { i }, messageId: `b-${i}` })));
  await withHost([fn], { extensions: { serviceBus: { maxMessageBatchSize: 3 } } }, async () => {
    await waitFor(() => batches.reduce((n, b) => n + b.bodies.length, 0) === 7, 5000, 'seven messages in batches');
  });
  for (const batch of batches) {
    expect(Array.isArray(batch.bodies)).toBe(true);
    expect(batch.bodies.length).toBeLessThanOrEqual(3);
    expect(batch.meta.messageIdArray).toEqual(batch.bodies.map((b) => `b-${(b as { i: number }).i}`));
    expect(batch.meta.deliveryCountArray).toEqual(batch.bodies.map(() => 1));
  }
  expect(
    batches
      .flatMap((b) => b.bodies)
      .map((b) => (b as { i: number }).i)
      .sort(),
  ).toEqual([0, 1, 2, 3, 4, 5, 6]);
  expect(await drain('batched')).toHaveLength(0);
});

test('session order holds per session while several sessions run in parallel', async () => {
  const seen = new Map<string, number[]>();
  let running = 0;
  let maxRunning = 0;
  const fn = serviceBusQueueFunction('ordered', {
    connection: 'ServiceBusConnection',
    queueName: 'ordered',
    isSessionsEnabled: true,
    handler: async (body: unknown, context: InvocationContext) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      const { seq } = body as { seq: number };
      const session = String(context.triggerMetadata!.sessionId);
      await new Promise((r) => setTimeout(r, (seq * 7) % 13));
      seen.set(session, [...(seen.get(session) ?? []), seq]);
      running--;
    },
  });
  const sessions = ['s-a', 's-b', 's-c', 's-d'];
  const perSession = 12;
  const sender = client.createSender('ordered');
  for (let seq = 0; seq < perSession; seq++) {
    await sender.sendMessages(sessions.map((sessionId) => ({ body: { seq }, sessionId, messageId: `${sessionId}-${seq}` })));
  }
  await withHost([fn], { extensions: { serviceBus: { maxConcurrentSessions: 4 } } }, async () => {
    await waitFor(() => sessions.every((s) => seen.get(s)?.length === perSession), 15_000, 'every session drained');
  });
  const expected = Array.from({ length: perSession }, (_, i) => i);
  for (const s of sessions) expect(seen.get(s)).toEqual(expected);
  expect(maxRunning).toBeGreaterThan(1);
  expect(maxRunning).toBeLessThanOrEqual(4);
});

test('the lock is renewed while a single-dispatch handler runs longer than the queue lockDuration', async () => {
  const deliveries: number[] = [];
  const fn = serviceBusQueueFunction('slowWorker', {
    connection: 'ServiceBusConnection',
    queueName: 'slow',
    handler: async (_body: unknown, context: InvocationContext) => {
      deliveries.push(context.triggerMetadata!.deliveryCount as number);
      await new Promise((r) => setTimeout(r, 2500));
    },
  });
  await withHost([fn], {}, async () => {
    await client.createSender('slow').sendMessages({ body: 'takes a while', messageId: 'slow-1' });
    await waitFor(() => deliveries.length === 1, 5000, 'the first delivery');
    await new Promise((r) => setTimeout(r, 3000));
  });
  // Without renewal the 1 s lock would expire and the message would come back with a higher deliveryCount.
  expect(deliveries).toEqual([1]);
  expect(await drain('slow')).toHaveLength(0);
  expect(await drain('slow', 'deadLetter')).toHaveLength(0);
});

test('concurrent invocations that succeed and fail settle independently: every failure comes back, no success does', async () => {
  // Adjacent deliveries settled in the same tick would be merged by rhea into one outcome; the host
  // serialises settlements per receiver so an abandon is never sent as a complete.
  const seen = new Map<string, number>();
  // All first attempts of a wave finish in the same tick, so their settlements are sent together.
  let openGate: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const fn = serviceBusQueueFunction('mixedOutcomes', {
    connection: 'ServiceBusConnection',
    queueName: 'mixed',
    handler: async (msg: unknown) => {
      const n = Number((msg as { n: number }).n);
      seen.set(String(n), (seen.get(String(n)) ?? 0) + 1);
      if (seen.size >= 16) openGate();
      await gate;
      if (n % 2 === 1 && seen.get(String(n)) === 1) throw new Error('odd numbers fail once');
    },
  });
  await client.createSender('mixed').sendMessages(Array.from({ length: 40 }, (_, n) => ({ body: { n }, messageId: `m-${n}` })));
  await withHost([fn], { extensions: { serviceBus: { maxConcurrentCalls: 16 } } }, async () => {
    await waitFor(() => [...Array(40).keys()].every((n) => (seen.get(String(n)) ?? 0) >= (n % 2 === 1 ? 2 : 1)), 20_000, 'every odd message retried once');
  });
  for (let n = 0; n < 40; n++) expect({ n, calls: seen.get(String(n)) }).toEqual({ n, calls: n % 2 === 1 ? 2 : 1 });
  expect(await drain('mixed')).toHaveLength(0);
  expect(await drain('mixed', 'deadLetter')).toHaveLength(0);
});
