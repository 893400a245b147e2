/**
 * The narrow ports the write engine needs. `dataverse-adapter.ts` binds DataverseWritePort to the
 * Dataverse client + throttle lanes; `servicebus-rescheduler.ts` binds ReschedulePort to Service Bus.
 */
export type { RecordLedgerPort, LedgerEntry, LedgerKey, LedgerWrite } from '../ledger/types';
export type { FailureStorePort, FailureRecord } from '../ledger/failures';
export type { SourceRow } from '../model/source-value';
import type { SourceRow } from '../model/source-value';

export type KeyValue = string | number;

/** One write to one target row, addressed by alternate key. */
export interface TargetWrite {
  /** upsert = PATCH by key; create = PATCH + If-None-Match: *; update = PATCH + If-Match: *; delete = DELETE by key. */
  kind: 'upsert' | 'create' | 'update' | 'delete';
  entitySet: string;
  /** Target table logical name (bulk items need `@odata.type: Microsoft.Dynamics.CRM.<table>`). */
  table: string;
  /** Alternate key column → value, in the route's key order. */
  key: Record<string, KeyValue>;
  /** Columns and `<navprop>@odata.bind` entries to send (never the key columns). Empty for delete. */
  body: Record<string, unknown>;
}

export type BulkMessage = 'UpsertMultiple' | 'CreateMultiple' | 'UpdateMultiple';

/**
 * Every call is all-or-nothing and goes through the throttle lanes / app-user pool. Failures throw a
 * DataverseError-shaped error (`status`, `code`, `message`, `kind`, `retryable`, `retryAfterMs`) or a
 * RescheduleError (`notBefore`) when the throttle wait would exceed the time budget.
 */
export interface DataverseWritePort {
  /** `<set>/Microsoft.Dynamics.CRM.<message>` with all writes in `Targets`. */
  writeMultiple(environment: string, message: BulkMessage, writes: readonly TargetWrite[]): Promise<void>;
  /** One `$batch` holding one change set with all writes (atomic). */
  writeChangeSet(environment: string, writes: readonly TargetWrite[]): Promise<void>;
  /** One plain request. */
  writeOne(environment: string, write: TargetWrite): Promise<void>;
  /** Requests the environment takes in flight right now (all users' lanes); the engine option chunksInFlight overrides it. */
  parallelism?(environment: string): number;
}

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
  /** The row's current values, or undefined when the row no longer exists. Throws DataverseError / RescheduleError. */
  readRow(environment: string, table: string, id: string): Promise<SourceRow | undefined>;
}

/** Reads change messages that were too large for Service Bus (`blobRef`). */
export interface BlobReadPort {
  /** The blob's text; throws BlobNotFoundError when it does not exist, anything else is transient. */
  read(container: string, name: string): Promise<string>;
}
