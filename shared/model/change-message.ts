/**
 * The body of every message on the changes queue (`dvsync-changes`): one source change for one route.
 * Producers: the webhook intake, the ingest endpoint / inbound queue, `dvsync import`, incremental sync.
 * Consumer: the batch writer (functions/apply-changes.ts → shared/engine). Mapping to the target happens
 * in the consumer, from the route, so every producer shares one mapping implementation.
 *
 * Service Bus properties set by the producer (see shared/queue):
 * - messageId: deterministic from (route, origin id, version) so duplicate detection drops retries;
 * - sessionId: the ordering bucket of the target row (all changes of one target row share a bucket);
 * - correlationId: the Dataverse CorrelationId when there is one.
 */
import type { SourceRow } from './source-value';

export const CHANGE_MESSAGE_VERSION = 1;

export interface ChangeMessage {
  v: typeof CHANGE_MESSAGE_VERSION;
  /** Route name from the routes file. */
  route: string;
  origin: 'webhook' | 'ingest' | 'import' | 'sync';
  /** 'upsert' for Create/Update (and other row-changing messages), 'delete' for Delete. */
  operation: 'upsert' | 'delete';
  source: {
    environment?: string; // configured environment name (webhook, sync)
    table: string; // source table logical name, or the external entity name for ingest
    id?: string; // source row id (GUID) when the source is Dataverse
    message?: string; // Dataverse MessageName
    correlationId?: string;
    operationId?: string;
    userId?: string;
    initiatingUserId?: string;
    tag?: string;
    depth?: number;
    /** ISO time Dataverse made the change (webhook: OperationCreatedOn, else modifiedon; sync: modifiedon), for end-to-end latency. */
    changedAt?: string;
    /** Import only: file checkpoint coordinates so a resumed import can prove exactly-once. */
    importId?: string;
    line?: number;
  };
  /**
   * Orders changes of one row: stamps on named scales (`rv=<row version>;mt=<modifiedon ms>`, or
   * `ext=<ms>:<seq>:<producer>` for external records), compared only on a scale both sides share
   * (shared/model/version.ts). A bare decimal from older producers is accepted and compared with nothing.
   */
  version: string;
  /** The source row's columns after normalisation (for Update: the post image merged over the Target). */
  values: SourceRow;
  /** The webhook payload was stripped (x-ms-dynamics-msg-size-exceeded) or incomplete: re-read the row. */
  reread?: boolean;
  /** When the message body itself was too large for Service Bus: where the full message lives. */
  blobRef?: { container: string; name: string };
  /** ISO time the producer accepted the change. */
  receivedAt: string;
}
