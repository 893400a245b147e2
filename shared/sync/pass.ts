/**
 * One incremental-sync pass for one route: read the table's changes since the stored delta link
 * (`Prefer: odata.track-changes`), enqueue them as ChangeMessages, then store the new delta link.
 *
 * Guarantees:
 * - no gaps: the checkpoint only ever moves past pages whose messages the queue accepted. After every page
 *   (but the last) it stores the page's `@odata.nextLink` and the deletions seen so far; after the last page,
 *   the new delta link. A crash resumes from the last saved page; re-read pages repeat the same message ids
 *   (duplicate detection) and versions (the ledger), so repeats are absorbed;
 * - one winner: every save presents the checkpoint's ETag, so of two concurrent runners only one advances it
 *   (the other ends with outcome 'conflict' and its messages are duplicates);
 * - an expired delta token (0x80044352) restarts as a full read in the same pass (telemetry `sync.resync`);
 *   a stored nextLink that Dataverse no longer accepts restarts the pass from its delta link (`sync.resume_discarded`).
 * Deletions carry no row version: they are held until the last page and stamped with the new token's version.
 */
import type { ChangeOptions, ChangePage, TableInfo } from '../dataverse';
import { DataverseError } from '../dataverse/errors';
import { isExpiredDeltaToken } from '../dataverse/query';
import { CheckpointConflictError, type Checkpoint, type CheckpointState } from '../ledger/checkpoints';
import { offloadLargeMessages, type LargeMessageStore } from '../queue/large-messages';
import type { ChangePublisher, OutgoingChange } from '../queue/outgoing';
import { matchRow } from '../routes/filter';
import type { LoadedRoute } from '../routes/load';
import type { Telemetry } from '../telemetry/telemetry';
import { syncChange } from './build';
import { SyncConfigError, SyncProtocolError } from './errors';
import { fitsInCheckpoint, sameTrackedQuery, type PassProgress, type SyncPosition } from './position';
import { rowStamps } from '../model/version';
import { deltaTokenVersion, rowVersion, toSourceRow } from './row';

export type { PassProgress, SyncPosition } from './position';

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

export interface SyncPassOptions {
  /** The route with its compiled trigger conditions: rows it excludes are skipped with their reason (shared/routes/filter.ts). */
  route: LoadedRoute;
  source: ChangeSource;
  publisher: ChangePublisher;
  checkpoints: CheckpointStore;
  telemetry: Telemetry;
  sessionBuckets: number;
  /** Ignore the stored delta link (and a pass in progress) and read every row (initial load again). */
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
  /** The pass continued from a page saved by an earlier, interrupted run. */
  resumed: boolean;
  /** Totals of the whole pass, pages read by an interrupted earlier run included. */
  pages: number;
  upserts: number;
  deletes: number;
  /** Rows the route's filters excluded (scope, trigger conditions, ignoreUsers, messages); each counted in `sync.skipped` with its reason. */
  skipped: number;
}

export const checkpointName = (route: string): string => `sync:${route}`;

/** Changes per publish call: bounds memory and the size of one redelivery after a failed send. */
const PUBLISH_CHUNK = 500;

type Start = { kind: 'full'; resynced: boolean } | { kind: 'delta'; link: string } | { kind: 'resume'; progress: PassProgress };

/** Another runner moved the checkpoint: stop, our messages are duplicates of theirs. */
class LostRace extends Error {}

