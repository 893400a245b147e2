/**
 * Binds the engine's DataverseWritePort to the Dataverse client (shared/dataverse) and the throttle
 * user pools (shared/throttle): every request runs through `pool.run`, which paces it on the
 * application user with the most headroom and throws RescheduleError when the wait exceeds the budget.
 */
import type { DataverseClient } from '../dataverse/client';
import { DataverseError } from '../dataverse/errors';
import type { BatchOperation } from '../dataverse/batch';
import { recordPath } from '../dataverse/keys';
import type { UserPool } from '../throttle/pool';
import type { BulkMessage, DataverseWritePort, TargetWrite } from './ports';

const MODE = { upsert: 'upsert', create: 'createOnly', update: 'updateOnly' } as const;

export class DataverseWriteAdapter implements DataverseWritePort {
  constructor(private readonly pools: (environment: string) => UserPool<DataverseClient>) {}

  writeMultiple(environment: string, message: BulkMessage, writes: readonly TargetWrite[]): Promise<void> {
    const { entitySet, table } = writes[0];
    const t = { entitySet, logicalName: table };
    return this.pools(environment).run(async (client) => {
      if (message === 'UpsertMultiple') await client.upsertMultiple(t, writes.map((w) => ({ key: w.key, body: w.body })));
      else if (message === 'CreateMultiple') await client.createMultiple(t, writes.map((w) => ({ ...w.key, ...w.body })));
      else await client.updateMultiple(t, writes.map((w) => ({ '@odata.id': recordPath(w.entitySet, w.key), ...w.body })));
    });
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
    });
  }

  writeOne(environment: string, w: TargetWrite): Promise<void> {
    return this.pools(environment).run(async (client) => {
      if (w.kind === 'delete') await client.delete(w.entitySet, w.key);
      else await client.upsert(w.entitySet, w.key, w.body, { mode: MODE[w.kind] });
    });
  }
}
