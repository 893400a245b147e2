/**
 * The record ledger in Azure Table Storage: per target row the last applied source version and a hash
 * per written column. PartitionKey = `<env>|<table>|<bucket>` (a hash bucket spreads a hot table over
 * several partitions), RowKey = the encoded target key.
 *
 * Reads: one partition query per ≤15 RowKeys (Table Storage allows 15 comparisons per filter), run in
 * parallel with a bound. Writes: entity-group transactions, ≤100 entities and <4 MiB per transaction,
 * same partition only.
 */
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { mapBounded } from '../util/bounded';
import { bucketOf, encodeTableKey } from './table-keys';
import { LEDGER_TABLE, openTable } from './tables';
import { ledgerId, type LedgerEntry, type LedgerKey, type LedgerWrite, type RecordLedgerPort } from './types';

export interface RecordLedgerOptions {
  connectionString: string;
  table?: string;
  /** Partitions per (environment, table); more spreads load, fewer packs transactions fuller. */
  buckets?: number;
  /** Parallel Table Storage calls per read or write. */
  concurrency?: number;
  /** SDK retries per call (default: the SDK's). A failed write is retried by redelivery anyway. */
  maxRetries?: number;
}

/** Table Storage limits for one entity-group transaction. */
export const MAX_TRANSACTION_OPERATIONS = 100;
const MAX_TRANSACTION_BYTES = 3.5 * 1024 * 1024; // under the 4 MiB payload limit, leaving room for multipart framing
const ROWKEYS_PER_QUERY = 15;

type LedgerEntity = {
  partitionKey: string;
  rowKey: string;
  environment: string;
  targetTable: string;
  targetKey: string;
  version: string;
  hashes: string;
  /** JSON of LedgerEntry.columnVersions, absent when empty. */
  columnVersions?: string;
  deleted: boolean;
  appliedAt: string;
};

export class RecordLedger implements RecordLedgerPort {
  private readonly client: TableClient;
  private readonly ready: Promise<void>;
  private readonly buckets: number;
  private readonly concurrency: number;
  /** Number of Table Storage calls made (reads + transactions): lets tests and benches prove batching. */
  calls = 0;

  constructor(options: RecordLedgerOptions) {
    const table = options.table ?? LEDGER_TABLE;
    ({ client: this.client, ready: this.ready } = openTable(options.connectionString, table, options.maxRetries));
    this.buckets = options.buckets ?? 16;
    this.concurrency = options.concurrency ?? 8;
  }

  partitionOf(k: LedgerKey): string {
    return encodeTableKey(`${k.environment}|${k.table}|${bucketOf(k.key, this.buckets)}`);
  }

  async read(keys: readonly LedgerKey[]): Promise<Map<string, LedgerEntry>> {
    await this.ready;
    const byPartition = new Map<string, Map<string, LedgerKey>>();
    for (const k of keys) {
      const pk = this.partitionOf(k);
      const rows = byPartition.get(pk) ?? new Map<string, LedgerKey>();
      rows.set(encodeTableKey(k.key), k);
      byPartition.set(pk, rows);
    }
    const queries: Array<{ pk: string; rowKeys: string[] }> = [];
    for (const [pk, rows] of byPartition) {
      const all = [...rows.keys()];
      for (let i = 0; i < all.length; i += ROWKEYS_PER_QUERY) queries.push({ pk, rowKeys: all.slice(i, i + ROWKEYS_PER_QUERY) });
    }
    const found = new Map<string, LedgerEntry>();
    await mapBounded(queries, this.concurrency, async ({ pk, rowKeys }) => {
      this.calls++;
      const rowFilter = rowKeys.map((rk) => odata`RowKey eq ${rk}`).join(' or ');
      const filter = `${odata`PartitionKey eq ${pk}`} and (${rowFilter})`;
      for await (const e of this.client.listEntities<LedgerEntity>({ queryOptions: { filter } })) {
        // The stored original key (not the RowKey) is the identity: hashed RowKeys could in theory collide.
        const k = { environment: e.environment, table: e.targetTable, key: e.targetKey };
        if (!byPartition.get(pk)?.has(e.rowKey)) continue;
        const entry: LedgerEntry = { version: e.version, hashes: JSON.parse(e.hashes) as Record<string, string>, deleted: e.deleted };
        if (e.columnVersions) entry.columnVersions = JSON.parse(e.columnVersions) as Record<string, string>;
        found.set(ledgerId(k), entry);
      }
    });
    return found;
  }

  async write(entries: readonly LedgerWrite[]): Promise<void> {
    if (entries.length === 0) return;
    await this.ready;
    // Each entity may appear once per transaction: the last write for a key wins.
    const latest = new Map<string, LedgerWrite>();
    for (const e of entries) latest.set(ledgerId(e), e);
    const byPartition = new Map<string, LedgerEntity[]>();
    const appliedAt = new Date().toISOString();
    for (const e of latest.values()) {
      const pk = this.partitionOf(e);
      const entity: LedgerEntity = {
        partitionKey: pk,
        rowKey: encodeTableKey(e.key),
        environment: e.environment,
        targetTable: e.table,
        targetKey: e.key,
        version: e.version,
        hashes: JSON.stringify(e.hashes),
        deleted: e.deleted,
        appliedAt,
      };
      if (e.columnVersions && Object.keys(e.columnVersions).length > 0) entity.columnVersions = JSON.stringify(e.columnVersions);
      byPartition.set(pk, [...(byPartition.get(pk) ?? []), entity]);
    }
    const transactions: TransactionAction[][] = [];
    for (const entities of byPartition.values()) {
      let current: TransactionAction[] = [];
      let bytes = 0;
      for (const entity of entities) {
        const size = Buffer.byteLength(JSON.stringify(entity), 'utf8') + 512;
        if (current.length === MAX_TRANSACTION_OPERATIONS || (current.length > 0 && bytes + size > MAX_TRANSACTION_BYTES)) {
          transactions.push(current);
          current = [];
          bytes = 0;
        }
        current.push(['upsert', entity, 'Replace']);
        bytes += size;
      }
      if (current.length > 0) transactions.push(current);
    }
    await mapBounded(transactions, this.concurrency, async (actions) => {
      this.calls++;
      await this.client.submitTransaction(actions);
    });
  }
}
