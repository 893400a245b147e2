/** ReschedulePort on Service Bus: re-enqueues changes with scheduledEnqueueTimeUtc, same session and body. */
import { ServiceBusClient, type ServiceBusSender } from '@azure/service-bus';
import type { ReschedulePort, ScheduledChange } from './ports';

export class ServiceBusRescheduler implements ReschedulePort {
  private sender?: ServiceBusSender;

  constructor(private readonly client: ServiceBusClient, private readonly queue: string) {}

  async schedule(changes: readonly ScheduledChange[]): Promise<void> {
    if (changes.length === 0) return;
    this.sender ??= this.client.createSender(this.queue);
    await this.sender.sendMessages(
      changes.map((c) => ({
        body: c.body,
        contentType: 'application/json',
        messageId: c.messageId,
        sessionId: c.sessionId,
        correlationId: c.correlationId,
        scheduledEnqueueTimeUtc: c.scheduledEnqueueTimeUtc,
        applicationProperties: c.applicationProperties as Record<string, string | number | boolean>,
      })),
    );
  }

  async close(): Promise<void> {
    await this.sender?.close();
  }
}
