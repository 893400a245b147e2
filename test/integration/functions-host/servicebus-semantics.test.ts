/**
 * The Service Bus rules of the real Functions host, one test each (sources in emulators/functions-host/README.md):
 * one receive loop per batch function (one batch, one session at a time; no lock renewal), single dispatch
 * in parallel up to maxConcurrentSessions / maxConcurrentCalls with renewal, the session idle wait,
 * minMessageBatchSize / maxBatchWaitTime, abandon on a throw, no retry policy. Assertions are on order,
 * overlap and counts; the few times involved are generous bounds.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient, type ServiceBusMessage, type ServiceBusReceivedMessage } from '@azure/service-bus';
import type { InvocationContext } from '@azure/functions';
import { serviceBusQueueFunction, type FunctionDefinition } from '../../../functions/definition';
import { startFunctionsHost } from '../../../emulators/functions-host';
import { parseHostJson } from '../../../emulators/functions-host/config';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../emulators/servicebus';

jest.setTimeout(60_000);

const appDir = mkdtempSync(join(tmpdir(), 'fh-sbsem-'));
let emulator: ServiceBusEmulator;
let client: ServiceBusClient;

const Q = {
  sessionBatch: 'session-batch',
  batchLock: 'batch-lock',
  sessionBatchLock: 'session-batch-lock',
  sessionSingleLock: 'session-single-lock',
  sessionSlots: 'session-slots',
  calls: 'calls',
  heldSession: 'held-session',
  releasedSession: 'released-session',
  heldSessionSingle: 'held-session-single',
  noWait: 'no-wait',
  minBatch: 'min-batch',
  minPartial: 'min-partial',
  minSession: 'min-session',
  batchThrows: 'batch-throws',
  batchPoison: 'batch-poison',
  noAutoComplete: 'no-auto-complete',
  noRetry: 'no-retry',
};

beforeAll(async () => {
  const session = (name: string, extra: object = {}) => ({ name, requiresSession: true, maxDeliveryCount: 10, ...extra });
  const plain = (name: string, extra: object = {}) => ({ name, maxDeliveryCount: 10, ...extra });
  emulator = await startServiceBusEmulator({
    port: 0,
    queues: [
      session(Q.sessionBatch),
      plain(Q.batchLock, { lockDuration: 'PT1S' }),
      session(Q.sessionBatchLock, { lockDuration: 'PT1S' }),
      session(Q.sessionSingleLock, { lockDuration: 'PT1S' }),
      session(Q.sessionSlots),
      plain(Q.calls),
      session(Q.heldSession),
      session(Q.releasedSession),
      session(Q.heldSessionSingle),
      plain(Q.noWait),
      plain(Q.minBatch),
      plain(Q.minPartial),
      session(Q.minSession),
      plain(Q.batchThrows, { lockDuration: 'PT30S' }),
      plain(Q.batchPoison, { lockDuration: 'PT30S', maxDeliveryCount: 3 }),
      plain(Q.noAutoComplete, { lockDuration: 'PT30S' }),
      plain(Q.noRetry, { lockDuration: 'PT30S' }),
    ],
  });
  client = new ServiceBusClient(emulator.connectionString);
});
afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

async function withHost(definitions: FunctionDefinition[], serviceBus: object, body: (log: string[]) => Promise<void>): Promise<void> {
  const log: string[] = [];
  const host = await startFunctionsHost({
    appDir,
    port: 0,
    definitions,
    hostJson: { version: '2.0', extensions: { serviceBus } },
    settings: { ServiceBusConnection: emulator.connectionString },
    log: (line) => log.push(line),
  });
  try {
    await body(log);
  } finally {
    await host.close();
  }
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function send(queue: string, messages: ServiceBusMessage[]): Promise<void> {
  const sender = client.createSender(queue);
  try {
    await sender.sendMessages(messages);
  } finally {
    await sender.close();
  }
}

async function drain(queue: string, subQueueType?: 'deadLetter'): Promise<ServiceBusReceivedMessage[]> {
  const receiver = client.createReceiver(queue, { receiveMode: 'receiveAndDelete', subQueueType });
  try {
    return await receiver.receiveMessages(100, { maxWaitTimeInMs: 500 });
  } finally {
    await receiver.close();
  }
}

/** What is left in a session queue: every session that still has messages, received and deleted. */
async function drainSessions(queue: string): Promise<ServiceBusReceivedMessage[]> {
  const quick = new ServiceBusClient(emulator.connectionString, { retryOptions: { timeoutInMs: 1000, maxRetries: 0 } });
  const left: ServiceBusReceivedMessage[] = [];
  try {
    for (;;) {
      const receiver = await quick.acceptNextSession(queue, { receiveMode: 'receiveAndDelete' }).catch(() => undefined);
      if (!receiver) return left;
      left.push(...(await receiver.receiveMessages(100, { maxWaitTimeInMs: 300 })));
      await receiver.close();
    }
  } finally {
    await quick.close();
  }
}

