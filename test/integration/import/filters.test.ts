/** `dvsync import` applies the route's trigger conditions (issue 9, defect 2): excluded lines are reported, not written. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rows, spawnImport, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(0.001);
  const routes = {
    routes: [
      {
        name: 'big-accounts',
        source: {
          table: 'erp_account',
          recordColumns: { number: 'string', name: 'string', employees: 'integer' },
          triggerConditions: ["@greaterOrEquals(triggerBody()?['employees'], 100)"],
        },
        target: {
          environment: 'target',
          table: 'account',
          entitySet: 'accounts',
          key: ['accountnumber'],
          columns: { accountnumber: 'number', name: 'name', numberofemployees: 'employees' },
        },
      },
    ],
  };
  writeFileSync(join(h.dir, 'filtered-routes.json'), JSON.stringify(routes));
});
afterAll(async () => {
  await h?.close();
});

it('writes only the records the trigger condition accepts and lists the others with their line', async () => {
  const file = join(h.dir, 'sizes.jsonl');
  writeFileSync(
    file,
    [
      { number: 'B-1', name: 'Big', employees: 500 },
      { number: 'S-2', name: 'Small', employees: 3 },
      { number: 'B-3', name: 'Bigger', employees: 100 },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n'),
  );
  const run = spawnImport(h, [file, '--route', 'big-accounts', '--routes', join(h.dir, 'filtered-routes.json'), '--json']);
  expect((await run.exit).code).toBe(0);
  const report = JSON.parse(run.stdout().trim().split('\n').pop() as string);
  expect(report.counts).toMatchObject({ read: 3, valid: 3, invalid: 0, filtered: 1, applied: 2, failed: 0 });
  expect(report.filtered).toEqual([{ line: 2, endLine: 2, reason: expect.stringMatching(/trigger condition 1 .* is false/) }]);
  expect(
    rows(h, 'account')
      .map((r) => r.accountnumber)
      .sort(),
  ).toEqual(['B-1', 'B-3']);
}, 60_000);
