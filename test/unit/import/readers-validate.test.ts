/** Readers (JSON Lines, CSV) and record validation: line numbers, quoting, types, mapping errors. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecords, type RawRecord } from '../../../shared/import/readers';
import { RecordValidator } from '../../../shared/import/validate';
import { routeSchema } from '../../../shared/routes/schema';

const dir = mkdtempSync(join(tmpdir(), 'dvsync-import-unit-'));
async function read(name: string, text: string, format: 'jsonl' | 'csv'): Promise<RawRecord[]> {
  const file = join(dir, name);
  writeFileSync(file, text);
  const out: RawRecord[] = [];
  for await (const r of readRecords(file, format)) out.push(r);
  return out;
}

const route = routeSchema.parse({
  name: 'people',
  source: { table: 'erp_person', recordColumns: { id: 'string', age: 'integer', score: 'number', vip: 'boolean', born: 'datetime', company: 'string' } },
  target: {
    environment: 'target',
    table: 'contact',
    entitySet: 'contacts',
    key: ['dvs_externalid'],
    columns: { dvs_externalid: 'id', jobtitle: 'company' },
    lookups: [{ from: 'company', navigationProperty: 'parentcustomerid_account', targetTable: 'account', key: ['accountnumber'] }],
  },
});
const entitySets = (_env: string, table: string) => (table === 'account' ? 'accounts' : undefined);
const ctx = { importId: 'people:abc', line: 1, version: '1', receivedAt: '2024-01-01T00:00:00Z' };

describe('readers', () => {
  it('CSV: quoted commas, doubled quotes, embedded newlines, BOM; records keep their first and last line', async () => {
    const recs = await read('a.csv', '\uFEFFid,company\r\n1,"Contoso, Ltd."\r\n2,"say ""hi"""\r\n3,"two\nlines\nthree"\r\n\r\n4,plain\r\n', 'csv');
    expect(recs.map((r) => [r.line, r.endLine, r.values])).toEqual([
      [2, 2, { id: '1', company: 'Contoso, Ltd.' }],
      [3, 3, { id: '2', company: 'say "hi"' }],
      [4, 6, { id: '3', company: 'two\nlines\nthree' }],
      [8, 8, { id: '4', company: 'plain' }],
    ]);
  });

  it('CSV: a record with the wrong number of fields is reported by line and the next ones are kept', async () => {
    const recs = await read('b.csv', 'id,company\n1,a\n2,b,extra\n3,c\n', 'csv');
    expect(recs.map((r) => [r.line, r.error ? 'error' : r.values?.id])).toEqual([
      [2, '1'],
      [3, 'error'],
      [4, '3'],
    ]);
    expect(recs[1].error).toMatch(/Invalid Record Length/);
  });

  it('JSON Lines: blank lines skipped, bad JSON and non-objects reported with their line number', async () => {
    const recs = await read('c.jsonl', '{"id":"1"}\n\n{"id":\n[1]\n"text"\n{"id":"6"}', 'jsonl');
    expect(recs.map((r) => [r.line, r.values?.id ?? r.error?.slice(0, 20)])).toEqual([
      [1, '1'],
      [3, 'not valid JSON (Unex'],
      [4, 'expected a JSON obje'],
      [5, 'expected a JSON obje'],
      [6, '6'],
    ]);
  });
});

describe('RecordValidator', () => {
  const json = new RecordValidator(route, entitySets, false);
  const csv = new RecordValidator(route, entitySets, true);

  it('builds an import ChangeMessage with origin, coordinates and version', () => {
    const r = json.validate({ id: 'P-1', age: 30, vip: true, born: '1990-05-01', company: 'ACC-1' }, { ...ctx, line: 7, version: '1007' });
    expect(r).toEqual({
      ok: true,
      message: expect.objectContaining({
        route: 'people',
        origin: 'import',
        operation: 'upsert',
        version: '1007',
        source: { table: 'erp_person', importId: 'people:abc', line: 7 },
        values: { id: 'P-1', age: 30, vip: true, born: '1990-05-01', company: 'ACC-1' },
      }),
    });
  });

  it('names every wrong column: unknown column and wrong JSON types', () => {
    const r = json.validate({ id: 'P-1', age: 3.5, score: '7', vip: 'yes', colour: 'red' }, ctx);
    expect(r.ok).toBe(false);
    const reason = (r as { reason: string }).reason;
    expect(reason).toContain('column "colour" is not in route "people" source.recordColumns');
    expect(reason).toContain('column "age": expected an integer, got 3.5');
    expect(reason).toContain('column "score": expected a number, got "7"');
    expect(reason).toContain('column "vip": expected true or false');
  });

  it('converts CSV text per type; empty cells are null; bad text is reported', () => {
    expect(csv.validate({ id: 'P-2', age: '41', score: '2.5', vip: 'FALSE', born: '', company: 'A' }, ctx)).toMatchObject({
      ok: true,
      message: { values: { id: 'P-2', age: 41, score: 2.5, vip: false, born: null } },
    });
    expect((csv.validate({ id: 'P-2', age: '4x', born: '2024-13-45' }, ctx) as { reason: string }).reason).toMatch(
      /"age": expected an integer, got "4x".*"born": expected an ISO 8601/,
    );
  });

  it('runs the route mapping: a record without its key value is invalid with the mapping error', () => {
    expect((json.validate({ age: 1 }, ctx) as { reason: string }).reason).toMatch(/Route "people", column "dvs_externalid": key column has no value/);
    expect((json.validate({ id: 'a/b' }, ctx) as { reason: string }).reason).toMatch(/cannot address by key/);
  });

  it('refuses a route without recordColumns', () => {
    const noColumns = routeSchema.parse({ ...route, source: { table: 'x', environment: 'source' } });
    expect(() => new RecordValidator(noColumns, entitySets, false)).toThrow(/no source.recordColumns/);
  });
});
