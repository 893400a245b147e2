/**
 * Dead-letter sub-queues for operators: peek them with reason, description and delivery count, and move
 * messages back to the main queue. Resubmit sends a copy (same body, sessionId, correlationId, subject,
 * content type and application properties) and only then completes the dead-lettered message, so a crash
 * can only duplicate (the ledger absorbs it), never lose. The copy's message id is derived from the
 * original id and its dead-letter sequence number: a repeated resubmit of the same message is dropped by
 * duplicate detection, while the original id (still in the detection window) would drop the copy.
 */
import { createHash } from 'crypto';
import Long from 'long';
import type { ServiceBusClient, ServiceBusMessage, ServiceBusReceivedMessage } from '@azure/service-bus';

/** Properties the broker adds when dead-lettering; the copy goes back without them. */
const DEAD_LETTER_PROPERTIES = new Set(['DeadLetterReason', 'DeadLetterErrorDescription']);

export interface DeadLetter {
  sequenceNumber: string;
  messageId: string;
  sessionId?: string;
  correlationId?: string;
  reason?: string;
  description?: string;
  deliveryCount?: number;
  enqueuedTimeUtc?: string;
  applicationProperties?: Record<string, unknown>;
  body: unknown;
}

export function describeDeadLetter(m: ServiceBusReceivedMessage): DeadLetter {
  const d: DeadLetter = { sequenceNumber: String(m.sequenceNumber ?? ''), messageId: String(m.messageId ?? ''), body: m.body };
  if (m.sessionId) d.sessionId = m.sessionId;
  if (m.correlationId !== undefined) d.correlationId = String(m.correlationId);
  if (m.deadLetterReason) d.reason = m.deadLetterReason;
  if (m.deadLetterErrorDescription) d.description = m.deadLetterErrorDescription;
  if (m.deliveryCount !== undefined) d.deliveryCount = m.deliveryCount;
  if (m.enqueuedTimeUtc) d.enqueuedTimeUtc = m.enqueuedTimeUtc.toISOString();
  if (m.applicationProperties)
    d.applicationProperties = Object.fromEntries(Object.entries(m.applicationProperties).filter(([k]) => !DEAD_LETTER_PROPERTIES.has(k)));
  return d;
}

/** Peeks up to `max` dead-lettered messages (oldest first) without locking them. */
export async function listDeadLetters(client: ServiceBusClient, queue: string, max: number): Promise<DeadLetter[]> {
  const receiver = client.createReceiver(queue, { subQueueType: 'deadLetter' });
  const out: DeadLetter[] = [];
  // The SDK remembers the last peeked number per entity and connection, not per receiver: always say where to start.
  let from = Long.ONE;
  try {
    while (out.length < max) {
      const page = await receiver.peekMessages(Math.min(100, max - out.length), { fromSequenceNumber: from });
      if (page.length === 0) break;
      out.push(...page.map(describeDeadLetter));
      const last = page[page.length - 1].sequenceNumber;
      if (!last) break;
      from = last.add(1);
    }
  } finally {
    await receiver.close();
  }
  return out;
}

/** Service Bus message ids are at most 128 characters. */
export function resubmitMessageId(original: string, sequenceNumber: string): string {
  const id = `${original}~dlq${sequenceNumber}`;
  return id.length <= 128 ? id : `dlq:${createHash('sha256').update(`${original}\u001f${sequenceNumber}`, 'utf8').digest('hex').slice(0, 32)}`;
}

export function resubmitCopy(m: ServiceBusReceivedMessage): ServiceBusMessage {
  const copy: ServiceBusMessage = { body: m.body, messageId: resubmitMessageId(String(m.messageId ?? ''), String(m.sequenceNumber ?? '')) };
  if (m.sessionId) copy.sessionId = m.sessionId;
  if (m.correlationId !== undefined) copy.correlationId = m.correlationId;
  if (m.contentType) copy.contentType = m.contentType;
  if (m.subject) copy.subject = m.subject;
  if (m.applicationProperties)
    copy.applicationProperties = Object.fromEntries(Object.entries(m.applicationProperties).filter(([k]) => !DEAD_LETTER_PROPERTIES.has(k)));
  return copy;
}

export interface ResubmitReport {
  resubmitted: Array<{ messageId: string; newMessageId: string; reason?: string }>;
  dryRun: boolean;
}

/** Moves up to `max` dead-lettered messages back to the queue (dry run: peeks and reports only). */
export async function resubmitDeadLetters(
  client: ServiceBusClient,
  queue: string,
  options: { max: number; dryRun?: boolean; waitMs?: number },
): Promise<ResubmitReport> {
  if (options.dryRun) {
    const peeked = await listDeadLetters(client, queue, options.max);
    return {
      dryRun: true,
      resubmitted: peeked.map((d) => ({
        messageId: d.messageId,
        newMessageId: resubmitMessageId(d.messageId, d.sequenceNumber),
        ...(d.reason ? { reason: d.reason } : {}),
      })),
    };
  }
  const receiver = client.createReceiver(queue, { subQueueType: 'deadLetter', receiveMode: 'peekLock' });
  const sender = client.createSender(queue);
  const report: ResubmitReport = { resubmitted: [], dryRun: false };
  try {
    while (report.resubmitted.length < options.max) {
      const batch = await receiver.receiveMessages(Math.min(50, options.max - report.resubmitted.length), { maxWaitTimeInMs: options.waitMs ?? 2000 });
      if (batch.length === 0) break;
      for (const m of batch) {
        const copy = resubmitCopy(m);
        await sender.sendMessages(copy);
        await receiver.completeMessage(m);
        report.resubmitted.push({
          messageId: String(m.messageId ?? ''),
          newMessageId: String(copy.messageId),
          ...(m.deadLetterReason ? { reason: m.deadLetterReason } : {}),
        });
      }
    }
  } finally {
    await sender.close();
    await receiver.close();
  }
  return report;
}
