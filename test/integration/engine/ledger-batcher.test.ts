/**
 * Ledger group commit on Azurite: concurrent reads and writes share Table Storage calls, each caller
 * gets exactly its own rows, a merged write keeps the highest version per row, and a failure reaches
 * every caller of that round.
 */
import { LedgerBatcher } from '../../../shared/engine/ledger-batcher';
import { RecordLedger } from '../../../shared/ledger/record-ledger';
import { ledgerId, type LedgerEntry, type LedgerKey, type LedgerWrite, type RecordLedgerPort } from '../../../shared/ledger/types';
import { startAzurite, type TestAzurite } from '../../helpers/azurite';
import { closedPort, uniqueName } from './harness';

let azurite: TestAzurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.close();
});

const key = (n: number): LedgerKey => ({ environment: 'target', table: 'account', key: `accountnumber='K${n}'` });
const entry = (n: number, version: number): LedgerWrite => ({
  ...key(n),
  version: `dv|source|account|r${n}#rv=${version}`,
  hashes: { name: `h${n}v${version}` },
  deleted: false,
});

describe('LedgerBatcher', () => {
  it('merges concurrent reads and writes into fewer Table Storage calls, each caller getting its own rows', async () => {
    const direct = new RecordLedger({ connectionString: azurite.connectionString, table: uniqueName('direct') });
    const inner = new RecordLedger({ connectionString: azurite.connectionString, table: uniqueName('batched') });
    const batched = new LedgerBatcher(inner);
    const groups = Array.from({ length: 8 }, (_, g) => Array.from({ length: 30 }, (_, i) => g * 30 + i));
    await Promise.all(groups.map((g) => direct.write(g.map((n) => entry(n, 1)))));
    await Promise.all(groups.map((g) => batched.write(g.map((n) => entry(n, 1)))));
    expect(inner.calls).toBeLessThan(direct.calls);

    direct.calls = 0;
    inner.calls = 0;
    // Each caller asks for its own 30 stored rows and 5 that were never written.
    const ask = (g: number[]) => [...g.map(key), ...[0, 1, 2, 3, 4].map((i) => key(10_000 + g[0] + i))];
    const viaDirect = await Promise.all(groups.map((g) => direct.read(ask(g))));
    const viaBatcher = await Promise.all(groups.map((g) => batched.read(ask(g))));
    expect(inner.calls).toBeLessThan(direct.calls);
    groups.forEach((g, i) => {
      expect([...viaBatcher[i].keys()].sort()).toEqual(g.map((n) => ledgerId(key(n))).sort());
      expect(viaBatcher[i]).toEqual(viaDirect[i]);
    });
  });

  it('keeps the highest version when concurrent calls write the same row', async () => {
    const inner = new RecordLedger({ connectionString: azurite.connectionString, table: uniqueName('versions') });
    const batched = new LedgerBatcher(inner);
    await Promise.all([batched.write([entry(1, 7)]), batched.write([entry(1, 9)]), batched.write([entry(1, 8)])]);
    const stored = await inner.read([key(1)]);
    expect(stored.get(ledgerId(key(1)))).toEqual({ version: 'dv|source|account|r1#rv=9', hashes: { name: 'h1v9' }, deleted: false });
  });

  it('hands a failed round to every caller in it, and still serves later rounds', async () => {
    const down = new RecordLedger({
      connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${Buffer.from('k').toString('base64')};TableEndpoint=http://127.0.0.1:${await closedPort()}/devstoreaccount1;`,
      table: uniqueName('down'),
      maxRetries: 0,
    });
    const batched = new LedgerBatcher(down);
    const results = await Promise.allSettled([batched.read([key(1)]), batched.read([key(2)])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    // A later round is still run (and answered), not left waiting behind the failed one.
    await expect(batched.write([entry(3, 1)])).rejects.toThrow();
    await expect(batched.read([key(3)])).rejects.toThrow();
  });

  it('runs bounded rounds side by side and never two writes of one row at once', async () => {
    const watched = new WatchedLedger(new RecordLedger({ connectionString: azurite.connectionString, table: uniqueName('rounds') }));
    const batched = new LedgerBatcher(watched, { roundsInFlight: 2, keysPerRound: 30 });
    // 10 callers of 30 rows, one caller per round; callers 2k and 2k+1 write the same rows (version = caller).
    const rows = (c: number) => Array.from({ length: 30 }, (_, i) => Math.floor(c / 2) * 30 + i);
    await Promise.all(Array.from({ length: 10 }, (_, c) => batched.write(rows(c).map((n) => entry(n, c)))));
    expect(watched.maxWritesInFlight).toBe(2);
    expect(Math.max(...watched.writeSizes)).toBe(30);
    expect(watched.overlappingRows).toEqual([]);
    // Every row ends at the later caller's version: per-row order kept across rounds.
    const stored = await batched.read(Array.from({ length: 150 }, (_, n) => key(n)));
    expect(stored.size).toBe(150);
    for (let n = 0; n < 150; n++) expect(stored.get(ledgerId(key(n)))?.version).toBe(`dv|source|account|r${n}#rv=${Math.floor(n / 30) * 2 + 1}`);

    watched.readSizes = [];
    watched.maxReadsInFlight = 0;
    // Reads: 8 callers of 20 keys (rows 0-159, 150 stored), 2 rounds of ≤ 30 keys in flight, each caller its own rows.
    const answers = await Promise.all(Array.from({ length: 8 }, (_, c) => batched.read(Array.from({ length: 20 }, (_, i) => key(c * 20 + i)))));
    expect(watched.maxReadsInFlight).toBe(2);
    expect(Math.max(...watched.readSizes)).toBeLessThanOrEqual(30);
    expect(answers.map((m) => m.size)).toEqual([20, 20, 20, 20, 20, 20, 20, 10]);
    expect([...answers[3].keys()]).toEqual(Array.from({ length: 20 }, (_, i) => ledgerId(key(60 + i))));
  });

  it('refuses options that are not positive integers', () => {
    const inner = new RecordLedger({ connectionString: azurite.connectionString, table: uniqueName('opts') });
    expect(() => new LedgerBatcher(inner, { roundsInFlight: 0 })).toThrow('LedgerBatcher option roundsInFlight must be an integer ≥ 1; got 0.');
    expect(() => new LedgerBatcher(inner, { keysPerRound: 1.5 })).toThrow('LedgerBatcher option keysPerRound must be an integer ≥ 1; got 1.5.');
  });
});

/** The real ledger, observed: rounds in flight, their sizes, and rows written by two rounds at once. */
class WatchedLedger implements RecordLedgerPort {
  readsInFlight = 0;
  maxReadsInFlight = 0;
  writesInFlight = 0;
  maxWritesInFlight = 0;
  readSizes: number[] = [];
  writeSizes: number[] = [];
  overlappingRows: string[] = [];
  private readonly rowsBeingWritten = new Set<string>();

  constructor(private readonly inner: RecordLedgerPort) {}

  async read(keys: readonly LedgerKey[]): Promise<Map<string, LedgerEntry>> {
    this.readSizes.push(keys.length);
    this.maxReadsInFlight = Math.max(this.maxReadsInFlight, ++this.readsInFlight);
    try {
      return await this.inner.read(keys);
    } finally {
      this.readsInFlight--;
    }
  }

  async write(entries: readonly LedgerWrite[]): Promise<void> {
    this.writeSizes.push(entries.length);
    this.maxWritesInFlight = Math.max(this.maxWritesInFlight, ++this.writesInFlight);
    const ids = entries.map(ledgerId);
    for (const id of ids) {
      if (this.rowsBeingWritten.has(id)) this.overlappingRows.push(id);
      this.rowsBeingWritten.add(id);
    }
    try {
      await this.inner.write(entries);
    } finally {
      for (const id of ids) this.rowsBeingWritten.delete(id);
      this.writesInFlight--;
    }
  }
}
