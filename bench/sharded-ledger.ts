/**
 * The bench's record ledger: the real RecordLedger, spread over several tables by a hash of the row key.
 * Why: Azurite answers a filtered query by scanning every entity of the table (LokiJS), where Table
 * Storage seeks the PartitionKey/RowKey index; with 18,000 ledger rows in one table that emulator
 * artifact, not the engine, would set the pace. Spreading keeps each scan small; one bucket per shard
 * keeps the partition count (and so the number of Table Storage calls) that of the default ledger.
 */
import { createHash } from 'node:crypto';
import { RecordLedger } from '../shared/ledger/record-ledger';
import { ledgerId, type LedgerEntry, type LedgerKey, type LedgerWrite, type RecordLedgerPort } from '../shared/ledger/types';

export class ShardedLedger implements RecordLedgerPort {
  private readonly shards: RecordLedger[];

  constructor(connectionString: string, tablePrefix: string, shards: number) {
    this.shards = Array.from({ length: shards }, (_, i) => new RecordLedger({ connectionString, table: `${tablePrefix}s${i}`, buckets: 1 }));
  }

  /** Table Storage calls made, over all shards. */
  get calls(): number {
    return this.shards.reduce((n, s) => n + s.calls, 0);
  }

  private split<K extends LedgerKey>(keys: readonly K[]): K[][] {
    const out: K[][] = this.shards.map(() => []);
    for (const k of keys) out[createHash('md5').update(ledgerId(k)).digest().readUInt32BE(0) % this.shards.length].push(k);
    return out;
  }

  async read(keys: readonly LedgerKey[]): Promise<Map<string, LedgerEntry>> {
    const parts = await Promise.all(this.split(keys).map((ks, i) => (ks.length ? this.shards[i].read(ks) : new Map<string, LedgerEntry>())));
    return new Map(parts.flatMap((m) => [...m]));
  }

  async write(entries: readonly LedgerWrite[]): Promise<void> {
    await Promise.all(this.split(entries).map((es, i) => (es.length ? this.shards[i].write(es) : undefined)));
  }
}
