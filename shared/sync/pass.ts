/**
 * One incremental-sync pass for one route: read the table's changes since the stored delta link
 * (`Prefer: odata.track-changes`), enqueue them as ChangeMessages, then store the new delta link.
 *
 * Guarantees:
 * - no gaps: the delta link is committed only after every message of the pass was accepted by the queue;
 *   a crash before the commit re-reads the same changes next time, and duplicate detection (same message
 *   ids) plus the ledger (same versions) absorb the repeat;
 * - one winner: the commit presents the checkpoint's ETag, so of two concurrent runners only one advances it
 *   (the other ends with outcome 'conflict' and its messages are duplicates);
 * - an expired delta token (0x80044352) restarts as a full read in the same pass (telemetry `sync.resync`).
 * Deletions carry no row version: they are held until the last page and stamped with the new token's version.
 */
import type { ChangeOptions, ChangePage, TableInfo } from '../dataverse';
import { isExpiredDeltaToken } from '../dataverse/query';
import { CheckpointConflictError, type Checkpoint, type CheckpointState } from '../ledger/checkpoints';
import { offloadLargeMessages, type LargeMessageStore } from '../queue/large-messages';
import type { ChangePublisher, OutgoingChange } from '../queue/outgoing';
import type { Route } from '../routes/schema';
import type { Telemetry } from '../telemetry/telemetry';
import { syncChange } from './build';
import { SyncConfigError, SyncProtocolError } from './errors';
import { deltaTokenVersion, rowVersion, toSourceRow } from './row';

/** The part of DataverseClient a pass uses. */
export interface ChangeSource {
  changes(entitySet: string, options?: ChangeOptions): AsyncIterable<ChangePage>;
  getTableInfo(logicalName: string): Promise<TableInfo>;
}

/** The part of shared/ledger Checkpoints a pass uses. */
export interface CheckpointStore {
  get<P>(name: string): Promise<Checkpoint<P> | undefined>;
  commit<P>(name: string, state: CheckpointState<P>, expectedEtag?: string): Promise<string>;
}

export interface SyncPosition {
  deltaLink: string;
  entitySet: string;
  select: string[];
}

export interface SyncPassOptions {
  route: Route;
  source: ChangeSource;
  publisher: ChangePublisher;
  checkpoints: CheckpointStore;
  telemetry: Telemetry;
  sessionBuckets: number;
  /** Ignore the stored delta link and read every row (initial load again). */
  full?: boolean;
  largeMessages?: { store?: LargeMessageStore; thresholdBytes: number };
  now?: () => Date;
}

export interface SyncPassResult {
  route: string;
  outcome: 'committed' | 'conflict';
  /** 'full': every row was read (first pass, --full, changed $select, or after an expired token). */
  mode: 'full' | 'delta';
  /** The stored delta link had expired (0x80044352) and the pass fell back to a full read. */
  resynced: boolean;
  pages: number;
  upserts: number;
  deletes: number;
}

export const checkpointName = (route: string): string => `sync:${route}`;

/** Changes per publish call: bounds memory and the size of one redelivery after a failed send. */
const PUBLISH_CHUNK = 500;