export async function runSyncPass(o: SyncPassOptions): Promise<SyncPassResult> {
  const loaded = o.route;
  const { route } = loaded;
  const sync = route.source.sync;
  if (!sync?.enabled)
    throw new SyncConfigError(`Route "${route.name}" does not opt in to incremental sync: set "source.sync": {"enabled": true} in the routes file.`);
  const environment = route.source.environment;
  if (!environment)
    throw new SyncConfigError(`Route "${route.name}" has no source.environment; incremental sync reads a Dataverse table, so name the source environment.`);
  const info = await o.source.getTableInfo(route.source.table);
  if (info.changeTracking === false) {
    throw new SyncConfigError(
      `Table "${route.source.table}" in environment "${environment}" does not have change tracking enabled (route "${route.name}"). Enable it on the table (Advanced options → Track changes); it cannot be turned off again.`,
    );
  }
  const name = checkpointName(route.name);
  const stored = await o.checkpoints.get<SyncPosition>(name);
  const select = [...sync.select];
  const usable = stored && sameTrackedQuery(stored.position, info.entitySet, select) ? stored.position : undefined;
  const committedLink = usable?.deltaLink;
  const now = o.now ?? (() => new Date());
  const props = { route: route.name, table: route.source.table, environment };
  let etag = stored?.etag;
  const totals: Record<string, number> = { ...(stored?.counts ?? {}) };

  const save = async (position: SyncPosition, counts: Record<string, number>): Promise<void> => {
    try {
      etag = await o.checkpoints.commit<SyncPosition>(name, { position, counts }, etag);
    } catch (e) {
      if (e instanceof CheckpointConflictError) throw new LostRace();
      throw e;
    }
  };

  let pagesThisAttempt = 0;
  const read = async (start: Start) => {
    pagesThisAttempt = 0;
    const progress: PassProgress =
      start.kind === 'resume'
        ? { ...start.progress, deletedIds: [...start.progress.deletedIds] }
        : {
            nextLink: '',
            mode: start.kind,
            resynced: start.kind === 'full' && start.resynced,
            deletedIds: [],
            pages: 0,
            upserts: 0,
            startedAt: now().toISOString(),
          };
    const position = start.kind === 'resume' ? { nextLink: start.progress.nextLink } : start.kind === 'delta' ? { deltaLink: start.link } : {};
    let newLink: string | undefined;
    let oversizeReported = false;
    // Skipped rows of the page being read, by reason; reported once the page is published.
    const skipped = new Map<string, number>();
    let skippedTotal = start.kind === 'resume' ? (start.progress.skipped ?? 0) : 0;
    const reportSkipped = (): void => {
      for (const [reason, n] of skipped) {
        o.telemetry.count('sync.skipped', { ...props, reason }, n);
        skippedTotal += n;
      }
      progress.skipped = skippedTotal;
      skipped.clear();
    };
    for await (const page of o.source.changes(info.entitySet, { ...position, select, pageSize: sync.pageSize, lookupLogicalNames: true })) {
      pagesThisAttempt++;
      progress.pages++;
      const receivedAt = now();
      const upserts: OutgoingChange[] = [];
      for (const change of page.changes) {
        if (change.type === 'delete') {
          progress.deletedIds.push(change.id);
          continue;
        }
        const rowId = change.row[info.primaryId];
        if (typeof rowId !== 'string' || rowId === '') {
          throw new SyncProtocolError(
            `A change of table "${route.source.table}" has no primary id "${info.primaryId}" (route "${route.name}"); Dataverse always returns it, so the response is not a change-tracking page.`,
          );
        }
        const values = toSourceRow(change.row);
        const decision = matchRow(loaded, { operation: 'upsert', rowId, values });
        if (!decision.matched) {
          skipped.set(decision.reason, (skipped.get(decision.reason) ?? 0) + 1);
          continue;
        }
        const version = rowStamps(values, receivedAt.getTime(), rowVersion(change.row));
        upserts.push(
          syncChange({
            route,
            environment,
            operation: 'upsert',
            rowId,
            primaryId: info.primaryId,
            version,
            values,
            sessionBuckets: o.sessionBuckets,
            receivedAt,
          }),
        );
      }
      await publish(o, upserts);
      progress.upserts += upserts.length;
      reportSkipped();
      if (upserts.length) o.telemetry.count('sync.enqueued', { ...props, operation: 'upsert' }, upserts.length);
      newLink = page.deltaLink ?? newLink;
      if (page.nextLink) {
        const state = {
          position: {
            ...(committedLink ? { deltaLink: committedLink } : {}),
            entitySet: info.entitySet,
            select,
            pass: { ...progress, nextLink: page.nextLink },
          },
          counts: totals,
        };
        if (fitsInCheckpoint(state)) await save(state.position, totals);
        else if (!oversizeReported) {
          oversizeReported = true;
          o.telemetry.trace(
            'warn',
            `sync: ${progress.deletedIds.length} pending deletions do not fit in the checkpoint of route "${route.name}"; progress is saved again at the end of the pass (a crash before then re-reads from the last saved page).`,
            props,
          );
        }
      }
    }
    if (!newLink) throw new SyncProtocolError(`The change-tracking read of "${info.entitySet}" ended without an @odata.deltaLink (route "${route.name}").`);
    let deletes = 0;
    const deletions = matchRow(loaded, { operation: 'delete', rowId: '', values: {} });
    if (progress.deletedIds.length && !deletions.matched) {
      skipped.set(deletions.reason, progress.deletedIds.length);
      reportSkipped();
    } else if (progress.deletedIds.length) {
      const token = deltaTokenVersion(newLink);
      if (!token)
        throw new SyncProtocolError(
          `Cannot stamp ${progress.deletedIds.length} deletion(s) of "${info.entitySet}": the delta link's $deltatoken has no "<version>!<time>" form (${newLink}).`,
        );
      const receivedAt = now();
      // The token's version is at least the deletion's own: the Delete orders after every earlier version of the row.
      const version = `rv=${token}`;
      const changes = progress.deletedIds.map((rowId) =>
        syncChange({
          route,
          environment,
          operation: 'delete',
          rowId,
          primaryId: info.primaryId,
          version,
          values: { [info.primaryId]: rowId },
          sessionBuckets: o.sessionBuckets,
          receivedAt,
        }),
      );
      await publish(o, changes);
      deletes = changes.length;
      o.telemetry.count('sync.enqueued', { ...props, operation: 'delete' }, deletes);
    }
    return { mode: progress.mode, resynced: progress.resynced, pages: progress.pages, upserts: progress.upserts, deletes, skipped: skippedTotal, newLink };
  };

  /** Where to go when the first page of an attempt fails; undefined = give up (the error is thrown). */
  const fallback = (start: Start, e: unknown): Start | undefined => {
    if (start.kind === 'full') return undefined;
    if (isExpiredDeltaToken(e)) {
      o.telemetry.count('sync.resync', { ...props, reason: 'ExpiredVersionStamp' });
      o.telemetry.trace(
        'warn',
        `sync: the delta link of route "${route.name}" expired (0x80044352, older than the change-tracking retention); reading every row again. Rows deleted while it was expired are not deleted in the target.`,
        props,
      );
      return { kind: 'full', resynced: true };
    }
    if (start.kind === 'resume' && e instanceof DataverseError && !e.retryable) {
      o.telemetry.count('sync.resume_discarded', { ...props, reason: e.code || e.kind });
      o.telemetry.trace(
        'warn',
        `sync: Dataverse refused the saved page link of route "${route.name}" (${e.message}); restarting the pass from ${committedLink ? 'its delta link' : 'the beginning'}.`,
        props,
      );
      return committedLink ? { kind: 'delta', link: committedLink } : { kind: 'full', resynced: false };
    }
    return undefined;
  };

  let start: Start = o.full
    ? { kind: 'full', resynced: false }
    : usable?.pass
      ? { kind: 'resume', progress: usable.pass }
      : committedLink
        ? { kind: 'delta', link: committedLink }
        : { kind: 'full', resynced: false };
  const resumed = start.kind === 'resume';
  if (start.kind === 'resume') o.telemetry.count('sync.resumed', { ...props, reason: `page ${start.progress.pages + 1}` });
  let result: Awaited<ReturnType<typeof read>>;
  try {
    for (;;) {
      try {
        result = await read(start);
        break;
      } catch (e) {
        const next = pagesThisAttempt === 0 ? fallback(start, e) : undefined;
        if (!next) throw e;
        start = next;
      }
    }
    for (const [k, v] of [
      ['passes', 1],
      ['upserts', result.upserts],
      ['deletes', result.deletes],
      ['skipped', result.skipped],
      ['resyncs', result.resynced ? 1 : 0],
    ] as const)
      totals[k] = (totals[k] ?? 0) + v;
    await save({ deltaLink: result.newLink, entitySet: info.entitySet, select }, totals);
  } catch (e) {
    if (!(e instanceof LostRace)) throw e;
    o.telemetry.count('sync.conflict', props);
    return {
      route: route.name,
      outcome: 'conflict',
      mode: start.kind === 'resume' ? start.progress.mode : start.kind,
      resynced: false,
      resumed,
      pages: 0,
      upserts: 0,
      deletes: 0,
      skipped: 0,
    };
  }
  const base = {
    route: route.name,
    mode: result.mode,
    resynced: result.resynced,
    resumed,
    pages: result.pages,
    upserts: result.upserts,
    deletes: result.deletes,
    skipped: result.skipped,
  } as const;
  o.telemetry.event('sync.pass', {
    ...props,
    mode: result.mode,
    resynced: result.resynced,
    resumed,
    pages: result.pages,
    upserts: result.upserts,
    deletes: result.deletes,
    skipped: result.skipped,
  });
  return { ...base, outcome: 'committed' };
}

async function publish(o: SyncPassOptions, changes: OutgoingChange[]): Promise<void> {
  for (let i = 0; i < changes.length; i += PUBLISH_CHUNK) {
    let chunk = changes.slice(i, i + PUBLISH_CHUNK);
    if (o.largeMessages) chunk = await offloadLargeMessages(chunk, o.largeMessages.thresholdBytes, o.largeMessages.store);
    await o.publisher.publish(chunk);
  }
}
