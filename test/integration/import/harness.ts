/** Dataverse emulator + Azurite in this process; `dvsync import` spawned as a real child process against them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDataverseEmulator, type DataverseEmulator } from '../../../emulators/dataverse';
import { startAzurite, type TestAzurite } from '../../helpers/azurite';

export const CLI = join(__dirname, '..', '..', '..', 'dist', 'cli', 'dvsync.js');

export const ROUTES = {
  routes: [
    {
      name: 'erp-accounts',
      source: { table: 'erp_account', recordColumns: { number: 'string', name: 'string', city: 'string', employees: 'integer' } },
      target: {
        environment: 'target',
        table: 'account',
        entitySet: 'accounts',
        key: ['accountnumber'],
        columns: { accountnumber: 'number', name: 'name', address1_city: 'city', numberofemployees: 'employees' },
      },
    },
    {
      name: 'erp-contacts',
      source: { table: 'erp_contact', recordColumns: { email: 'string', last: 'string', note: 'string', account: 'string' } },
      target: {
        environment: 'target',
        table: 'contact',
        entitySet: 'contacts',
        key: ['emailaddress1'],
        columns: { emailaddress1: 'email', lastname: 'last', jobtitle: 'note' },
        lookups: [{ from: 'account', navigationProperty: 'parentcustomerid_account', targetTable: 'account', key: ['accountnumber'], missingParent: 'fail' }],
      },
    },
  ],
};

export interface Harness {
  dv: DataverseEmulator;
  azurite: TestAzurite;
  dir: string;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startHarness(timeScale: number): Promise<Harness> {
  const [dv, azurite] = await Promise.all([startDataverseEmulator({ port: 0, timeScale }), startAzurite()]);
  const dir = mkdtempSync(join(tmpdir(), 'dvsync-import-'));
  const routesFile = join(dir, 'routes.json');
  writeFileSync(routesFile, JSON.stringify(ROUTES));
  const env = {
    ...process.env,
    DVSYNC_ROUTES_FILE: routesFile,
    DVSYNC_STORAGE: azurite.connectionString,
    DVSYNC_ENVIRONMENTS: JSON.stringify({
      target: { url: `http://127.0.0.1:${dv.port}`, apiBaseUrl: dv.url('target'), credentials: [{ type: 'staticToken', token: 'importer' }] },
    }),
  };
  return { dv, azurite, dir, env, close: async () => void (await Promise.all([dv.close(), azurite.close()])) };
}

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnImport(h: Harness, args: string[]): CliRun {
  const child = spawn(process.execPath, [CLI, 'import', ...args], { env: h.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exit };
}

export function rows(h: Harness, table: string): Array<Record<string, unknown>> {
  return [...(h.dv.environments.get('target')?.rowsOf(table) ?? [])].map((r) => ({ ...r }));
}
