/**
 * The `failures` table: one row per change that could not be applied (or was applied with a warning),
 * with what an operator needs to understand and replay it. PartitionKey = route (or `(unparsed)`),
 * RowKey = inverted time + message id, so a partition lists newest first.
 */
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { mapBounded } from '../util/bounded';
import { MAX_TRANSACTION_OPERATIONS } from './record-ledger';
import { encodeTableKey } from './table-keys';
import { FAILURES_TABLE, openTable } from './tables';

export interface FailureRecord {
  severity: 'error' | 'warning';
  /** Machine-readable reason: InvalidMessage, UnknownRoute, MappingError, MissingParent, DataverseError, RetriesExhausted, … */
  reason: string;
  /** Human-readable explanation (what was wrong, where, what to do). */
  detail: string;
  messageId: string;
  route?: string;
  environment?: string;
  table?: string;
  targetKey?: string;
  sourceId?: string;
  version?: string;
  /** Dataverse error, when the failure came from Dataverse. */
  status?: number;
  code?: string;
  kind?: string;
  attempt: number;
  time: string;
  /** The message body as received (truncated to fit Table Storage), for replay. */
  body: string;
}

/** Table Storage strings hold 64 KiB of UTF-16 (32K chars); keep well under with other properties. */
export const MAX_STORED_BODY_CHARS = 30_000;
const UNPARSED_PARTITION = '(unparsed)';

export interface FailureStorePort {
  record(failures: readonly FailureRecord[]): Promise<void>;
}

export function truncateBody(body: string): string {
  return body.length <= MAX_STORED_BODY_CHARS ? body : `${body.slice(0, MAX_STORED_BODY_CHARS)}…[truncated ${body.length - MAX_STORED_BODY_CHARS} chars]`;
}

let sequence = 0;

export class FailureStore implements FailureStorePort {
  private readonly client: TableClient;
  private readonly ready: Promise<void>;

  constructor(options: { connectionString: string; table?: string }) {
    const table = options.table ?? FAILURES_TABLE;
    ({ client: this.client, ready: this.ready } = openTable(options.connectionString, table));
  }

  async record(failures: readonly FailureRecord[]): Promise<void> {
    if (failures.length === 0) return;
    await this.ready;
    const byPartition = new Map<string, TransactionAction[]>();
    for (const f of failures) {
      const pk = encodeTableKey(f.route ?? UNPARSED_PARTITION);
      const inverted = (8_640_000_000_000_000 - Date.parse(f.time)).toString().padStart(16, '0');
      const rk = encodeTableKey(`${inverted}_${(sequence++ % 1e6).toString().padStart(6, '0')}_${f.messageId}`);
      const entity = { partitionKey: pk, rowKey: rk, ...withoutUndefined({ ...f, body: truncateBody(f.body) }) };
      byPartition.set(pk, [...(byPartition.get(pk) ?? []), ['upsert', entity, 'Replace']]);
    }
    const chunks: TransactionAction[][] = [];
    for (const actions of byPartition.values()) {
      for (let i = 0; i < actions.length; i += MAX_TRANSACTION_OPERATIONS) chunks.push(actions.slice(i, i + MAX_TRANSACTION_OPERATIONS));
    }
    await mapBounded(chunks, 4, (actions) => this.client.submitTransaction(actions));
  }

  /** Newest first, for the operator CLI and tests. */
  async list(route?: string): Promise<Array<FailureRecord & { rowKey: string }>> {
    await this.ready;
    const filter = route === undefined ? undefined : `PartitionKey eq '${encodeTableKey(route).replace(/'/g, "''")}'`;
    const out: Array<FailureRecord & { rowKey: string }> = [];
    for await (const e of this.client.listEntities<FailureRecord>({ queryOptions: { filter } })) out.push(e as FailureRecord & { rowKey: string });
    return out;
  }
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
