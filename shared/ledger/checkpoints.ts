/**
 * Checkpoints for long loads (import, incremental sync): `get(name)` and `commit(name, …)` with
 * optimistic concurrency. A commit must present the ETag it read (or none for the first commit), so two
 * runners of one load can never both advance it: the loser gets CheckpointConflictError and must re-read.
 */
import { RestError, type TableClient } from '@azure/data-tables';
import { encodeTableKey } from './table-keys';
import { CHECKPOINTS_TABLE, openTable } from './tables';

export interface CheckpointState<P = unknown> {
  /** Where the load has got to (file line, page cookie, delta token…); JSON-serialisable. */
  position: P;
  /** Running totals (read, applied, failed…). */
  counts: Record<string, number>;
}

export interface Checkpoint<P = unknown> extends CheckpointState<P> {
  etag: string;
  updatedAt: string;
}

export class CheckpointConflictError extends Error {
  override name = 'CheckpointConflictError';
  readonly retryable = false;
  constructor(readonly checkpoint: string) {
    super(
      `Checkpoint "${checkpoint}" was changed by another runner since it was read (ETag mismatch). ` +
        'Re-read it with get() and resume from the stored position; do not overwrite it.',
    );
  }
}

/** Table Storage strings hold at most 32K UTF-16 characters. */
const MAX_POSITION_CHARS = 32_000;
const PARTITION = 'checkpoint';

interface CheckpointEntity {
  partitionKey: string;
  rowKey: string;
  name: string;
  position: string;
  counts: string;
  updatedAt: string;
}

export class Checkpoints {
  private readonly client: TableClient;
  private readonly ready: Promise<void>;

  constructor(options: { connectionString: string; table?: string }) {
    const table = options.table ?? CHECKPOINTS_TABLE;
    ({ client: this.client, ready: this.ready } = openTable(options.connectionString, table));
  }

  async get<P = unknown>(name: string): Promise<Checkpoint<P> | undefined> {
    await this.ready;
    try {
      const e = await this.client.getEntity<CheckpointEntity>(PARTITION, encodeTableKey(name));
      return { position: JSON.parse(e.position) as P, counts: JSON.parse(e.counts) as Record<string, number>, etag: e.etag, updatedAt: e.updatedAt };
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  /**
   * Stores the new state. `expectedEtag` is the ETag from get(); omit it only for the very first commit
   * of a checkpoint (then it fails if someone else created it meanwhile). Returns the new ETag.
   */
  async commit<P>(name: string, state: CheckpointState<P>, expectedEtag?: string): Promise<string> {
    await this.ready;
    const position = JSON.stringify(state.position);
    if (position === undefined) throw new TypeError(`Checkpoint "${name}": position must be JSON-serialisable (got ${typeof state.position}).`);
    if (position.length > MAX_POSITION_CHARS) {
      throw new RangeError(
        `Checkpoint "${name}": position is ${position.length} characters serialised; the limit is ${MAX_POSITION_CHARS}. Store a smaller cursor.`,
      );
    }
    const entity: CheckpointEntity = {
      partitionKey: PARTITION,
      rowKey: encodeTableKey(name),
      name,
      position,
      counts: JSON.stringify(state.counts),
      updatedAt: new Date().toISOString(),
    };
    try {
      const res =
        expectedEtag === undefined ? await this.client.createEntity(entity) : await this.client.updateEntity(entity, 'Replace', { etag: expectedEtag });
      if (!res.etag) throw new Error(`Checkpoint "${name}": Table Storage returned no ETag for the commit.`);
      return res.etag;
    } catch (err) {
      if (err instanceof RestError && (err.statusCode === 412 || err.statusCode === 409)) throw new CheckpointConflictError(name);
      throw err;
    }
  }
}
