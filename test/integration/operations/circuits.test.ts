/** `dvsync circuits list|close` as a child process against Azurite; a CircuitOpen failure row is not replayed (its changes are held, not lost). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { TableCircuitStore } from '../../../shared/ledger/circuits';
import { replayChange } from '../../../shared/operations/failures';
import { compileCondition } from '../../../shared/routes/conditions';
import { parseRoutes } from '../../../shared/routes/load';
import { startAzurite, type TestAzurite } from '../../helpers/azurite';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'cli', 'dvsync.js');
let azurite: TestAzurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.close();
});

function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'circuits', ...args], {
      env: { ...process.env, DVSYNC_STORAGE: azurite.connectionString },
      cwd: __dirname,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

it('lists open circuits with their cause and Dataverse answer, and closes one', async () => {
  const store = new TableCircuitStore({ connectionString: azurite.connectionString });
  const now = new Date();
  await store.open(
    {
      route: 'accounts',
      environment: 'target',
      table: 'account',
      cause: 'privilege',
      status: 403,
      code: '0x80040220',
      message: 'Principal user is missing prvCreateAccount privilege',
    },
    now,
    new Date(now.getTime() + 30_000),
  );
  const list = await cli(['list']);
  expect(list.code).toBe(0);
  expect(list.out).toMatch(
    /^accounts {2}privilege {2}target\/account {2}open since .*next probe .*\(0 sent\)\n {2}Dataverse: 403 0x80040220 Principal user is missing prvCreateAccount privilege/,
  );
  expect(JSON.parse((await cli(['list', '--json'])).out)).toEqual([expect.objectContaining({ route: 'accounts', state: 'open', cause: 'privilege' })]);

  expect(await cli(['close', 'accounts'])).toMatchObject({ code: 0, out: expect.stringMatching(/Closed the circuit of route "accounts"/) });
  expect(await cli(['close', 'accounts'])).toMatchObject({ code: 1, out: expect.stringMatching(/has no open circuit/) });
  expect((await cli(['list'])).out).toMatch(/No open circuits/);
  expect((await cli(['list', '--all'])).out).toMatch(/accounts {2}privilege .*closed .* by operator/);
  expect(await cli(['close'])).toMatchObject({ code: 2, err: expect.stringMatching(/close needs the route name/) });
}, 60_000);

it('a CircuitOpen failure row is not replayed: it records a stopped route, not a lost change', () => {
  const routes = parseRoutes(
    JSON.stringify({
      routes: [
        {
          name: 'accounts',
          source: { table: 'x', recordColumns: {} },
          target: { environment: 'target', table: 'account', entitySet: 'accounts', key: ['accountnumber'] },
        },
      ],
    }),
    'test',
    compileCondition,
  );
  const stored = {
    partitionKey: 'p',
    rowKey: 'r',
    severity: 'error',
    reason: 'CircuitOpen',
    detail: 'd',
    messageId: 'm',
    route: 'accounts',
    attempt: 1,
    time: new Date().toISOString(),
    body: '{}',
  } as Parameters<typeof replayChange>[0];
  expect(replayChange(stored, routes, 1)).toEqual({ reason: expect.stringMatching(/held on the queue .*dvsync circuits list \| close accounts/) });
});
