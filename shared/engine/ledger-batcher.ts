/**
 * Group commit for the record ledger: reads (and writes) that concurrent applyChanges calls make
 * while rounds are in flight are merged into the next round, so Table Storage sees fewer, fuller
 * partition queries and entity-group transactions (a call of 300 rows over 16 buckets would otherwise
 * fill each 15-key query only half). Every caller gets its own answer or its round's failure.
 *
 * Rounds are bounded (keys per round) and a few run side by side, taken in arrival order: one round of
 * everything queued made the first caller wait for the last one's rows (measured: 60 calls × 150 keys
 * at start-up kept every throttle lane idle for ~1 s), and one round at a time queued all ledger I/O
 * behind a single Table Storage round-trip.
 *
 * Writes keep per-row order: a caller whose rows are in a running round (or in an earlier caller still
 * waiting) waits for a later round, so two rounds in flight never write the same row and a slower call
 * never overtakes a faster one on a row. Inside a round the newest entry per row is written (the later
 * caller's, unless its version is comparably older).
 */
import { compareVersions, parseVersion } from '../model/version';
import { ledgerId, type LedgerEntry, type LedgerKey, type LedgerWrite, type RecordLedgerPort } from '../ledger/types';

export interface LedgerBatcherOptions {
  /** Rounds of reads (and, separately, of writes) in flight at once. */
  roundsInFlight?: number;
  /** A round takes waiting callers in order until it holds this many keys (always at least one caller). */
  keysPerRound?: number;
}

/** Measured on bench engine-x4 (64 calls of 150 rows): 4 calls per round, 2 rounds side by side start the first write ~0.6 s sooner than one round of everything. */
export const LEDGER_BATCHER_DEFAULTS: Required<LedgerBatcherOptions> = { roundsInFlight: 2, keysPerRound: 600 };

interface Waiting<I, R> {
  items: readonly I[];
  ids: readonly string[];
  resolve(result: R): void;
  reject(error: unknown): void;
}

type Flush<I, R> = (batch: ReadonlyArray<Waiting<I, R>>) => Promise<void>;

/** Runs up to `roundsInFlight` flushes at a time, each over the callers queued first. */
class GroupCommit<I extends LedgerKey, R> {
  private queue: Array<Waiting<I, R>> = [];
  private running = 0;
  private scheduled = false;
  /** Rows in running rounds, when rounds must not share rows (writes). */
  private readonly busyRows = new Set<string>();

  constructor(
    private readonly flush: Flush<I, R>,
    private readonly limits: Required<LedgerBatcherOptions>,
    private readonly exclusiveRows: boolean,
  ) {}

  submit(items: readonly I[]): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ items, ids: this.exclusiveRows ? items.map(ledgerId) : [], resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.limits.roundsInFlight) return;
    this.scheduled = true;
    // One macrotask lets calls that are ready at the same moment join the same round.
    setImmediate(() => {
      this.scheduled = false;
      while (this.running < this.limits.roundsInFlight && this.startRound());
    });
  }

  /** Starts one round from the head of the queue; false when nothing could start. */
  private startRound(): boolean {
    const batch: Array<Waiting<I, R>> = [];
    const rest: Array<Waiting<I, R>> = [];
    // Rows of running rounds and of callers left waiting: a later caller touching one must wait too.
    const blocked = new Set(this.busyRows);
    let keys = 0;
    for (const w of this.queue) {
      const full = batch.length > 0 && keys + w.items.length > this.limits.keysPerRound;
      if (full || w.ids.some((id) => blocked.has(id))) {
        rest.push(w);
        for (const id of w.ids) blocked.add(id);
        continue;
      }
      batch.push(w);
      keys += w.items.length;
    }
    if (batch.length === 0) return false;
    this.queue = rest;
    const rows = batch.flatMap((w) => w.ids);
    for (const id of rows) this.busyRows.add(id);
    this.running++;
    void this.flush(batch)
      .catch((error: unknown) => {
        for (const w of batch) w.reject(error);
      })
      .finally(() => {
        for (const id of rows) this.busyRows.delete(id);
        this.running--;
        if (this.queue.length > 0) this.schedule();
      });
    return true;
  }
}

export class LedgerBatcher implements RecordLedgerPort {
  private readonly reads: GroupCommit<LedgerKey, Map<string, LedgerEntry>>;
  private readonly writes: GroupCommit<LedgerWrite, void>;

  constructor(
    private readonly inner: RecordLedgerPort,
    options: LedgerBatcherOptions = {},
  ) {
    const limits = { ...LEDGER_BATCHER_DEFAULTS, ...options };
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isInteger(value) || value < 1) throw new TypeError(`LedgerBatcher option ${name} must be an integer ≥ 1; got ${value}.`);
    }
    this.reads = new GroupCommit(
      async (batch) => {
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
      },
      limits,
      false,
    );
    this.writes = new GroupCommit(
      async (batch) => {
        const latest = new Map<string, LedgerWrite>();
        for (const w of batch) {
          for (const e of w.items) {
            const id = ledgerId(e);
            const cur = latest.get(id);
            // The later caller's entry wins unless its version is comparably older (shared/model/version.ts).
            if (!cur || compareVersions(parseVersion(e.version), parseVersion(cur.version)) !== 'older') latest.set(id, e);
          }
        }
        await this.inner.write([...latest.values()]);
        for (const w of batch) w.resolve();
      },
      limits,
      true,
    );
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
