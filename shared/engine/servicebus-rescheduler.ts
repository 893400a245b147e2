/**
 * ReschedulePort on Service Bus: re-enqueues changes with scheduledEnqueueTimeUtc, same session and body.
 * Sent per session in batches that fit the entity's size limit: a whole held batch (a stopped route, a
 * throttled environment: up to thousands of changes) does not fit one AMQP message.
 */
import { type ServiceBusClient, type ServiceBusMessage, type ServiceBusSender } from '@azure/service-bus';
import type { ReschedulePort, ScheduledChange } from './ports';

export class ServiceBusRescheduler implements ReschedulePort {
  private sender?: ServiceBusSender;

  constructor(
    private readonly client: ServiceBusClient,
    private readonly queue: string,
  ) {}

  async schedule(changes: readonly ScheduledChange[]): Promise<void> {
    if (changes.length === 0) return;
    const sender = (this.sender ??= this.client.createSender(this.queue));
    const bySession = new Map<string, ServiceBusMessage[]>();
    for (const c of changes) {
      const key = c.sessionId ?? '';
      bySession.set(key, [...(bySession.get(key) ?? []), toMessage(c)]);
    }
    for (const messages of bySession.values()) {
      let batch = await sender.createMessageBatch();
      for (const m of messages) {
        if (batch.tryAddMessage(m)) continue;
        if (batch.count === 0) throw new Error(`rescheduled message ${String(m.messageId)} does not fit in an empty batch (${batch.maxSizeInBytes} bytes)`);
        await sender.sendMessages(batch);
        batch = await sender.createMessageBatch();
        if (!batch.tryAddMessage(m))
          throw new Error(`rescheduled message ${String(m.messageId)} does not fit in an empty batch (${batch.maxSizeInBytes} bytes)`);
      }
      if (batch.count > 0) await sender.sendMessages(batch);
    }
  }

  async close(): Promise<void> {
    await this.sender?.close();
  }
}

function toMessage(c: ScheduledChange): ServiceBusMessage {
  return {
    body: c.body,
    contentType: 'application/json',
    messageId: c.messageId,
    sessionId: c.sessionId,
    correlationId: c.correlationId,
    scheduledEnqueueTimeUtc: c.scheduledEnqueueTimeUtc,
    applicationProperties: c.applicationProperties as Record<string, string | number | boolean>,
  };
}
