/**
 * Issue 9, defect 9: `npm start` (`dvsync start`) with an invalid routes file prints the app's report (every
 * problem: file, route, field) and exits 1 instead of printing "dvsync local stack ready" over an app that
 * answers every webhook with 503. Run as a user runs it: a child process on free ports.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'cli', 'dvsync.js');
const FREE_PORTS = ['--port', '0', '--table-port', '0', '--blob-port', '0', '--servicebus-port', '0', '--dataverse-port', '0'];

/** Runs `dvsync start` until it exits, or until it claims to be ready (then it is stopped and reported as ready). */
function run(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; ready: boolean; output: string }> {
  const child = spawn(process.execPath, [cli, 'start', ...FREE_PORTS], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const onData = (d: Buffer) => {
      output += d;
      if (output.includes('dvsync local stack ready')) child.kill('SIGTERM');
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, ready: output.includes('dvsync local stack ready'), output });
    });
  });
}

const target = { environment: 'target', table: 'account', entitySet: 'accounts', key: ['dvs_externalid'], columns: { dvs_externalid: 'accountid' } };

/** A routes file in a fresh temporary folder. */
function writeRoutes(routes: unknown[]): string {
  const routesFile = join(mkdtempSync(join(tmpdir(), 'dvsync-invalid-routes-')), 'routes.json');
  writeFileSync(routesFile, JSON.stringify({ routes }));
  return routesFile;
}

test('an invalid routes file: npm start prints every problem (file, route, field) and exits 1, never "ready"', async () => {
  const routesFile = writeRoutes([
    { name: 'accounts-to-target', source: { environment: 'source', table: 'account', scope: 'Team' }, target },
    { name: 'contacts-to-target', source: { environment: 'source', table: 'contact' }, target: { ...target, table: 'contact', entitySet: undefined } },
  ]);
  const result = await run({ DVSYNC_ROUTES_FILE: routesFile }, 60_000);
  expect({ code: result.code, ready: result.ready }).toEqual({ code: 1, ready: false });
  expect(result.output).toContain("dvsync start: the app's configuration is invalid, so the local stack was stopped (GET http://127.0.0.1:");
  expect(result.output).toContain('/api/health answered 503)');
  expect(result.output).toContain(`DVSYNC_ROUTES_FILE: ${routesFile}: route "accounts-to-target" (index 0), field source.scope: `);
  expect(result.output).toContain(`DVSYNC_ROUTES_FILE: ${routesFile}: route "contacts-to-target" (index 1), field target.entitySet: `);
}, 90_000);

test('a routes file that passes the schema but contradicts itself: the cross-field problems of every route are reported', async () => {
  const routesFile = writeRoutes([
    { name: 'accounts-to-target', source: { environment: 'source', table: 'account' }, target: { ...target, dependsOn: ['no-such-route'] } },
    {
      name: 'contacts-to-target',
      source: { environment: 'source', table: 'contact', selectColumns: ['firstname'] },
      target: { ...target, table: 'contact', entitySet: 'contacts', columns: { dvs_externalid: 'emailaddress1' } },
    },
  ]);
  const result = await run({ DVSYNC_ROUTES_FILE: routesFile }, 60_000);
  expect({ code: result.code, ready: result.ready }).toEqual({ code: 1, ready: false });
  expect(result.output).toContain(`${routesFile}: route "accounts-to-target" (index 0), field target.dependsOn: unknown route "no-such-route"`);
  expect(result.output).toContain(
    `${routesFile}: route "contacts-to-target" (index 1), field target.columns.dvs_externalid: reads source column "emailaddress1", which source.selectColumns [firstname] leaves out`,
  );
}, 90_000);
