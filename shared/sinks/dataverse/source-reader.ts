/**
 * Re-reads source rows (messages marked `reread`) through the environment's user pool: the table's
 * entity set from its metadata, the row by id with lookup annotations, converted to the ChangeMessage
 * value shape. Errors leave as WriteFailure (./failures.ts), as the sink's do.
 */
import { DataverseError } from '../../dataverse/errors';
import { recordPath } from '../../dataverse/keys';
import { LOOKUP_LOGICAL_NAME, webApiSourceRow } from '../../dataverse/source-row';
import type { SourceReadPort } from '../../engine/ports';
import type { SourceRow } from '../../model/source-value';
import type { RunOptions } from '../../throttle/run';
import { dataverseFailure } from './failures';
import { runOptions, type DataverseSinkOptions, type PoolResolver } from './sink';

export class DataverseSourceReader implements SourceReadPort {
  private readonly run: RunOptions;

  constructor(
    private readonly pools: PoolResolver,
    options: DataverseSinkOptions = {},
  ) {
    this.run = runOptions(options);
  }

  async readRow(environment: string, table: string, id: string): Promise<SourceRow | undefined> {
    try {
      return await this.pools(environment).run(
        async (client) => {
          const info = await client.getTableInfo(table);
          try {
            const response = await client.request({
              method: 'GET',
              url: recordPath(info.entitySet, id),
              headers: { Prefer: `odata.include-annotations="${LOOKUP_LOGICAL_NAME}"` },
            });
            // Without the annotation the referenced table is unknown: leave the lookup untouched rather than guess.
            return webApiSourceRow((response.json ?? {}) as Record<string, unknown>, { unannotatedLookup: 'omit' });
          } catch (err) {
            if (err instanceof DataverseError && err.kind === 'notFound') return undefined;
            throw err;
          }
        },
        { ...this.run },
      );
    } catch (err) {
      throw dataverseFailure(err);
    }
  }
}
