/**
 * Binds the engine's DataverseWritePort (and SourceReadPort) to the Dataverse client (shared/dataverse)
 * and the throttle user pools (shared/throttle): every request runs through `pool.run`, which paces it
 * on the application user with the most headroom and throws RescheduleError when a wait (429
 * Retry-After, transient backoff, no free slot) would exceed the time budget, so a worker never sleeps
 * for minutes on a locked message.
 */
import type { DataverseClient } from '../dataverse/client';
import { DataverseError } from '../dataverse/errors';
import type { BatchOperation } from '../dataverse/batch';
import { recordPath } from '../dataverse/keys';
import { LOOKUP_LOGICAL_NAME, webApiSourceRow } from '../dataverse/source-row';
import type { UserPool } from '../throttle/pool';
import type { RetryPolicy } from '../dataverse/retry';
import type { RunOptions } from '../throttle/run';
import { DEFAULTS } from './options';
import type { BulkMessage, DataverseWritePort, SourceReadPort, SourceRow, TargetWrite } from './ports';

const MODE = { upsert: 'upsert', create: 'createOnly', update: 'updateOnly' } as const;

export type PoolResolver = (environment: string) => UserPool<DataverseClient>;

export interface AdapterOptions {
  /** Longest throttle/backoff wait one request may sleep before it becomes a RescheduleError (ms). */
  budgetMs?: number;
  /** In-request retries of transient errors (default: shared/dataverse/retry.ts DEFAULT_RETRY_POLICY). */
  retry?: RetryPolicy;
}

function runOptions(options: AdapterOptions): RunOptions {
  const budgetMs = options.budgetMs ?? DEFAULTS.throttleBudgetMs;
  if (!Number.isFinite(budgetMs) || budgetMs < 0) throw new TypeError(`Adapter option budgetMs must be a number ≥ 0; got ${budgetMs}.`);
  return { budgetMs, ...(options.retry ? { retry: options.retry } : {}) };
}

export class DataverseWriteAdapter implements DataverseWritePort {
  private readonly run: RunOptions;

  constructor(private readonly pools: PoolResolver, options: AdapterOptions = {}) {
    this.run = runOptions(options);
  }

  writeMultiple(environment: string, message: BulkMessage, writes: readonly TargetWrite[]): Promise<void> {
    const { entitySet, table } = writes[0];
    const t = { entitySet, logicalName: table };
    return this.pools(environment).run(async (client) => {
      if (message === 'UpsertMultiple') await client.upsertMultiple(t, writes.map((w) => ({ key: w.key, body: w.body })));
      else if (message === 'CreateMultiple') await client.createMultiple(t, writes.map((w) => ({ ...w.key, ...w.body })));
      else await client.updateMultiple(t, writes.map((w) => ({ '@odata.id': recordPath(w.entitySet, w.key), ...w.body })));
    }, { ...this.run });
  }

  writeChangeSet(environment: string, writes: readonly TargetWrite[]): Promise<void> {
    const ops: BatchOperation[] = writes.map((w) => {
      const url = recordPath(w.entitySet, w.key);
      if (w.kind === 'delete') return { method: 'DELETE', url };
      const headers: Record<string, string> = w.kind === 'update' ? { 'If-Match': '*' } : w.kind === 'create' ? { 'If-None-Match': '*' } : {};
      return { method: 'PATCH', url, headers, body: w.body };
    });
    return this.pools(environment).run(async (client) => {
      const result = await client.batch([{ changeSet: ops }]);
      const failed = result.outcomes.find((o) => o.state === 'failed' || (o.state === 'rolledBack' && o.error));
      if (failed && 'error' in failed && failed.error) throw failed.error;
      if (result.status >= 400) throw new DataverseError({ kind: 'transient', status: result.status, message: `$batch answered ${result.status} without a failed part.` });
    }, { ...this.run });
  }

  /** Every user's current lane limit: how many requests the pool keeps in flight. */
  parallelism(environment: string): number {
    return this.pools(environment).lanes.reduce((n, lane) => n + lane.effectiveLimit(), 0);
  }

  writeOne(environment: string, w: TargetWrite): Promise<void> {
    return this.pools(environment).run(async (client) => {
      if (w.kind === 'delete') await client.delete(w.entitySet, w.key);
      else await client.upsert(w.entitySet, w.key, w.body, { mode: MODE[w.kind] });
    }, { ...this.run });
  }
}

/**
 * Re-reads source rows (messages marked `reread`) through the same pools: the table's entity set from
 * its metadata, the row by id with lookup annotations, converted to the ChangeMessage value shape.
 */
export class DataverseSourceReader implements SourceReadPort {
  private readonly run: RunOptions;

  constructor(private readonly pools: PoolResolver, options: AdapterOptions = {}) {
    this.run = runOptions(options);
  }

  readRow(environment: string, table: string, id: string): Promise<SourceRow | undefined> {
    return this.pools(environment).run(async (client) => {
      const info = await client.getTableInfo(table);
      try {
        const response = await client.request({ method: 'GET', url: recordPath(info.entitySet, id), headers: { Prefer: `odata.include-annotations="${LOOKUP_LOGICAL_NAME}"` } });
        // Without the annotation the referenced table is unknown: leave the lookup untouched rather than guess.
        return webApiSourceRow((response.json ?? {}) as Record<string, unknown>, { unannotatedLookup: 'omit' });
      } catch (err) {
        if (err instanceof DataverseError && err.kind === 'notFound') return undefined;
        throw err;
      }
    }, { ...this.run });
  }
}