interface Batch {
  ids: string[];
  sessions: string[];
  deliveries: number[];
}

function batchOf(context: InvocationContext): Batch {
  const meta = context.triggerMetadata as Record<string, unknown[]>;
  return {
    ids: meta.messageIdArray.map(String),
    sessions: (meta.sessionIdArray ?? []).map(String),
    deliveries: meta.deliveryCountArray as number[],
  };
}

const batchFunction = (name: string, queueName: string, handler: (batch: Batch, context: InvocationContext) => unknown, sessions = false) =>
  serviceBusQueueFunction(name, {
    connection: 'ServiceBusConnection',
    queueName,
    cardinality: 'many',
    isSessionsEnabled: sessions,
    handler: (_bodies: unknown, context: InvocationContext) => handler(batchOf(context), context),
  });

const singleFunction = (name: string, queueName: string, handler: (context: InvocationContext) => unknown, sessions = false) =>
  serviceBusQueueFunction(name, {
    connection: 'ServiceBusConnection',
    queueName,
    isSessionsEnabled: sessions,
    handler: (_body: unknown, context: InvocationContext) => handler(context),
  });

describe('batch functions (cardinality many)', () => {
  test('on a session queue, one instance never runs two batches at once and takes one session at a time; maxConcurrentSessions does not apply', async () => {
    const sessions = ['s-a', 's-b', 's-c', 's-d'];
    for (let seq = 0; seq < 6; seq++)
      await send(
        Q.sessionBatch,
        sessions.map((sessionId) => ({ body: { seq }, sessionId, messageId: `${sessionId}-${seq}` })),
      );
    const batches: Batch[] = [];
    let running = 0;
    let maxRunning = 0;
    const fn = batchFunction(
      'sessionBatches',
      Q.sessionBatch,
      async (batch) => {
        maxRunning = Math.max(maxRunning, ++running);
        await sleep(30);
        batches.push(batch);
        running--;
      },
      true,
    );
    await withHost([fn], { maxConcurrentSessions: 8, maxMessageBatchSize: 3, sessionIdleTimeout: '00:00:00.200' }, async () => {
      await waitFor(() => batches.reduce((n, b) => n + b.ids.length, 0) === 24, 'all 24 messages');
    });
    expect(maxRunning).toBe(1);
    for (const b of batches) {
      expect(b.ids.length).toBeLessThanOrEqual(3);
      expect(new Set(b.sessions).size).toBe(1);
    }
    // One session at a time: each session's batches form one unbroken run, in the session's order.
    const order = batches.map((b) => b.sessions[0]);
    const runs = order.filter((s, i) => i === 0 || order[i - 1] !== s);
    expect([...runs].sort()).toEqual(sessions);
    for (const s of sessions) {
      expect(batches.filter((b) => b.sessions[0] === s).flatMap((b) => b.ids)).toEqual([0, 1, 2, 3, 4, 5].map((seq) => `${s}-${seq}`));
    }
    expect(await drainSessions(Q.sessionBatch)).toHaveLength(0);
  });

  test("a batch's message locks are not renewed: a batch running past lockDuration comes back", async () => {
    await send(Q.batchLock, [{ body: 'slow', messageId: 'lock-1' }]);
    const deliveries: number[][] = [];
    const fn = batchFunction('slowBatch', Q.batchLock, async (batch) => {
      deliveries.push(batch.deliveries);
      if (deliveries.length === 1) await sleep(2500);
    });
    await withHost([fn], { maxAutoLockRenewalDuration: '00:05:00' }, async () => {
      await waitFor(() => deliveries.length === 2, 'the redelivery');
    });
    // The 1 s lock expired during the first run, so its completion failed and the broker redelivered.
    expect(deliveries).toEqual([[1], [2]]);
    expect(await drain(Q.batchLock)).toHaveLength(0);
  });

  test("a batch's session lock is not renewed either; a single-dispatch session's is", async () => {
    await send(Q.sessionBatchLock, [{ body: 'slow', messageId: 'slock-1', sessionId: 'long' }]);
    const batchDeliveries: number[][] = [];
    const batch = batchFunction(
      'slowSessionBatch',
      Q.sessionBatchLock,
      async (b) => {
        batchDeliveries.push(b.deliveries);
        if (batchDeliveries.length === 1) await sleep(2500);
      },
      true,
    );
    await withHost([batch], { maxAutoLockRenewalDuration: '00:05:00', sessionIdleTimeout: '00:00:00.200' }, async () => {
      await waitFor(() => batchDeliveries.length === 2, 'the redelivery after the session lock expired');
    });
    expect(batchDeliveries).toEqual([[1], [2]]);
    expect(await drainSessions(Q.sessionBatchLock)).toHaveLength(0);

    await send(Q.sessionSingleLock, [{ body: 'slow', messageId: 'slock-2', sessionId: 'long' }]);
    const singleDeliveries: number[] = [];
    const single = singleFunction(
      'slowSession',
      Q.sessionSingleLock,
      async (context) => {
        singleDeliveries.push(context.triggerMetadata!.deliveryCount as number);
        await sleep(2500);
      },
      true,
    );
    await withHost([single], { maxAutoLockRenewalDuration: '00:05:00', sessionIdleTimeout: '00:00:00.200' }, async () => {
      await waitFor(() => singleDeliveries.length === 1, 'the first delivery');
      await sleep(3000);
    });
    expect(singleDeliveries).toEqual([1]);
    expect(await drainSessions(Q.sessionSingleLock)).toHaveLength(0);
  });

  test('maxBatchWaitTime is ignored while minMessageBatchSize is 1: a batch is what one receive returns', async () => {
    await send(
      Q.noWait,
      [0, 1, 2].map((i) => ({ body: i, messageId: `nw-${i}` })),
    );
    const batches: Batch[] = [];
    const fn = batchFunction('noWait', Q.noWait, (b) => void batches.push(b));
    // Were the 5 min honoured, three messages of a possible ten would wait for it.
    await withHost([fn], { maxMessageBatchSize: 10, minMessageBatchSize: 1, maxBatchWaitTime: '00:05:00' }, async () => {
      await waitFor(() => batches.reduce((n, b) => n + b.ids.length, 0) === 3, 'the three messages');
    });
    expect(await drain(Q.noWait)).toHaveLength(0);
  });

  test('minMessageBatchSize > 1 holds messages until there are that many', async () => {
    const batches: Batch[] = [];
    const fn = batchFunction('minBatch', Q.minBatch, (b) => void batches.push(b));
    await withHost([fn], { maxMessageBatchSize: 10, minMessageBatchSize: 4, maxBatchWaitTime: '00:00:30' }, async () => {
      await send(
        Q.minBatch,
        [0, 1].map((i) => ({ body: i, messageId: `min-${i}` })),
      );
      await sleep(1500);
      expect(batches).toHaveLength(0);
      await send(
        Q.minBatch,
        [2, 3].map((i) => ({ body: i, messageId: `min-${i}` })),
      );
      await waitFor(() => batches.length === 1, 'the batch of four');
    });
    expect(batches[0].ids.sort()).toEqual(['min-0', 'min-1', 'min-2', 'min-3']);
    expect(await drain(Q.minBatch)).toHaveLength(0);
  });

  test('with minMessageBatchSize > 1, what is held goes as a partial batch after maxBatchWaitTime', async () => {
    const batches: { batch: Batch; at: number }[] = [];
    const fn = batchFunction('minPartial', Q.minPartial, (b) => void batches.push({ batch: b, at: Date.now() }));
    let sentAt = 0;
    await withHost([fn], { maxMessageBatchSize: 10, minMessageBatchSize: 4, maxBatchWaitTime: '00:00:01' }, async () => {
      sentAt = Date.now();
      await send(
        Q.minPartial,
        [0, 1].map((i) => ({ body: i, messageId: `part-${i}` })),
      );
      await waitFor(() => batches.length === 1, 'the partial batch');
    });
    expect(batches[0].batch.ids.sort()).toEqual(['part-0', 'part-1']);
    expect(batches[0].at - sentAt).toBeGreaterThanOrEqual(900);
    expect(await drain(Q.minPartial)).toHaveLength(0);
  });

  test('with minMessageBatchSize > 1 on a session queue, a drained session sends what is held before it is released', async () => {
    const batches: Batch[] = [];
    const fn = batchFunction('minSession', Q.minSession, (b) => void batches.push(b), true);
    // maxBatchWaitTime is 5 min: only the drained session can dispatch the two messages in time.
    await withHost([fn], { maxMessageBatchSize: 10, minMessageBatchSize: 4, maxBatchWaitTime: '00:05:00', sessionIdleTimeout: '00:00:00.300' }, async () => {
      await send(
        Q.minSession,
        [0, 1].map((i) => ({ body: i, messageId: `ms-${i}`, sessionId: 'few' })),
      );
      await waitFor(() => batches.length === 1, 'the held messages of the drained session');
    });
    expect(batches[0].ids).toEqual(['ms-0', 'ms-1']);
    expect(await drainSessions(Q.minSession)).toHaveLength(0);
  });

  test('a throw abandons every message of the batch: each comes back at once with the next delivery count', async () => {
    const seen: { id: string; delivery: number }[] = [];
    const fn = batchFunction('failsOnce', Q.batchThrows, (b) => {
      b.ids.forEach((id, i) => seen.push({ id, delivery: b.deliveries[i] }));
      if (b.deliveries.some((d) => d === 1)) throw new Error('the whole batch fails');
    });
    await send(
      Q.batchThrows,
      [0, 1, 2, 3, 4].map((i) => ({ body: i, messageId: `t-${i}` })),
    );
    // lockDuration is 30 s: a redelivery within the wait is an abandon, not an expired lock.
    await withHost([fn], { maxMessageBatchSize: 5 }, async () => {
      await waitFor(() => seen.filter((s) => s.delivery === 2).length === 5, 'every message redelivered', 10_000);
    });
    for (let i = 0; i < 5; i++) {
      expect(
        seen
          .filter((s) => s.id === `t-${i}`)
          .map((s) => s.delivery)
          .sort(),
      ).toEqual([1, 2]);
    }
    expect(await drain(Q.batchThrows)).toHaveLength(0);
  });

  test('a batch that always throws is dead-lettered message by message at maxDeliveryCount, without waiting for locks', async () => {
    const attempts = new Map<string, number[]>();
    const fn = batchFunction('alwaysFails', Q.batchPoison, (b) => {
      b.ids.forEach((id, i) => attempts.set(id, [...(attempts.get(id) ?? []), b.deliveries[i]]));
      throw new Error('downstream refused');
    });
    await send(
      Q.batchPoison,
      [0, 1, 2].map((i) => ({ body: i, messageId: `p-${i}` })),
    );
    await withHost([fn], { maxMessageBatchSize: 3 }, async () => {
      await waitFor(() => [...attempts.values()].filter((a) => a.length === 3).length === 3, 'three attempts each', 10_000);
      await sleep(300);
    });
    const dead = await drain(Q.batchPoison, 'deadLetter');
    expect(dead.map((m) => m.messageId).sort()).toEqual(['p-0', 'p-1', 'p-2']);
    expect(dead.every((m) => m.deadLetterReason === 'MaxDeliveryCountExceeded')).toBe(true);
    for (const a of attempts.values()) expect(a).toEqual([1, 2, 3]);
  });
});

