/**
 * What the `sync:<route>` checkpoint holds. Between passes: the committed delta link. During a pass: also the
 * `@odata.nextLink` of the next page and the deletions seen so far, saved after every page, so a very large
 * initial load (or a long delta) resumes mid-pass after a crash instead of starting again.
 */
import type { CheckpointState } from '../ledger/checkpoints';

export interface PassProgress {
  /** The next page to read, exactly as Dataverse wrote it (query + paging cookie). */
  nextLink: string;
  mode: 'full' | 'delta';
  resynced: boolean;
  /** Deletions from earlier pages; they are stamped with the new delta token's version at the end of the pass. */
  deletedIds: string[];
  pages: number;
  upserts: number;
  /** Rows the route's filters excluded so far (absent in checkpoints written before filters applied to sync). */
  skipped?: number;
  startedAt: string;
}

export interface SyncPosition {
  /** Where the next pass starts; absent until the first pass completed (then the pass is a full read). */
  deltaLink?: string;
  entitySet: string;
  select: string[];
  /** A pass in progress (absent between passes). */
  pass?: PassProgress;
}

/**
 * Table Storage holds at most 32K characters per string (shared/ledger/checkpoints.ts refuses larger); keep
 * a margin. A progress save that would not fit (thousands of pending deletions) is skipped: the previous
 * save stays valid, because re-reading pages re-publishes the same message ids (duplicates are dropped).
 */
export const MAX_PROGRESS_CHARS = 30_000;

export function fitsInCheckpoint(state: CheckpointState<SyncPosition>): boolean {
  return JSON.stringify(state.position).length <= MAX_PROGRESS_CHARS;
}

/** A stored position is usable only for the same entity set and tracked columns (a delta link carries its $select). */
export function sameTrackedQuery(position: SyncPosition, entitySet: string, select: readonly string[]): boolean {
  const a = position.select ?? [];
  return position.entitySet === entitySet && a.length === select.length && [...a].sort().join(',') === [...select].sort().join(',');
}
