/**
 * The body of every message on the changes queue (`dvsync-changes`): one source change for one route.
 * Producers: the webhook intake, the ingest endpoint / inbound queue, `dvsync import`, incremental sync.
 * Consumer: the batch writer (functions/apply-changes.ts → shared/engine). Mapping to the target happens
 * in the consumer, from the route, so every producer shares one mapping implementation.
 * The schema is the definition (./parse-change-message.ts checks queue bodies with it); the types are derived from it.
 *
 * Service Bus properties set by the producer (see shared/queue):
 * - messageId: deterministic from (route, origin id, version) so duplicate detection drops retries;
 * - sessionId: the ordering bucket of the target row (all changes of one target row share a bucket);
 * - correlationId: the Dataverse CorrelationId when there is one.
 */
import { z } from 'zod';
import { sourceRowSchema } from './source-value';
import { isVersionText } from './version';

export const CHANGE_MESSAGE_VERSION = 1;

/** Which producer made the message. */
export const ORIGINS = ['webhook', 'ingest', 'import', 'sync'] as const;
export type Origin = (typeof ORIGINS)[number];

/** 'upsert' for Create/Update (and other row-changing messages), 'delete' for Delete. */
export const OPERATIONS = ['upsert', 'delete'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Where the change came from. Unknown fields are kept (a newer producer's), not refused. */
export const changeSourceSchema = z.looseObject({
  /** Configured environment name (webhook, sync). */
  environment: z.string().optional(),
  /** Source table logical name, or the external entity name for ingest. */
  table: z.string().min(1),
  /** Source row id (GUID) when the source is Dataverse. */
  id: z.string().optional(),
  /** Dataverse MessageName. */
  message: z.string().optional(),
  correlationId: z.string().optional(),
  operationId: z.string().optional(),
  userId: z.string().optional(),
  initiatingUserId: z.string().optional(),
  tag: z.string().optional(),
  depth: z.number().optional(),
  /** ISO time Dataverse made the change (webhook: OperationCreatedOn, else modifiedon; sync: modifiedon), for end-to-end latency. */
  changedAt: z.string().optional(),
  /** Import only: file checkpoint coordinates so a resumed import can prove exactly-once. */
  importId: z.string().optional(),
  line: z.number().optional(),
});

export const changeMessageSchema = z.object({
  v: z.literal(CHANGE_MESSAGE_VERSION),
  /** Route name from the routes file. */
  route: z.string().min(1),
  origin: z.enum(ORIGINS),
  operation: z.enum(OPERATIONS),
  source: changeSourceSchema,
  /**
   * Orders changes of one row: stamps on named scales (`rv=<row version>;mt=<modifiedon ms>`, or
   * `ext=<ms>:<seq>:<producer>` for external records), compared only on a scale both sides share
   * (shared/model/version.ts). A bare decimal from older producers is accepted and compared with nothing.
   */
  version: z.string().refine(isVersionText, 'must be a version such as "rv=123;mt=1700000000000" (see shared/model/version.ts)'),
  /** The source row's columns after normalisation (for Update: the post image merged over the Target). */
  values: sourceRowSchema,
  /** The webhook payload was stripped (x-ms-dynamics-msg-size-exceeded) or incomplete: re-read the row. */
  reread: z.boolean().optional(),
  /** When the message body itself was too large for Service Bus: where the full message lives. */
  blobRef: z.object({ container: z.string(), name: z.string() }).optional(),
  /** ISO time the producer accepted the change. */
  receivedAt: z.string(),
});

export type ChangeSource = z.output<typeof changeSourceSchema>;
export type ChangeMessage = z.output<typeof changeMessageSchema>;
