/**
 * The Dataverse sink: actions become bulk messages (`<set>/Microsoft.Dynamics.CRM.UpsertMultiple` …), a
 * `$batch` change set, or single PATCH/DELETE requests by alternate key. Every request runs through the
 * environment's throttle user pool (shared/throttle), which paces it on the application user with the
 * most headroom and throws RescheduleError when a wait (429 Retry-After, transient backoff, no free slot)
 * would exceed the time budget, so a worker never sleeps for minutes on a locked message. Errors leave
 * as WriteFailure (./failures.ts).
 */
import type { BatchOperation } from '../../dataverse/batch';
import type { DataverseClient } from '../../dataverse/client';
import { DataverseError } from '../../dataverse/errors';
import { recordPath } from '../../dataverse/keys';
import type { RetryPolicy } from '../../dataverse/retry';
import type { ActionKind, ApplyOptions, Sink, SinkAction, WritePath } from '../../engine/sink';
import type { UserPool } from '../../throttle/pool';
import type { RunOptions } from '../../throttle/run';
import { dataverseFailure } from './failures';

const MODE = { upsert: 'upsert', create: 'createOnly', update: 'updateOnly' } as const;
const BULK_MESSAGE: Record<ActionKind, 'UpsertMultiple' | 'CreateMultiple' | 'UpdateMultiple' | undefined> = {
  upsert: 'UpsertMultiple',
  create: 'CreateMultiple',
  update: 'UpdateMultiple',
  delete: undefined,
};
/** Longest 429/backoff wait a request sleeps before its changes are rescheduled (the message lock is 1 min). */
export const DEFAULT_BUDGET_MS = 30_000;

export type PoolResolver = (environment: string) => UserPool<DataverseClient>;

export interface DataverseSinkOptions {
  /** Longest throttle/backoff wait one request may sleep before it becomes a reschedule (ms). */
  budgetMs?: number;
  /** In-request retries of transient errors (default: shared/dataverse/retry.ts DEFAULT_RETRY_POLICY). */
  retry?: RetryPolicy;
}

export function runOptions(options: DataverseSinkOptions): RunOptions {
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  if (!Number.isFinite(budgetMs) || budgetMs < 0) throw new TypeError(`Dataverse sink option budgetMs must be a number ≥ 0; got ${budgetMs}.`);
  return { budgetMs, ...(options.retry ? { retry: options.retry } : {}) };
}

export class DataverseSink implements Sink {
  private readonly run: RunOptions;

  constructor(
    private readonly pools: PoolResolver,
    options: DataverseSinkOptions = {},
  ) {
    this.run = runOptions(options);
  }

  async apply(environment: string, path: WritePath, actions: readonly SinkAction[], options: ApplyOptions = {}): Promise<void> {
    const run: RunOptions = options.deadline === undefined ? this.run : { ...this.run, deadline: options.deadline };
    try {
      if (path === 'bulk') await this.bulk(environment, actions, run);
      else if (path === 'changeSet') await this.changeSet(environment, actions, run);
      else for (const action of actions) await this.single(environment, action, run);
    } catch (err) {
      throw dataverseFailure(err);
    }
  }

  /** Every user's current lane limit: how many requests the pool keeps in flight. */
  parallelism(environment: string): number {
    return this.pools(environment).lanes.reduce((n, lane) => n + lane.effectiveLimit(), 0);
  }

  private bulk(environment: string, actions: readonly SinkAction[], run: RunOptions): Promise<void> {
    const { entitySet, table, kind } = actions[0];
    const message = BULK_MESSAGE[kind];
    if (!message)
      throw new DataverseError({ kind: 'validation', message: `Dataverse has no bulk message for ${kind}; deletes go in a change set or one by one.` });
    const t = { entitySet, logicalName: table };
    return this.pools(environment).run(
      async (client) => {
        if (message === 'UpsertMultiple')
          await client.upsertMultiple(
            t,
            actions.map((a) => ({ key: a.key, body: a.body })),
          );
        else if (message === 'CreateMultiple')
          await client.createMultiple(
            t,
            actions.map((a) => ({ ...a.key, ...a.body })),
          );
        else
          await client.updateMultiple(
            t,
            actions.map((a) => ({ '@odata.id': recordPath(a.entitySet, a.key), ...a.body })),
          );
      },
      { ...run },
    );
  }

  private changeSet(environment: string, actions: readonly SinkAction[], run: RunOptions): Promise<void> {
    const ops: BatchOperation[] = actions.map((a) => {
      const url = recordPath(a.entitySet, a.key);
      if (a.kind === 'delete') return { method: 'DELETE', url };
      const headers: Record<string, string> = a.kind === 'update' ? { 'If-Match': '*' } : a.kind === 'create' ? { 'If-None-Match': '*' } : {};
      return { method: 'PATCH', url, headers, body: a.body };
    });
    return this.pools(environment).run(
      async (client) => {
        const result = await client.batch([{ changeSet: ops }]);
        const failed = result.outcomes.find((o) => o.state === 'failed' || (o.state === 'rolledBack' && o.error));
        if (failed && 'error' in failed && failed.error) throw failed.error;
        if (result.status >= 400)
          throw new DataverseError({ kind: 'transient', status: result.status, message: `$batch answered ${result.status} without a failed part.` });
      },
      { ...run },
    );
  }

  private single(environment: string, a: SinkAction, run: RunOptions): Promise<void> {
    return this.pools(environment).run(
      async (client) => {
        if (a.kind === 'delete') await client.delete(a.entitySet, a.key);
        else await client.upsert(a.entitySet, a.key, a.body, { mode: MODE[a.kind] });
      },
      { ...run },
    );
  }
}
