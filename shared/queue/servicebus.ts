/**
 * ChangePublisher on Service Bus (`@azure/service-bus`, not the Functions output binding, which cannot
 * set sessionId or messageId). Messages are grouped by session and sent as one batch per session
 * (several if a session's messages exceed one batch). Any send failure is a QueueUnavailableError:
 * the webhook answers 503 and duplicate detection absorbs the messages that did get through.
 */
import { DefaultAzureCredential } from '@azure/identity';
import { ServiceBusClient, type ServiceBusMessage, type ServiceBusSender } from '@azure/service-bus';
import type { ServiceBusSettings } from '../config/settings';
import { QueueUnavailableError, type ChangePublisher, type OutgoingChange } from './outgoing';

export function toServiceBusMessage(change: OutgoingChange): ServiceBusMessage {
  const m: ServiceBusMessage = {
    body: change.body,
    contentType: 'application/json',
    messageId: change.messageId,
    sessionId: change.sessionId,
    subject: `${change.body.route}/${change.body.source.message ?? change.body.origin}`,
    applicationProperties: change.applicationProperties,
  };
  if (change.correlationId) m.correlationId = change.correlationId;
  return m;
}

export function createServiceBusClient(s: ServiceBusSettings): ServiceBusClient {
  const retryOptions = { maxRetries: s.sendRetries, timeoutInMs: s.sendTimeoutMs, retryDelayInMs: 200, maxRetryDelayInMs: 2000 };
  if (s.connectionString) return new ServiceBusClient(s.connectionString, { retryOptions });
  if (s.fullyQualifiedNamespace) {
    const credential = new DefaultAzureCredential(s.managedIdentityClientId ? { managedIdentityClientId: s.managedIdentityClientId } : {});
    return new ServiceBusClient(s.fullyQualifiedNamespace, credential, { retryOptions });
  }
  throw new Error('Service Bus is not configured: set ServiceBusConnection or ServiceBusConnection__fullyQualifiedNamespace.');
}

export class ServiceBusChangePublisher implements ChangePublisher {
  private readonly sender: ServiceBusSender;
  constructor(
    private readonly client: ServiceBusClient,
    queueName: string,
    private readonly retryAfterSeconds: number,
    private readonly ownsClient = true,
  ) {
    this.sender = client.createSender(queueName);
  }

  async publish(changes: OutgoingChange[]): Promise<void> {
    const bySession = new Map<string, ServiceBusMessage[]>();
    for (const c of changes) {
      const list = bySession.get(c.sessionId) ?? [];
      list.push(toServiceBusMessage(c));
      bySession.set(c.sessionId, list);
    }
    const results = await Promise.allSettled([...bySession.values()].map((messages) => this.sendSession(messages)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      const e = failed.reason as { code?: string; message?: string };
      throw new QueueUnavailableError(
        `The changes queue did not accept the messages (${e.code ?? 'error'}: ${e.message ?? String(e)})`,
        this.retryAfterSeconds,
        failed.reason,
      );
    }
  }

  private async sendSession(messages: ServiceBusMessage[]): Promise<void> {
    let batch = await this.sender.createMessageBatch();
    for (const m of messages) {
      if (batch.tryAddMessage(m)) continue;
      if (batch.count === 0)
        throw new Error(`message ${String(m.messageId)} does not fit in an empty batch (${batch.maxSizeInBytes} bytes); lower DVSYNC_LARGE_MESSAGE_BYTES`);
      await this.sender.sendMessages(batch);
      batch = await this.sender.createMessageBatch();
      if (!batch.tryAddMessage(m))
        throw new Error(`message ${String(m.messageId)} does not fit in an empty batch (${batch.maxSizeInBytes} bytes); lower DVSYNC_LARGE_MESSAGE_BYTES`);
    }
    if (batch.count > 0) await this.sender.sendMessages(batch);
  }

  async close(): Promise<void> {
    await this.sender.close();
    if (this.ownsClient) await this.client.close();
  }
}
