/**
 * Group commit for the record ledger: reads (and writes) that concurrent applyChanges calls make
 * while one is in flight are merged into the next one, so Table Storage sees fewer, fuller partition
 * queries and entity-group transactions (a call of 300 rows over 16 buckets would otherwise fill each
 * 15-key query only half). Every caller gets its own answer or the shared failure; a merged write keeps
 * the highest version per row, so a slower call never regresses what a faster one recorded.
 */
import { ledgerId, type LedgerEntry, type LedgerKey, type LedgerWrite, type RecordLedgerPort } from '../ledger/types';

interface Waiting<I, R> {
  items: readonly I[];
  resolve(result: R): void;
  reject(error: unknown): void;
}

/** Runs at most one `flush` at a time; everything queued meanwhile goes into the next one. */
class GroupCommit<I, R> {
  private queue: Array<Waiting<I, R>> = [];
  private running = false;

  constructor(private readonly flush: (batch: ReadonlyArray<Waiting<I, R>>) => Promise<void>) {}

  submit(items: readonly I[]): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      if (!this.running) this.drain();
    });
  }

  private drain(): void {
    this.running = true;
    // One macrotask lets calls that are ready at the same moment join the same round.
    setImmediate(async () => {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.flush(batch);
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
      if (this.queue.length > 0) this.drain();
      else this.running = false;
    });
  }
}

export class LedgerBatcher implements RecordLedgerPort {
  private readonly reads: GroupCommit<LedgerKey, Map<string, LedgerEntry>>;
  private readonly writes: GroupCommit<LedgerWrite, void>;

  constructor(private readonly inner: RecordLedgerPort) {
    this.reads = new GroupCommit(async (batch) => {
      const unique = new Map<string, LedgerKey>();
      for (const w of batch) for (const k of w.items) unique.set(ledgerId(k), k);
      const found = await this.inner.read([...unique.values()]);
      for (const w of batch) {
        const mine = new Map<string, LedgerEntry>();
        for (const k of w.items) {
          const id = ledgerId(k);
          const e = found.get(id);
          if (e) mine.set(id, e);
        }
        w.resolve(mine);
      }
    });
    this.writes = new GroupCommit(async (batch) => {
      const latest = new Map<string, LedgerWrite>();
      for (const w of batch) {
        for (const e of w.items) {
          const id = ledgerId(e);
          const cur = latest.get(id);
          if (!cur || BigInt(e.version) >= BigInt(cur.version)) latest.set(id, e);
        }
      }
      await this.inner.write([...latest.values()]);
      for (const w of batch) w.resolve();
    });
  }

  read(keys: readonly LedgerKey[]): Promise<Map<string, LedgerEntry>> {
    if (keys.length === 0) return Promise.resolve(new Map());
    return this.reads.submit(keys);
  }

  write(entries: readonly LedgerWrite[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return this.writes.submit(entries);
  }
}