export async function runSyncPass(o: SyncPassOptions): Promise<SyncPassResult> {
  const { route } = o;
  const sync = route.source.sync;
  if (!sync?.enabled) throw new SyncConfigError(`Route "${route.name}" does not opt in to incremental sync: set "source.sync": {"enabled": true} in the routes file.`);
  const environment = route.source.environment;
  if (!environment) throw new SyncConfigError(`Route "${route.name}" has no source.environment; incremental sync reads a Dataverse table, so name the source environment.`);
  const info = await o.source.getTableInfo(route.source.table);
  if (info.changeTracking === false) {
    throw new SyncConfigError(`Table "${route.source.table}" in environment "${environment}" does not have change tracking enabled (route "${route.name}"). Enable it on the table (Advanced options → Track changes); it cannot be turned off again.`);
  }
  const name = checkpointName(route.name);
  const stored = await o.checkpoints.get<SyncPosition>(name);
  const select = [...sync.select];
  const resumable = stored && stored.position.entitySet === info.entitySet && sameColumns(stored.position.select, select);
  const startLink = !o.full && resumable ? stored.position.deltaLink : undefined;
  const now = o.now ?? (() => new Date());
  const props = { route: route.name, table: route.source.table };

  const read = async (deltaLink: string | undefined) => {
    const counts = { pages: 0, upserts: 0, deletes: 0 };
    const deletedIds: string[] = [];
    let newLink: string | undefined;
    for await (const page of o.source.changes(info.entitySet, { deltaLink, select, pageSize: sync.pageSize })) {
      counts.pages++;
      const upserts: OutgoingChange[] = [];
      const receivedAt = now();
      for (const change of page.changes) {
        if (change.type === 'delete') {
          deletedIds.push(change.id);
          continue;
        }
        const rowId = change.row[info.primaryId];
        if (typeof rowId !== 'string' || rowId === '') {
          throw new SyncProtocolError(`A change of table "${route.source.table}" has no primary id "${info.primaryId}" (route "${route.name}"); Dataverse always returns it, so the response is not a change-tracking page.`);
        }
        const values = toSourceRow(change.row);
        const version = rowVersion(change.row) ?? fallbackVersion(values, receivedAt);
        upserts.push(syncChange({ route, environment, operation: 'upsert', rowId, primaryId: info.primaryId, version, values, sessionBuckets: o.sessionBuckets, receivedAt }));
      }
      await publish(o, upserts);
      counts.upserts += upserts.length;
      newLink = page.deltaLink ?? newLink;
    }
    if (!newLink) throw new SyncProtocolError(`The change-tracking read of "${info.entitySet}" ended without an @odata.deltaLink (route "${route.name}").`);
    if (deletedIds.length) {
      const version = deltaTokenVersion(newLink);
      if (!version) throw new SyncProtocolError(`Cannot stamp ${deletedIds.length} deletion(s) of "${info.entitySet}": the delta link's $deltatoken has no "<version>!<time>" form (${newLink}).`);
      const receivedAt = now();
      const deletes = deletedIds.map((rowId) =>
        syncChange({ route, environment, operation: 'delete', rowId, primaryId: info.primaryId, version, values: { [info.primaryId]: rowId }, sessionBuckets: o.sessionBuckets, receivedAt }),
      );
      await publish(o, deletes);
      counts.deletes = deletes.length;
    }
    return { ...counts, newLink };
  };

  let resynced = false;
  let result: Awaited<ReturnType<typeof read>>;
  try {
    result = await read(startLink);
  } catch (e) {
    if (!startLink || !isExpiredDeltaToken(e)) throw e;
    resynced = true;
    o.telemetry.count('sync.resync', { ...props, reason: 'ExpiredVersionStamp' });
    o.telemetry.trace('warn', `sync: the delta link of route "${route.name}" expired (0x80044352, older than the change-tracking retention); reading every row again. Rows deleted while it was expired are not deleted in the target.`, props);
    result = await read(undefined);
  }
  const mode = startLink && !resynced ? 'delta' : 'full';
  const base = { route: route.name, mode, resynced, pages: result.pages, upserts: result.upserts, deletes: result.deletes } as const;
  const totals = { ...(stored?.counts ?? {}) };
  for (const [k, v] of [['passes', 1], ['upserts', result.upserts], ['deletes', result.deletes], ['resyncs', resynced ? 1 : 0]] as const) totals[k] = (totals[k] ?? 0) + v;
  try {
    await o.checkpoints.commit<SyncPosition>(name, { position: { deltaLink: result.newLink, entitySet: info.entitySet, select }, counts: totals }, stored?.etag);
  } catch (e) {
    if (!(e instanceof CheckpointConflictError)) throw e;
    o.telemetry.count('sync.conflict', props);
    return { ...base, outcome: 'conflict' };
  }
  o.telemetry.count('sync.enqueued', { ...props, operation: 'upsert' }, result.upserts);
  o.telemetry.count('sync.enqueued', { ...props, operation: 'delete' }, result.deletes);
  o.telemetry.event('sync.pass', { ...props, mode, resynced, pages: result.pages, upserts: result.upserts, deletes: result.deletes });
  return { ...base, outcome: 'committed' };
}

async function publish(o: SyncPassOptions, changes: OutgoingChange[]): Promise<void> {
  for (let i = 0; i < changes.length; i += PUBLISH_CHUNK) {
    let chunk = changes.slice(i, i + PUBLISH_CHUNK);
    if (o.largeMessages) chunk = await offloadLargeMessages(chunk, o.largeMessages.thresholdBytes, o.largeMessages.store);
    await o.publisher.publish(chunk);
  }
}

/** As for webhook events without a row version: modifiedon in ms, else the read time. */
function fallbackVersion(values: Record<string, unknown>, receivedAt: Date): string {
  const modified = typeof values.modifiedon === 'string' ? Date.parse(values.modifiedon) : NaN;
  return String(Number.isNaN(modified) ? receivedAt.getTime() : modified);
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}
