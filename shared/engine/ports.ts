/**
 * The narrow ports the write engine needs. Sinks (./sink.ts) are bound in shared/sinks/ (the Dataverse
 * sink also binds SourceReadPort); `servicebus-rescheduler.ts` binds ReschedulePort to Service Bus.
 */
export type { RecordLedgerPort, LedgerEntry, LedgerKey, LedgerWrite } from '../ledger/types';
export type { FailureStorePort, FailureRecord } from '../ledger/failures';
export type { SourceRow } from '../model/source-value';
import type { SourceRow } from '../model/source-value';

export type { KeyValue, Sink, SinkAction, WritePath, ActionKind } from './sink';

/** A change to re-enqueue later (same body and session; a new message id). */
export interface ScheduledChange {
  body: string;
  sessionId?: string;
  correlationId?: string;
  messageId: string;
  scheduledEnqueueTimeUtc: Date;
  applicationProperties?: Record<string, unknown>;
}

export interface ReschedulePort {
  schedule(changes: readonly ScheduledChange[]): Promise<void>;
}

/** Reads a source row again for messages marked `reread` (the webhook payload was stripped). */
export interface SourceReadPort {
  /** The row's current values, or undefined when the row no longer exists. Throws WriteFailure. */
  readRow(environment: string, table: string, id: string): Promise<SourceRow | undefined>;
}

/** Reads change messages that were too large for Service Bus (`blobRef`). */
export interface BlobReadPort {
  /** The blob's text; throws BlobNotFoundError when it does not exist, anything else is transient. */
  read(container: string, name: string): Promise<string>;
}
