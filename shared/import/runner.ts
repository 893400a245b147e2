/**
 * The import core: stream records → validate → chunks → write engine (in-process) → checkpoint.
 *
 * Exactly-once: the checkpoint only moves past a chunk once every record of it (and of every earlier
 * chunk) is final, and the engine writes the ledger only after Dataverse confirmed. After a crash the
 * run resumes after the checkpoint line; records between the checkpoint and the crash that the engine
 * had already ledgered are skipped as "already applied" (same version). Chunks in flight together
 * never share a target key, so a later line always lands after an earlier one.
 */
import { externalStamp } from '../model/version';
import type { FailureRecord, FailureStorePort } from '../ledger/failures';
import type { Checkpoint, CheckpointState } from '../ledger/checkpoints';
import type { LoadedRoute } from '../routes/load';
import type { EntitySetResolver } from '../engine/mapping';
import { applyChunk, type ChangeApplier, type ChunkTally, type InMemoryRescheduler } from './apply';
import { fileIdentity } from './identity';
import { ImportConfigError, parseImportOptions, type ImportOptionsInput } from './options';
import type { ProgressSink } from './progress';
import { readRecords } from './readers';
import { addTally, zeroCounts, type ImportCounts, type ImportReport, type LineProblem } from './report';
import { RecordValidator } from './validate';
import { keyOf } from './keys';
import { externalRecordId, matchRow } from '../routes/filter';

export interface CheckpointStore {
  get<P>(name: string): Promise<Checkpoint<P> | undefined>;
  commit<P>(name: string, state: CheckpointState<P>, expectedEtag?: string): Promise<string>;
}

export interface ImportDeps {
  engine: ChangeApplier;
  held: InMemoryRescheduler;
  checkpoints: CheckpointStore;
  failures: FailureStorePort;
  routes: readonly LoadedRoute[];
  entitySetOf: EntitySetResolver;
  progress?: ProgressSink;
  now?: () => number;
}

export interface ImportPosition {
  /** Every record ending at or before this line is final. */
  line: number;
  /** Epoch ms of the first run: the base of every record's version, stable across resumes. */
  startedAt: number;
  complete: boolean;
}

