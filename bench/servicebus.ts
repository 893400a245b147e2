/**
 * Service Bus emulator throughput on loopback: batched send of N messages, then peek-lock receive
 * and complete of all of them through the real @azure/service-bus SDK. Target: >= 5,000 msg/s.
 * Run: `node dist/bench/servicebus.js [count]`.
 */
import { ServiceBusClient } from '@azure/service-bus';
import { startServiceBusEmulator } from '../emulators/servicebus';

export interface ServiceBusBenchResult {
  messages: number;
  sendMs: number;
  receiveCompleteMs: number;
  /** End to end: send phase plus receive-and-complete phase. */
  messagesPerSecond: number;
  sendPerSecond: number;
  receiveCompletePerSecond: number;
}

export async function runServiceBusBench(count = 10_000): Promise<ServiceBusBenchResult> {
  const emulator = await startServiceBusEmulator({ port: 0, queues: [{ name: 'bench' }] });
  const client = new ServiceBusClient(emulator.connectionString);
  try {
    const sender = client.createSender('bench');
    const t0 = performance.now();
    let batch = await sender.createMessageBatch();
    for (let i = 0; i < count; i++) {
      const msg = { body: { id: i, entity: 'account', op: 'upsert' }, applicationProperties: { source: 'bench' } };
      if (!batch.tryAddMessage(msg)) {
        await sender.sendMessages(batch);
        batch = await sender.createMessageBatch();
        batch.tryAddMessage(msg);
      }
    }
    if (batch.count > 0) await sender.sendMessages(batch);
    const t1 = performance.now();

    const receiver = client.createReceiver('bench', { maxAutoLockRenewalDurationInMs: 0 });
    let done = 0;
    while (done < count) {
      const got = await receiver.receiveMessages(Math.min(500, count - done), { maxWaitTimeInMs: 5000 });
      if (got.length === 0) throw new Error(`bench: queue ran dry after ${done} of ${count} messages`);
      await Promise.all(got.map((m) => receiver.completeMessage(m)));
      done += got.length;
    }
    const t2 = performance.now();
    return {
      messages: count,
      sendMs: Math.round(t1 - t0),
      receiveCompleteMs: Math.round(t2 - t1),
      messagesPerSecond: Math.round(count / ((t2 - t0) / 1000)),
      sendPerSecond: Math.round(count / ((t1 - t0) / 1000)),
      receiveCompletePerSecond: Math.round(count / ((t2 - t1) / 1000)),
    };
  } finally {
    await client.close();
    await emulator.close();
  }
}

if (require.main === module) {
  runServiceBusBench(Number(process.argv[2] ?? 10_000)).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      process.exitCode = r.messagesPerSecond >= 5000 ? 0 : 1;
    },
    (err: unknown) => {
      process.stderr.write(`bench failed: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