describe('single dispatch (cardinality one)', () => {
  test('a session function runs maxConcurrentSessions sessions in parallel, never two messages of one session at once', async () => {
    const sessions = ['x-1', 'x-2', 'x-3', 'x-4', 'x-5'];
    for (let seq = 0; seq < 3; seq++)
      await send(
        Q.sessionSlots,
        sessions.map((sessionId) => ({ body: seq, sessionId, messageId: `${sessionId}-${seq}` })),
      );
    let running = 0;
    let maxRunning = 0;
    const perSession = new Map<string, number>();
    let sameSessionOverlap = false;
    let done = 0;
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const fn = singleFunction(
      'sessionSlots',
      Q.sessionSlots,
      async (context) => {
        const session = String(context.triggerMetadata!.sessionId);
        maxRunning = Math.max(maxRunning, ++running);
        perSession.set(session, (perSession.get(session) ?? 0) + 1);
        if (perSession.get(session)! > 1) sameSessionOverlap = true;
        if (running === 3) openGate();
        await Promise.race([gate, sleep(5000)]);
        await sleep(20);
        perSession.set(session, perSession.get(session)! - 1);
        running--;
        done++;
      },
      true,
    );
    await withHost([fn], { maxConcurrentSessions: 3, sessionIdleTimeout: '00:00:00.200' }, async () => {
      await waitFor(() => done === 15, 'all 15 messages');
    });
    expect(maxRunning).toBe(3);
    expect(sameSessionOverlap).toBe(false);
  });

  test('without sessions up to maxConcurrentCalls invocations run at once', async () => {
    await send(
      Q.calls,
      Array.from({ length: 10 }, (_, i) => ({ body: i, messageId: `c-${i}` })),
    );
    let running = 0;
    let maxRunning = 0;
    let done = 0;
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const fn = singleFunction('calls', Q.calls, async () => {
      maxRunning = Math.max(maxRunning, ++running);
      if (running === 4) openGate();
      await Promise.race([gate, sleep(5000)]);
      await sleep(20);
      running--;
      done++;
    });
    await withHost([fn], { maxConcurrentCalls: 4 }, async () => {
      await waitFor(() => done === 10, 'all 10 messages');
    });
    expect(maxRunning).toBe(4);
  });

  test('a throw abandons the message even with autoCompleteMessages false', async () => {
    const deliveries: number[] = [];
    const fn = singleFunction('noAutoComplete', Q.noAutoComplete, (context) => {
      deliveries.push(context.triggerMetadata!.deliveryCount as number);
      if (deliveries.length === 1) throw new Error('fails once');
    });
    await send(Q.noAutoComplete, [{ body: 'x', messageId: 'nac-1' }]);
    // lockDuration is 30 s: the second delivery within the wait comes from an abandon.
    await withHost([fn], { autoCompleteMessages: false }, async () => {
      await waitFor(() => deliveries.length === 2, 'the redelivery', 10_000);
    });
    expect(deliveries).toEqual([1, 2]);
  });

  test('a Service Bus function has no retry policy: the host says so, and every new attempt is a redelivery', async () => {
    const deliveries: number[] = [];
    const fn = serviceBusQueueFunction('noRetry', {
      connection: 'ServiceBusConnection',
      queueName: Q.noRetry,
      retry: { strategy: 'fixedDelay', maxRetryCount: 5, delayInterval: { seconds: 1 } },
      handler: (_body: unknown, context: InvocationContext) => {
        deliveries.push(context.triggerMetadata!.deliveryCount as number);
        if (deliveries.length < 3) throw new Error('fails twice');
      },
    } as Parameters<typeof serviceBusQueueFunction>[1]);
    await send(Q.noRetry, [{ body: 'x', messageId: 'nr-1' }]);
    await withHost([fn], {}, async (log) => {
      expect(log).toContain("Retries are not supported for function 'Functions.noRetry'.");
      await waitFor(() => deliveries.length === 3, 'three attempts', 10_000);
    });
    // An in-process retry would run the same delivery again (same delivery count).
    expect(deliveries).toEqual([1, 2, 3]);
    expect(await drain(Q.noRetry)).toHaveLength(0);
  });
});

