import { startAzurite, type TestAzurite } from '../../helpers/azurite';
import { RecordLedger } from '../../../shared/ledger/record-ledger';
import { Checkpoints, CheckpointConflictError } from '../../../shared/ledger/checkpoints';
import { FailureStore, MAX_STORED_BODY_CHARS } from '../../../shared/ledger/failures';
import { ledgerId } from '../../../shared/ledger/types';

let azurite: TestAzurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.close();
});

let n = 0;
const uniqueTable = (base: string) => `${base}${Date.now() % 100000}${n++}`;

describe('RecordLedger against Azurite', () => {
  it('writes 250 rows of one partition as three entity-group transactions (≤100 each) and reads them back in few calls', async () => {
    const ledger = new RecordLedger({ connectionString: azurite.connectionString, table: uniqueTable('ledger'), buckets: 1 });
    const entries = Array.from({ length: 250 }, (_, i) => ({
      environment: 'target',
      table: 'account',
      key: `accountnumber='A-${i}'`,
      version: String(1000 + i),
      hashes: { name: `h${i}` },
      deleted: false,
    }));
    await ledger.write(entries);
    expect(ledger.calls).toBe(3);
    ledger.calls = 0;
    const read = await ledger.read(entries.map(({ environment, table, key }) => ({ environment, table, key })));
    expect(read.size).toBe(250);
    expect(ledger.calls).toBe(Math.ceil(250 / 15));
    expect(read.get(ledgerId(entries[42]))).toEqual({ version: '1042', hashes: { name: 'h42' }, deleted: false });
  });

  it('stores keys with characters Table Storage forbids (/ \\ # ? and control chars) and very long keys', async () => {
    const ledger = new RecordLedger({ connectionString: azurite.connectionString, table: uniqueTable('ledger') });
    const keys = [`name='a/b\\c#d?e%f'`, `name='tab\there\u0001'`, `name='${'x'.repeat(2000)}'`, `name='O''Brien'`];
    await ledger.write(keys.map((key, i) => ({ environment: 'env|1', table: 'contact', key, version: String(i + 1), hashes: {}, deleted: i === 3 })));
    const read = await ledger.read([
      ...keys.map((key) => ({ environment: 'env|1', table: 'contact', key })),
      { environment: 'env|1', table: 'contact', key: "name='absent'" },
    ]);
    expect(read.size).toBe(4);
    expect(read.get(ledgerId({ environment: 'env|1', table: 'contact', key: keys[2] }))?.version).toBe('3');
    expect(read.get(ledgerId({ environment: 'env|1', table: 'contact', key: keys[3] }))?.deleted).toBe(true);
  });

  it('keeps the last write when one batch carries the same key twice (an entity may appear once per transaction)', async () => {
    const ledger = new RecordLedger({ connectionString: azurite.connectionString, table: uniqueTable('ledger') });
    const k = { environment: 'e', table: 't', key: "k='1'" };
    await ledger.write([
      { ...k, version: '1', hashes: {}, deleted: false },
      { ...k, version: '2', hashes: { a: 'x' }, deleted: false },
    ]);
    expect((await ledger.read([k])).get(ledgerId(k))).toEqual({ version: '2', hashes: { a: 'x' }, deleted: false });
  });
});

describe('Checkpoints against Azurite', () => {
  it('creates, advances with the ETag read, and refuses a stale ETag or a second first-commit', async () => {
    const cps = new Checkpoints({ connectionString: azurite.connectionString, table: uniqueTable('cp') });
    expect(await cps.get('import/accounts.csv')).toBeUndefined();
    const e1 = await cps.commit('import/accounts.csv', { position: { line: 1000 }, counts: { applied: 1000 } });
    await expect(cps.commit('import/accounts.csv', { position: { line: 5 }, counts: {} })).rejects.toBeInstanceOf(CheckpointConflictError);
    const read = await cps.get<{ line: number }>('import/accounts.csv');
    expect(read).toMatchObject({ position: { line: 1000 }, counts: { applied: 1000 }, etag: e1 });
    const e2 = await cps.commit('import/accounts.csv', { position: { line: 2000 }, counts: { applied: 2000 } }, e1);
    await expect(cps.commit('import/accounts.csv', { position: { line: 1500 }, counts: {} }, e1)).rejects.toThrow(/changed by another runner/);
    expect(await cps.get('import/accounts.csv')).toMatchObject({ position: { line: 2000 }, etag: e2 });
  });
});

describe('FailureStore against Azurite', () => {
  it('records failures per route with a truncated body, newest first', async () => {
    const table = uniqueTable('fail');
    const store = new FailureStore({ connectionString: azurite.connectionString, table });
    const base = { severity: 'error' as const, reason: 'DataverseError', detail: 'd', attempt: 1, body: 'x'.repeat(MAX_STORED_BODY_CHARS + 10) };
    await store.record([
      { ...base, messageId: 'm1', route: 'accounts', time: '2025-01-01T00:00:00.000Z', status: 400, code: '0x80044331' },
      { ...base, messageId: 'm2', route: 'accounts', time: '2025-01-02T00:00:00.000Z' },
      { ...base, messageId: 'm3', time: '2025-01-02T00:00:00.000Z', reason: 'InvalidMessage' },
    ]);
    const rows = await store.list('accounts');
    expect(rows.map((r) => r.messageId)).toEqual(['m2', 'm1']);
    expect(rows[1]).toMatchObject({ status: 400, code: '0x80044331' });
    expect(rows[0].body.startsWith('x'.repeat(100))).toBe(true);
    expect(rows[0].body).toMatch(/\[truncated 10 chars\]$/);
    expect((await store.list('(unparsed)')).map((r) => r.reason)).toEqual(['InvalidMessage']);
  });
});
