/** A ChangeMessage with the Service Bus envelope the producer sets (see shared/model/change-message.ts). */
import type { ChangeMessage } from '../model/change-message';

export interface OutgoingChange {
  body: ChangeMessage;
  messageId: string;
  sessionId: string;
  correlationId?: string;
  /** Diagnostics: route, table, message, rowId, origin (filterable in Service Bus Explorer). */
  applicationProperties: Record<string, string | number | boolean>;
}

/** Sends changes; either every change was accepted by the queue, or it throws (QueueUnavailableError when transient). */
export interface ChangePublisher {
  publish(changes: OutgoingChange[]): Promise<void>;
  close(): Promise<void>;
}

/** The queue could not take the messages now; the caller answers 503 (Dataverse retries once). */
export class QueueUnavailableError extends Error {
  readonly transient = true;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'QueueUnavailableError';
  }
}