describe('the session idle wait', () => {
  test('sessionIdleTimeout unset: a drained session is held for clientRetryOptions.tryTimeout before the next is taken', async () => {
    const order: string[] = [];
    const fn = batchFunction('held', Q.heldSession, (b) => void order.push(...b.ids), true);
    await withHost([fn], { clientRetryOptions: { tryTimeout: '00:00:04' } }, async () => {
      await send(Q.heldSession, [{ body: 1, messageId: 'A1', sessionId: 'A' }]);
      await waitFor(() => order.length === 1, 'A1');
      await send(Q.heldSession, [{ body: 1, messageId: 'B1', sessionId: 'B' }]);
      await sleep(300);
      // Still within A's idle wait: A2 goes before B1, which was sent first.
      await send(Q.heldSession, [{ body: 2, messageId: 'A2', sessionId: 'A' }]);
      await waitFor(() => order.length === 3, 'A2 and B1');
    });
    expect(order).toEqual(['A1', 'A2', 'B1']);
  });

  test('the same holds for single dispatch sessions', async () => {
    const order: string[] = [];
    const fn = singleFunction('heldSingle', Q.heldSessionSingle, (context) => void order.push(String(context.triggerMetadata!.messageId)), true);
    await withHost([fn], { maxConcurrentSessions: 1, clientRetryOptions: { tryTimeout: '00:00:04' } }, async () => {
      await send(Q.heldSessionSingle, [{ body: 1, messageId: 'A1', sessionId: 'A' }]);
      await waitFor(() => order.length === 1, 'A1');
      await send(Q.heldSessionSingle, [{ body: 1, messageId: 'B1', sessionId: 'B' }]);
      await sleep(300);
      await send(Q.heldSessionSingle, [{ body: 2, messageId: 'A2', sessionId: 'A' }]);
      await waitFor(() => order.length === 3, 'A2 and B1');
    });
    expect(order).toEqual(['A1', 'A2', 'B1']);
  });

  test('an explicit sessionIdleTimeout is honoured: the drained session is released and the next one taken', async () => {
    const order: string[] = [];
    const fn = batchFunction('released', Q.releasedSession, (b) => void order.push(...b.ids), true);
    // The try timeout stays at its default (60 s): B1 within the wait shows the 0.3 s idle timeout applied.
    await withHost([fn], { sessionIdleTimeout: '00:00:00.300' }, async () => {
      await send(Q.releasedSession, [{ body: 1, messageId: 'A1', sessionId: 'A' }]);
      await waitFor(() => order.length === 1, 'A1');
      await send(Q.releasedSession, [{ body: 1, messageId: 'B1', sessionId: 'B' }]);
      await waitFor(() => order.length === 2, 'B1', 20_000);
    });
    expect(order).toEqual(['A1', 'B1']);
  });
});

describe('host.json settings the local host cannot give are refused', () => {
  test.each([
    [{ prefetchCount: 10 }, /prefetchCount/],
    [{ maxConcurrentCallsPerSession: 2 }, /maxConcurrentCallsPerSession/],
    [{ sessionIdleTimeout: '00:00:00' }, /sessionIdleTimeout.*positive/],
    [{ clientRetryOptions: { tryTimeout: '-00:00:01' } }, /tryTimeout.*positive/],
  ])('%j', (serviceBus, message) => {
    expect(() => parseHostJson({ extensions: { serviceBus } }, 'host.json')).toThrow(message);
  });

  test("defaults are the extension's: tryTimeout 60 s, maxBatchWaitTime 30 s, minMessageBatchSize 1, sessionIdleTimeout unset", () => {
    expect(parseHostJson({}, 'host.json').serviceBus).toMatchObject({
      clientTryTimeoutMs: 60_000,
      maxBatchWaitTimeMs: 30_000,
      minMessageBatchSize: 1,
      maxMessageBatchSize: 1000,
      maxConcurrentSessions: 8,
      sessionIdleTimeoutMs: undefined,
    });
  });
});
