/**
 * The failures table for operators: list it, and replay stored change messages onto the changes queue.
 * A replay gets a new message id derived from the failure's id (so replaying the same failure twice is
 * dropped by duplicate detection), keeps the body (its version lets the ledger skip a change that was
 * superseded meanwhile) and the row's ordering session; the failure is then marked replayed.
 * Order: send, then mark: a crash in between can only repeat a replay, never lose it.
 */
import type { TableClient } from '@azure/data-tables';
import { parseChangeMessage } from '../model/parse-change-message';
import type { FailureRecord, FailureStore } from '../ledger/failures';
import { targetKeyValues } from '../queue/build';
import { changeMessageId, orderingBucket, sessionIdFor } from '../queue/ordering';
import type { ChangePublisher, OutgoingChange } from '../queue/outgoing';
import type { LoadedRoutes } from '../routes/load';

export interface StoredFailure extends FailureRecord {
  partitionKey: string;
  rowKey: string;
  replayedAt?: string;
  replayMessageId?: string;
}

export interface FailureFilter {
  route?: string;
  /** Only failures at or after this time. */
  since?: Date;
  /** One failure: its RowKey as `failures list` prints it. */
  id?: string;
}

export async function listFailures(store: Pick<FailureStore, 'list'>, filter: FailureFilter = {}): Promise<StoredFailure[]> {
  const all = (await store.list(filter.route)) as StoredFailure[];
  return all
    .filter((f) => (filter.since ? Date.parse(f.time) >= filter.since.getTime() : true))
    .filter((f) => (filter.id ? f.rowKey === filter.id : true))
    .sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
}

export interface ReplayOptions extends FailureFilter {
  store: Pick<FailureStore, 'list'>;
  /** The failures table, for marking replayed rows. */
  table: Pick<TableClient, 'updateEntity'>;
  publisher: ChangePublisher;
  routes: LoadedRoutes;
  sessionBuckets: number;
  dryRun?: boolean;
  now?: () => Date;
}

export interface ReplayReport {
  replayed: Array<{ id: string; route: string; messageId: string }>;
  skipped: Array<{ id: string; route?: string; reason: string }>;
  dryRun: boolean;
}

/** Replays matching failures; already replayed ones only when picked by --id. */
export async function replayFailures(o: ReplayOptions): Promise<ReplayReport> {
  const report: ReplayReport = { replayed: [], skipped: [], dryRun: !!o.dryRun };
  const failures = (await listFailures(o.store, o)).filter((f) => o.id !== undefined || !f.replayedAt);
  const ready: Array<{ failure: StoredFailure; change: OutgoingChange }> = [];
  for (const failure of failures) {
    const built = replayChange(failure, o.routes, o.sessionBuckets);
    if ('reason' in built) report.skipped.push({ id: failure.rowKey, ...(failure.route ? { route: failure.route } : {}), reason: built.reason });
    else ready.push({ failure, change: built });
  }
  for (const { failure, change } of ready) {
    if (!o.dryRun) {
      await o.publisher.publish([change]);
      const replayedAt = (o.now ?? (() => new Date()))().toISOString();
      await o.table.updateEntity({ partitionKey: failure.partitionKey, rowKey: failure.rowKey, replayedAt, replayMessageId: change.messageId }, 'Merge');
    }
    report.replayed.push({ id: failure.rowKey, route: change.body.route, messageId: change.messageId });
  }
  return report;
}

export function replayChange(failure: StoredFailure, routes: LoadedRoutes, sessionBuckets: number): OutgoingChange | { reason: string } {
  if (failure.reason === 'CircuitOpen') {
    return {
      reason: `it records a stopped route, not a lost change: the route's changes are held on the queue and are written once the circuit closes (dvsync circuits list | close ${failure.route ?? '<route>'})`,
    };
  }
  if (/…\[truncated \d+ chars\]$/.test(failure.body)) {
    return { reason: 'the stored body was truncated (too large for the table); re-read the row from the source instead (dvsync sync --route <name> --full)' };
  }
  const parsed = parseChangeMessage(failure.body);
  if (!parsed.ok) return { reason: `the stored body is not a change message (${parsed.reason}); fix the producer, it cannot be replayed` };
  const msg = parsed.message;
  const loaded = routes.byName.get(msg.route);
  if (!loaded) return { reason: `route "${msg.route}" is not in ${routes.origin}; add the route back or drop the failure` };
  const route = loaded.route;
  // The same ordering session the producer chose: webhook/sync by source row id, external records by target key.
  const rowKey = msg.source.id ?? JSON.stringify(targetKeyValues(route, msg.values));
  const sessionId = sessionIdFor(route.target.environment, orderingBucket(route.target.environment, route.target.table, rowKey, sessionBuckets));
  const applicationProperties: Record<string, string | number | boolean> = {
    route: route.name,
    table: msg.source.table,
    origin: msg.origin,
    operation: msg.operation,
    replayOf: failure.messageId,
  };
  if (msg.source.id) applicationProperties.rowId = msg.source.id;
  const change: OutgoingChange = {
    body: msg,
    messageId: changeMessageId(route.name, ['replay', failure.partitionKey, failure.rowKey]),
    sessionId,
    applicationProperties,
  };
  if (msg.source.correlationId) change.correlationId = msg.source.correlationId;
  return change;
}