export class ImportAbortedError extends Error {
  override name = 'ImportAbortedError';
  constructor(
    message: string,
    readonly report: ImportReport,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface Chunk {
  seq: number;
  endLine: number;
  messages: Array<{ body: string; messageId: string; sessionId: string }>;
  lines: Map<string, number>;
  keys: Set<string>;
  /** Invalid records read while filling this chunk (stored with its commit). */
  invalidFailures: FailureRecord[];
  counts: ImportCounts;
  tally?: ChunkTally;
}

/**
 * Record versions (shared/model/version.ts, scale `ext`): the file is a snapshot as of the run's first
 * start, so its records order by that time, then by line; the file's identity tells two runs apart.
 */
export function versionOf(startedAt: number, line: number, fileId = 'import'): string {
  return externalStamp(startedAt, line, fileId);
}

export async function runImport(input: ImportOptionsInput, deps: ImportDeps): Promise<ImportReport> {
  const opts = parseImportOptions(input);
  const now = deps.now ?? Date.now;
  const t0 = now();
  const loaded = deps.routes.find((r) => r.route.name === opts.route);
  if (!loaded) throw new ImportConfigError(`Route "${opts.route}" is not in the routes file (known: ${deps.routes.map((r) => r.route.name).join(', ')}).`);
  const { route } = loaded;
  const validator = new RecordValidator(route, deps.entitySetOf, opts.format === 'csv');
  const identity = await fileIdentity(opts.file);
  const importId = `${route.name}:${identity.id}`;
  const checkpointName = `import|${importId}`;

  const stored = await deps.checkpoints.get<ImportPosition>(checkpointName);
  let etag = stored?.etag;
  const resume = stored && !opts.restart ? stored : undefined;
  const startedAt = resume?.position.startedAt ?? t0;
  const resumedAfterLine = resume?.position.line ?? 0;
  const committed: ImportCounts = { ...zeroCounts(), ...(resume?.counts ?? {}) };
  let committedLine = resumedAfterLine;
  const invalidReported: LineProblem[] = [];
  const failedReported: LineProblem[] = [];
  const filteredReported: LineProblem[] = [];
  const report = (complete: boolean): ImportReport => ({
    file: opts.file,
    route: route.name,
    importId,
    checkpoint: checkpointName,
    resumedAfterLine,
    completedThroughLine: committedLine,
    complete,
    counts: { ...committed },
    invalid: invalidReported,
    failed: failedReported,
    filtered: filteredReported,
    seconds: (now() - t0) / 1000,
  });
  if (resume?.position.complete) return report(true);

  const live = zeroCounts(); // counts of chunks not yet committed
  let bytes = 0;
  const progress = (): void =>
    deps.progress?.update({
      bytes,
      size: identity.size,
      read: committed.read + live.read,
      applied: committed.applied + live.applied,
      invalid: committed.invalid + live.invalid,
      failed: committed.failed + live.failed,
      checkpointLine: committedLine,
    });

  // Commit frontier: chunks finish out of order; the checkpoint covers the longest finished prefix.
  const done = new Map<number, Chunk>();
  let nextToCommit = 0;
  let commitChain: Promise<void> = Promise.resolve();
  const commitFinished = (): Promise<void> => {
    commitChain = commitChain.then(async () => {
      const batch: Chunk[] = [];
      while (done.has(nextToCommit)) {
        batch.push(done.get(nextToCommit) as Chunk);
        done.delete(nextToCommit++);
      }
      if (batch.length === 0) return;
      await deps.failures.record(batch.flatMap((c) => c.invalidFailures));
      const counts = { ...committed };
      for (const c of batch) {
        for (const k of Object.keys(counts) as Array<keyof ImportCounts>) counts[k] += c.counts[k];
        addTally(counts, c.tally as ChunkTally);
      }
      const line = batch[batch.length - 1].endLine;
      etag = await deps.checkpoints.commit<ImportPosition>(checkpointName, { position: { line, startedAt, complete: false }, counts: { ...counts } }, etag);
      Object.assign(committed, counts);
      committedLine = line;
      for (const c of batch) {
        for (const k of Object.keys(live) as Array<keyof ImportCounts>) live[k] -= c.counts[k];
        live.applied -= c.tally?.applied ?? 0;
        live.failed -= c.tally?.failed ?? 0;
      }
    });
    return commitChain;
  };

  // Per-key ordering across chunks in flight, and the concurrency bound.
  const keyOwner = new Map<string, Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  let firstError: unknown;
  let seq = 0;
  const newChunk = (): Chunk => ({ seq: seq++, endLine: 0, messages: [], lines: new Map(), keys: new Set(), invalidFailures: [], counts: zeroCounts() });

  const dispatch = async (chunk: Chunk): Promise<void> => {
    while (inFlight.size >= opts.concurrency) await Promise.race(inFlight);
    const waitFor = [...new Set([...chunk.keys].map((k) => keyOwner.get(k)).filter((p): p is Promise<void> => p !== undefined))];
    const work = (async () => {
      await Promise.all(waitFor.map((p) => p.catch(() => undefined)));
      if (firstError) throw firstError;
      if (chunk.messages.length > 0) {
        chunk.tally = await applyChunk(deps.engine, deps.held, chunk.messages, { retries: opts.chunkRetries, retryDelayMs: opts.chunkRetryDelayMs });
      } else chunk.tally = { applied: 0, skippedUnchanged: 0, alreadyApplied: 0, superseded: 0, failed: 0, failures: [] };
      for (const f of chunk.tally.failures) {
        if (failedReported.length < opts.maxReportedInvalid)
          failedReported.push({ line: chunk.lines.get(baseId(f.messageId)) ?? 0, reason: `${f.reason}: ${f.detail}` });
      }
      live.applied += chunk.tally.applied;
      live.failed += chunk.tally.failed;
      done.set(chunk.seq, chunk);
      await commitFinished();
    })();
    const tracked = work.catch((err) => {
      firstError ??= err;
    });
    for (const k of chunk.keys) keyOwner.set(k, tracked);
    inFlight.add(tracked);
    void tracked.finally(() => {
      inFlight.delete(tracked);
      for (const k of chunk.keys) if (keyOwner.get(k) === tracked) keyOwner.delete(k);
    });
  };

  let chunk = newChunk();
  try {
    for await (const rec of readRecords(opts.file, opts.format)) {
      bytes = rec.bytes || bytes;
      if (rec.endLine <= resumedAfterLine) continue;
      if (firstError) break;
      chunk.counts.read++;
      live.read++;
      chunk.endLine = rec.endLine;
      let problem = rec.error;
      if (!problem) {
        const v = validator.validate(rec.values as Record<string, unknown>, {
          importId,
          line: rec.line,
          version: versionOf(startedAt, rec.line, identity.id),
          receivedAt: new Date(now()).toISOString(),
        });
        const decision = v.ok
          ? matchRow(loaded, { operation: 'upsert', rowId: externalRecordId(route, v.message.values), values: v.message.values })
          : undefined;
        if (v.ok && decision && !decision.matched) {
          chunk.counts.valid++;
          live.valid++;
          chunk.counts.filtered++;
          live.filtered++;
          if (filteredReported.length < opts.maxReportedInvalid) filteredReported.push({ line: rec.line, endLine: rec.endLine, reason: decision.reason });
        } else if (v.ok) {
          chunk.counts.valid++;
          live.valid++;
          const messageId = `import:${importId}:${rec.line}`;
          const key = keyOf(route, v.message, deps.entitySetOf);
          chunk.messages.push({ body: JSON.stringify(v.message), messageId, sessionId: key });
          chunk.lines.set(messageId, rec.line);
          chunk.keys.add(key);
        } else problem = v.reason;
      }
      if (problem) {
        chunk.counts.invalid++;
        live.invalid++;
        if (invalidReported.length < opts.maxReportedInvalid) invalidReported.push({ line: rec.line, endLine: rec.endLine, reason: problem });
        chunk.invalidFailures.push({
          severity: 'error',
          reason: 'InvalidRecord',
          detail: `${opts.file} line ${rec.line}: ${problem}`,
          messageId: `import:${importId}:${rec.line}`,
          route: route.name,
          attempt: 1,
          time: new Date(now()).toISOString(),
          body: JSON.stringify(rec.values ?? null),
        });
      }
      if (chunk.messages.length >= opts.chunkSize) {
        await dispatch(chunk);
        chunk = newChunk();
      }
      progress();
    }
    if (!firstError && chunk.counts.read > 0) await dispatch(chunk);
    while (inFlight.size > 0) await Promise.race(inFlight);
    await commitChain.catch((err) => {
      firstError ??= err;
    });
  } catch (err) {
    firstError ??= err;
    while (inFlight.size > 0) await Promise.race(inFlight);
  }
  if (firstError) {
    deps.progress?.done({
      bytes,
      size: identity.size,
      read: committed.read,
      applied: committed.applied,
      invalid: committed.invalid,
      failed: committed.failed,
      checkpointLine: committedLine,
    });
    const cause = firstError as Error;
    throw new ImportAbortedError(
      `The import stopped: ${cause.message ?? String(cause)}. Everything through line ${committedLine} is applied and checkpointed; run the same command again to resume after it.`,
      report(false),
      { cause },
    );
  }
  etag = await deps.checkpoints.commit<ImportPosition>(
    checkpointName,
    { position: { line: committedLine, startedAt, complete: true }, counts: { ...committed } },
    etag,
  );
  const final = report(true);
  deps.progress?.done({
    bytes: identity.size,
    size: identity.size,
    read: final.counts.read,
    applied: final.counts.applied,
    invalid: final.counts.invalid,
    failed: final.counts.failed,
    checkpointLine: committedLine,
  });
  return final;
}

function baseId(messageId: string): string {
  return messageId.replace(/~\d+$/, '');
}
