/**
 * `npm run package` (tools/package): the staging folder and the zip hold host.json, package.json, the compiled
 * product and the production dependencies only, and the packaged `main` loads in a process of its own, the way the
 * Functions Node.js worker loads it (load-main.cjs), from a folder with no node_modules above it: every function
 * registers through @azure/functions, and no module is loaded from outside the package.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { buildPackage, type PackageResult } from '../../../tools/package';
import { productionPackages } from '../../../tools/package/stage';
import { extractEntry, readZip } from '../../../tools/package/zip';

const ROOT = join(__dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  main: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const parameters = JSON.parse(readFileSync(join(ROOT, 'infra', 'main.parameters.json'), 'utf8')).parameters;

const ROUTES = {
  routes: [
    {
      name: 'accounts',
      source: { environment: 'prod', table: 'account' },
      target: { environment: 'prod', table: 'account', entitySet: 'accounts', key: ['dvs_sourceid'], columns: { dvs_sourceid: 'accountid' } },
    },
  ],
};

let work: string;
let staging: string;
let result: PackageResult;
let files: string[];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'dvsync-package-'));
  const routes = join(work, 'my-routes.json');
  writeFileSync(routes, JSON.stringify(ROUTES));
  result = buildPackage({ root: ROOT, out: join(work, 'out'), routes });
  staging = result.staging;
  files = readZip(readFileSync(result.zip!)).map((e) => e.name);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The app settings infra/modules/functionapp.bicep writes (values made up), with the sample parameters' environments. */
const appSettings = (): Record<string, string> => ({
  AzureWebJobsScriptRoot: staging,
  DVSYNC_ENVIRONMENTS: String(parameters.dataverseEnvironments.value),
  DVSYNC_ROUTES_FILE: 'routes.json',
  DVSYNC_CHANGES_QUEUE: 'dvsync-changes',
  DVSYNC_INBOUND_QUEUE: 'dvsync-inbound',
  DVSYNC_CHANGES_LOCK_SECONDS: '300',
  AzureWebJobsStorage__accountName: 'stdvsync',
  AzureWebJobsStorage__credential: 'managedidentity',
  AzureWebJobsStorage__clientId: '11111111-2222-3333-4444-555555555555',
  AzureWebJobsStorage__tableServiceUri: 'https://stdvsync.table.core.windows.net',
  AzureWebJobsStorage__blobServiceUri: 'https://stdvsync.blob.core.windows.net',
  ServiceBusConnection__fullyQualifiedNamespace: 'sb-dvsync.servicebus.windows.net',
  ServiceBusConnection__credential: 'managedidentity',
  ServiceBusConnection__clientId: '11111111-2222-3333-4444-555555555555',
  AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
});

interface LoadReport {
  main: string;
  programmingModel?: string;
  registrations: Array<{ name: string; triggers: Array<{ type: string; queueName?: string; connection?: string; schedule?: string }> }>;
  catalogue: Array<{ name: string; trigger: string }>;
  outside: string[];
  error?: string;
}

/** Runs load-main.cjs in a clean environment: only PATH and the app settings; NODE_PATH, HOME and cwd in the package. */
async function loadPackagedMain(): Promise<{ report: LoadReport; stdout: string; stderr: string }> {
  const report = join(work, `report-${Date.now()}.json`);
  const env = { PATH: process.env.PATH ?? '', HOME: staging, NODE_PATH: join(staging, 'node_modules'), ...appSettings() };
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(__dirname, 'load-main.cjs'), staging, report], {
    cwd: staging,
    env,
    timeout: 30_000,
  });
  return { report: JSON.parse(readFileSync(report, 'utf8')) as LoadReport, stdout, stderr };
}

