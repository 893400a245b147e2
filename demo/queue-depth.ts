/**
 * How many messages wait in a queue, by peeking (no locks taken, so the worker is not disturbed).
 * Peeking a session-enabled queue with a plain receiver sees every session's messages, scheduled ones included.
 * A fresh receiver per count: a receiver remembers where its last peek stopped.
 */
import type { ServiceBusClient } from '@azure/service-bus';

const PAGE = 100;

export async function queueDepth(client: ServiceBusClient, queue: string, max = 10_000): Promise<number> {
  const receiver = client.createReceiver(queue);
  try {
    let count = 0;
    for (;;) {
      const page = await receiver.peekMessages(PAGE);
      count += page.length;
      if (page.length < PAGE || count >= max) return count;
    }
  } finally {
    await receiver.close().catch(() => undefined);
  }
}
