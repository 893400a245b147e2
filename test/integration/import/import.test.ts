/**
 * `dvsync import` end to end: a real child process against the Dataverse emulator and Azurite.
 * SIGKILL mid-run, restart: the final rows equal the file's last line per key, no row is created
 * twice, and rows covered by the checkpoint before the kill are not written again.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Checkpoints } from '../../../shared/ledger/checkpoints';
import { fileIdentity } from '../../../shared/import/identity';
import type { ImportPosition } from '../../../shared/import/runner';
import { rows, spawnImport, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(0.02);
});
afterAll(async () => {
  await h?.close();
});

function accountsFile(
  name: string,
  count: number,
  repeatEvery: number,
): { file: string; expected: Map<string, Record<string, unknown>>; lineOf: Map<string, number> } {
  const lines: string[] = [];
  const expected = new Map<string, Record<string, unknown>>();
  const lineOf = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    // Every repeatEvery-th record updates an earlier account: the later line must win.
    const n = i % repeatEvery === repeatEvery - 1 ? i - 7 : i;
    const rec = { number: `ACC-${n}`, name: `Account ${n} v${i}`, city: i % 2 ? 'Oslo' : 'Lyon', employees: i };
    lines.push(JSON.stringify(rec));
    expected.set(rec.number, { name: rec.name, address1_city: rec.city, numberofemployees: rec.employees });
    lineOf.set(rec.number, i + 1);
  }
  const file = join(h.dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, expected, lineOf };
}

async function checkpointOf(file: string, route: string) {
  const id = await fileIdentity(file);
  return new Checkpoints({ connectionString: h.azurite.connectionString }).get<ImportPosition>(`import|${route}:${id.id}`);
}

describe('dvsync import', () => {
  it('survives SIGKILL mid-run: the restart resumes after the checkpoint and every row ends written once', async () => {
    const { file, expected, lineOf } = accountsFile('accounts.jsonl', 3000, 10);
    const first = spawnImport(h, [file, '--route', 'erp-accounts', '--chunk', '50', '--concurrency', '2']);
    let cp = await checkpointOf(file, 'erp-accounts').catch(() => undefined);
    while (!cp || cp.position.line < 300) {
      await new Promise((r) => setTimeout(r, 20));
      cp = await checkpointOf(file, 'erp-accounts').catch(() => undefined);
    }
    first.child.kill('SIGKILL');
    expect((await first.exit).signal).toBe('SIGKILL');
    const killedAt = (await checkpointOf(file, 'erp-accounts'))!.position;
    expect(killedAt.complete).toBe(false);
    expect(killedAt.line).toBeLessThan(3000);
    const before = new Map(rows(h, 'account').map((r) => [r.accountnumber as string, r]));

    const second = spawnImport(h, [file, '--route', 'erp-accounts', '--chunk', '50', '--concurrency', '2', '--json']);
    const done = await second.exit;
    expect(second.stderr()).not.toMatch(/stopped/);
    expect(done.code).toBe(0);
    const report = JSON.parse(second.stdout().trim().split('\n').pop() as string);
    expect(report.resumedAfterLine).toBe(killedAt.line);
    expect(report.complete).toBe(true);
    expect(report.counts.read).toBe(3000);
    expect(report.counts.invalid + report.counts.failed).toBe(0);

    const after = rows(h, 'account');
    expect(after).toHaveLength(expected.size); // one row per key: nothing lost, nothing duplicated
    for (const row of after) {
      const key = row.accountnumber as string;
      expect(row).toMatchObject(expected.get(key) as object);
      const earlier = before.get(key);
      if (earlier) {
        expect(row.accountid).toBe(earlier.accountid); // never created again
        expect(row.createdon).toBe(earlier.createdon);
        // Its last line was checkpointed before the kill: the restart did not write it again.
        if ((lineOf.get(key) as number) <= killedAt.line) expect(row.versionnumber).toBe(earlier.versionnumber);
      }
    }
    expect((await checkpointOf(file, 'erp-accounts'))!.position.complete).toBe(true);
  }, 60_000);

  it('reports invalid JSON Lines by line number and loses none of the valid ones; a finished import is not redone', async () => {
    const file = join(h.dir, 'mixed.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ number: 'MIX-1', name: 'One' }),
        '{"number": "MIX-2", "name": ',
        JSON.stringify({ number: 'MIX-3', name: 'Three', employees: 'many' }),
        '',
        JSON.stringify({ number: 'MIX-4', name: 'Four', colour: 'red' }),
        JSON.stringify({ name: 'no key' }),
        '[1,2]',
        JSON.stringify({ number: 'MIX-8', name: 'Eight', employees: 8 }),
      ].join('\n'),
    );
    const run = spawnImport(h, [file, '--route', 'erp-accounts']);
    expect((await run.exit).code).toBe(1);
    const out = run.stdout();
    expect(out).toMatch(/read 7, valid 2, invalid 5/);
    expect(out).toMatch(/line 2: not valid JSON/);
    expect(out).toMatch(/line 3: column "employees": expected an integer, got "many"/);
    expect(out).toMatch(/line 5: column "colour" is not in route "erp-accounts" source.recordColumns/);
    expect(out).toMatch(/line 6: .*key column has no value/);
    expect(out).toMatch(/line 7: expected a JSON object per line/);
    const byKey = new Map(rows(h, 'account').map((r) => [r.accountnumber, r]));
    expect(byKey.get('MIX-1')).toMatchObject({ name: 'One' });
    expect(byKey.get('MIX-8')).toMatchObject({ name: 'Eight', numberofemployees: 8 });
    expect(byKey.has('MIX-3')).toBe(false);

    const requestsBefore = h.dv.runtime.counters.requests;
    const again = spawnImport(h, [file, '--route', 'erp-accounts', '--json']);
    await again.exit;
    const report = JSON.parse(again.stdout().trim());
    expect(report).toMatchObject({ complete: true, resumedAfterLine: 8, counts: { read: 7, valid: 2, invalid: 5, applied: 2 } });
    expect(h.dv.runtime.counters.requests).toBe(requestsBefore);
  }, 30_000);

  it('imports CSV with quoted commas, quotes and newlines; --restart re-reads it and the ledger skips every unchanged row', async () => {
    const seed = await fetch(`${h.dv.operatorUrl}environments/target/tables/account/rows`, {
      method: 'POST',
      body: JSON.stringify([{ accountnumber: 'CSV-A', name: 'Parent' }]),
    });
    expect(seed.status).toBe(200);
    const file = join(h.dir, 'contacts.csv');
    writeFileSync(
      file,
      'email,last,note,account\r\na@x.test,"Smith, Jr.","said ""hi""",CSV-A\r\nb@x.test,Jones,"line one\nline two",CSV-A\r\nc@x.test,Brown,,NOPE\r\nd@x.test,"Unclosed,x,CSV-A\r\n',
    );
    const run = spawnImport(h, [file, '--route', 'erp-contacts', '--json']);
    expect((await run.exit).code).toBe(1);
    const report = JSON.parse(run.stdout().trim());
    expect(report.counts).toMatchObject({ applied: 2, failed: 1, invalid: 1 });
    expect(report.failed[0]).toMatchObject({ line: 5 });
    expect(report.failed[0].reason).toMatch(/MissingParent/);
    expect(report.invalid[0].line).toBe(6);
    expect(report.invalid[0].reason).toMatch(/Quote Not Closed/);
    const parent = rows(h, 'account').find((r) => r.accountnumber === 'CSV-A');
    const contacts = new Map(rows(h, 'contact').map((r) => [r.emailaddress1, r]));
    expect(contacts.get('a@x.test')).toMatchObject({
      lastname: 'Smith, Jr.',
      jobtitle: 'said "hi"',
      parentcustomerid: { id: parent?.accountid, table: 'account' },
    });
    expect(contacts.get('b@x.test')).toMatchObject({ lastname: 'Jones', jobtitle: 'line one\nline two' });

    const writes = h.dv.runtime.counters.operations['bulk:upsertByKey'] ?? 0;
    const rerun = spawnImport(h, [file, '--route', 'erp-contacts', '--restart', '--json']);
    await rerun.exit;
    const second = JSON.parse(rerun.stdout().trim());
    expect(second.counts).toMatchObject({ applied: 0, skippedUnchanged: 2 });
    expect(h.dv.runtime.counters.operations['bulk:upsertByKey'] ?? 0).toBe(writes);
  }, 30_000);
});
