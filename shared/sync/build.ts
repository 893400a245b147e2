/**
 * ChangeMessages from change tracking, with the same envelope the webhook intake gives (shared/queue):
 * the session bucket is keyed by the source row id exactly as for webhook events, so a row's webhook and
 * sync changes share one ordered session; the version is the row's version stamp, so the ledger applies
 * whichever copy arrives first and skips the other as stale.
 */
import { CHANGE_MESSAGE_VERSION, type ChangeMessage, type Operation } from '../model/change-message';
import type { SourceRow } from '../model/source-value';
import { changeMessageId, orderingBucket, sessionIdFor } from '../queue/ordering';
import type { OutgoingChange } from '../queue/outgoing';
import { carryColumns } from '../routes/columns';
import type { Route } from '../routes/schema';

export interface SyncChangeInput {
  route: Route;
  /** Configured source environment name. */
  environment: string;
  operation: Operation;
  rowId: string;
  /** The source table's primary id column; kept even when selectColumns omit it (deletes carry only it). */
  primaryId: string;
  version: string;
  values: SourceRow;
  sessionBuckets: number;
  receivedAt: Date;
}

export function syncChange(i: SyncChangeInput): OutgoingChange {
  const { route } = i;
  const body: ChangeMessage = {
    v: CHANGE_MESSAGE_VERSION,
    route: route.name,
    origin: 'sync',
    operation: i.operation,
    source: {
      environment: i.environment,
      table: route.source.table,
      id: i.rowId,
      ...(typeof i.values.modifiedon === 'string' ? { changedAt: i.values.modifiedon } : {}),
    },
    version: i.version,
    // The same selection as the webhook's (shared/routes/columns.ts), with the id column from the table's metadata.
    values: carryColumns(i.values, route, i.primaryId),
    receivedAt: i.receivedAt.toISOString(),
  };
  const bucket = orderingBucket(route.target.environment, route.target.table, i.rowId, i.sessionBuckets);
  return {
    body,
    // Same row + version + operation → same id: a re-run of a page is dropped by duplicate detection.
    messageId: changeMessageId(route.name, ['sync', i.rowId, i.version, i.operation]),
    sessionId: sessionIdFor(route.target.environment, bucket),
    applicationProperties: { route: route.name, table: route.source.table, origin: 'sync', operation: i.operation, rowId: i.rowId },
  };
}