describe('the package', () => {
  it('is staged where no node_modules above it could stand in for a missing dependency', () => {
    const above: string[] = [];
    for (let d = dirname(staging); d !== dirname(d); d = dirname(d)) if (existsSync(join(d, 'node_modules'))) above.push(d);
    if (existsSync('/node_modules')) above.push('/');
    expect(above).toEqual([]);
  });

  it('holds host.json, package.json, routes.json, the compiled product and node_modules, and nothing else', () => {
    expect(readdirSync(staging).sort()).toEqual(['dist', 'host.json', 'node_modules', 'package.json', 'routes.json']);
    expect(readdirSync(join(staging, 'dist')).sort()).toEqual(['functions', 'shared']);
    expect(files.filter((f) => f.startsWith('dist/') && !/\.js(\.map)?$/.test(f))).toEqual([]);
    expect(readFileSync(join(staging, 'host.json'), 'utf8')).toBe(readFileSync(join(ROOT, 'host.json'), 'utf8'));
    expect(JSON.parse(readFileSync(join(staging, 'routes.json'), 'utf8'))).toEqual(ROUTES);
    const deployed = JSON.parse(readFileSync(join(staging, 'package.json'), 'utf8'));
    expect(deployed).toMatchObject({ main: manifest.main, dependencies: manifest.dependencies });
    expect(Object.keys(deployed)).not.toEqual(expect.arrayContaining(['devDependencies']));
    expect(deployed.scripts).toBeUndefined();
  });

  it('carries the production dependencies only: the lockfile entries npm ci --omit=dev installs', () => {
    const packages = productionPackages(ROOT);
    expect(result.packages).toBe(packages.length);
    const longestFirst = [...packages].sort((a, b) => b.length - a.length);
    const staged = new Set(files.filter((f) => f.startsWith('node_modules/')).map((f) => longestFirst.find((p) => f.startsWith(`${p}/`)) ?? f));
    expect([...staged].sort()).toEqual(packages);
    for (const dep of Object.keys(manifest.dependencies)) expect(staged).toContain(`node_modules/${dep}`);
    // Every devDependency stays out, except one a production package needs too (@types/node, for @types/is-buffer
    // under @azure/core-amqp): npm ci --omit=dev installs that one as well.
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')).packages as Record<string, { dev?: boolean }>;
    const devOnly = Object.keys(manifest.devDependencies).filter((d) => lock[`node_modules/${d}`]?.dev);
    expect(devOnly).toEqual(
      expect.arrayContaining(['azurite', 'jest', 'typescript', 'eslint', 'prettier', 'tree-sitter-bicep', 'web-tree-sitter', '@swc/core']),
    );
    expect(devOnly.filter((d) => staged.has(`node_modules/${d}`))).toEqual([]);
  });

  it('loads main as the Functions worker does, with only its own node_modules, and every function registers', async () => {
    const { report, stdout } = await loadPackagedMain();
    expect(report.error).toBeUndefined();
    expect(report.outside).toEqual([]);
    expect(report.programmingModel).toBe(`@azure/functions@${manifest.dependencies['@azure/functions']}`);
    expect(stdout).toContain('dvsync configuration is valid: 1 route(s)');
    const trigger = { http: 'httpTrigger', serviceBusQueue: 'serviceBusTrigger', timer: 'timerTrigger' } as Record<string, string>;
    expect(report.catalogue.length).toBeGreaterThanOrEqual(6);
    expect(report.registrations.map((r) => ({ name: r.name, trigger: r.triggers.map((t) => t.type) }))).toEqual(
      report.catalogue.map((d) => ({ name: d.name, trigger: [trigger[d.trigger]] })),
    );
    const queues = report.registrations.flatMap((r) => r.triggers).filter((t) => t.type === 'serviceBusTrigger');
    expect(queues.map((t) => [t.queueName, t.connection]).sort()).toEqual([
      ['dvsync-changes', 'ServiceBusConnection'],
      ['dvsync-inbound', 'ServiceBusConnection'],
    ]);
  }, 60_000);

  it('does not load when a production dependency is missing from it (nothing outside stands in)', async () => {
    const zod = join(staging, 'node_modules', 'zod');
    renameSync(zod, `${zod}.hidden`);
    try {
      const { report } = await loadPackagedMain();
      expect(report.error).toContain("Cannot find module 'zod'");
    } finally {
      renameSync(`${zod}.hidden`, zod);
    }
  }, 60_000);

  it('zips exactly the staged files, byte for byte', () => {
    const zip = readFileSync(result.zip!);
    const entries = readZip(zip);
    expect(entries.length).toBe(result.files);
    for (const e of entries) expect(extractEntry(zip, e).equals(readFileSync(join(staging, e.name)))).toBe(true);
  });
});
