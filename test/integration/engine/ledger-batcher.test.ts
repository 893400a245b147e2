/**
 * Ledger group commit on Azurite: concurrent reads and writes share Table Storage calls, each caller
 * gets exactly its own rows, a merged write keeps the highest version per row, and a failure reaches
 * every caller of that round.
 */
import { LedgerBatcher } from '../../../shared/engine/ledger-batcher';
import { RecordLedger } from '../../../shared/ledger/record-ledger';
import { ledgerId, type LedgerKey, type LedgerWrite } from '../../../shared/ledger/types';
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
const entry = (n: number, version: number): LedgerWrite => ({ ...key(n), version: String(version), hashes: { name: `h${n}v${version}` }, deleted: false });

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
    expect(stored.get(ledgerId(key(1)))).toEqual({ version: '9', hashes: { name: 'h1v9' }, deleted: false });
  });

  it('hands a failed round to every caller in it, and still serves later rounds', async () => {
    const down = new RecordLedger({ connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${Buffer.from('k').toString('base64')};TableEndpoint=http://127.0.0.1:${await closedPort()}/devstoreaccount1;`, table: uniqueName('down'), maxRetries: 0 });
    const batched = new LedgerBatcher(down);
    const results = await Promise.allSettled([batched.read([key(1)]), batched.read([key(2)])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    // A later round is still run (and answered), not left waiting behind the failed one.
    await expect(batched.write([entry(3, 1)])).rejects.toThrow();
    await expect(batched.read([key(3)])).rejects.toThrow();
  });
});
