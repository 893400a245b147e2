/**
 * Issue 9, defect 9: the app loads and validates settings and routes when the host loads it (functions/all.ts).
 * With an invalid routes file the report is in the startup log, GET /api/health answers 503 with every problem
 * (file, route, field), and the webhook answers 503 not_configured with the same problems instead of "retry later".
 * The app module is loaded the way a host loads it: app settings in process.env first, then functions/all.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFunctionsHost, type FunctionsHostHandle } from '../../../emulators/functions-host';
import type { FunctionDefinition } from '../../../functions/definition';
import { checkConfiguration } from '../../../shared/config/configuration';

const FUNCTION_KEY = 'startup-check-function-key';

const appDir = mkdtempSync(join(tmpdir(), 'dvsync-startup-'));
const routesFile = join(appDir, 'routes.json');
const settings = (): Record<string, string> => ({
  DVSYNC_ENVIRONMENTS: JSON.stringify({
    source: {
      url: 'https://source.crm.dynamics.com',
      organizationId: '00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
      credentials: [{ type: 'staticToken', token: 'x' }],
    },
    target: { url: 'https://target.crm.dynamics.com', credentials: [{ type: 'staticToken', token: 'y' }] },
  }),
  DVSYNC_ROUTES_FILE: 'routes.json',
  AzureWebJobsScriptRoot: appDir,
  // Never contacted: the app opens the queue only for an accepted event.
  ServiceBusConnection: 'Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=k;SharedAccessKey=k;UseDevelopmentEmulator=true',
  DVSYNC_LOCAL_FUNCTION_KEY: FUNCTION_KEY,
});

const target = { environment: 'target', table: 'account', entitySet: 'accounts', key: ['dvs_sourceid'], columns: { dvs_sourceid: 'accountid' } };
const INVALID_ROUTES = {
  routes: [
    { name: 'accounts', source: { environment: 'source', table: 'account', scope: 'Team' }, target },
    { name: 'contacts', source: { environment: 'source', table: 'contact' }, target: { ...target, table: 'contact', entitySet: undefined } },
  ],
};

/** Loads functions/all.ts like a host does (settings already in process.env) and runs health + webhook on the local host. */
async function startApp(routes: object): Promise<{ host: FunctionsHostHandle; startupLog: string[]; registered: string[] }> {
  writeFileSync(routesFile, JSON.stringify(routes));
  Object.assign(process.env, settings());
  const startupLog: string[] = [];
  const error = jest.spyOn(console, 'error').mockImplementation((line: unknown) => void startupLog.push(String(line)));
  const info = jest.spyOn(console, 'log').mockImplementation((line: unknown) => void startupLog.push(String(line)));
  let definitions: FunctionDefinition[] = [];
  try {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      definitions = (require('../../../functions/all') as { registeredFunctions: FunctionDefinition[] }).registeredFunctions;
    });
  } finally {
    error.mockRestore();
    info.mockRestore();
  }
  const http = definitions.filter((d) => d.name === 'health' || d.name === 'dataverseWebhook');
  const host = await startFunctionsHost({ appDir, port: 0, definitions: http, hostJson: { version: '2.0' }, settings: settings(), log: () => undefined });
  return { host, startupLog, registered: definitions.map((d) => `${d.trigger}:${d.name}`) };
}

describe('an invalid routes file at startup', () => {
  let host: FunctionsHostHandle;
  let startupLog: string[];
  let registered: string[];
  beforeAll(async () => {
    ({ host, startupLog, registered } = await startApp(INVALID_ROUTES));
  });

  it('registers no Service Bus or timer trigger, so no message is taken only to fail', () => {
    expect(registered.every((r) => r.startsWith('http:'))).toBe(true);
    expect(registered).toContain('http:health');
    expect(startupLog.join('\n')).toContain('Service Bus and timer triggers are not registered');
  });
  afterAll(() => host?.close());

  const expectEveryProblem = (text: string) => {
    expect(text).toContain(routesFile);
    expect(text).toMatch(/route "accounts" \(index 0\), field source\.scope: /);
    expect(text).toMatch(/route "contacts" \(index 1\), field target\.entitySet: /);
  };

  it('is reported in full in the startup log', () => {
    const report = startupLog.join('\n');
    expect(report).toContain('dvsync configuration is invalid');
    expectEveryProblem(report);
  });

  it('makes GET /api/health answer 503 with every problem (file, route, field)', async () => {
    const res = await fetch(`${host.url}/api/health`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; error: string; problems: Array<{ setting: string; problem: string; fix: string }>; report: string };
    expect(body).toMatchObject({ status: 'unhealthy', error: 'not_configured' });
    expect(body.problems).toHaveLength(2);
    expect(body.problems.every((p) => p.setting === 'DVSYNC_ROUTES_FILE' && p.problem.startsWith(`${routesFile}: route "`))).toBe(true);
    expectEveryProblem(body.report);
  });

  it('makes the webhook answer 503 not_configured with the problems, saying nothing was accepted', async () => {
    const res = await fetch(`${host.url}/api/dataverse/webhook?code=${FUNCTION_KEY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('60');
    const body = (await res.json()) as { error: string; message: string; problems: Array<{ problem: string }> };
    expect(body.error).toBe('not_configured');
    expect(body.message).toContain('NOT accepted');
    expectEveryProblem(body.problems.map((p) => p.problem).join('\n'));
  });
});

test('a valid configuration: health answers 200 and the startup log names the routes', async () => {
  const { host, startupLog, registered } = await startApp({ routes: [{ name: 'accounts', source: { environment: 'source', table: 'account' }, target }] });
  try {
    expect(registered).toEqual(expect.arrayContaining(['serviceBusQueue:apply-changes', 'timer:sync']));
    const res = await fetch(`${host.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(startupLog).toEqual([`dvsync configuration is valid: 1 route(s) from ${routesFile}.`]);
  } finally {
    await host.close();
  }
});

test('routes the engine cannot compile (a lookup whose entity set is unknown) are a startup problem, not a failure of every message', async () => {
  const lookup = { from: 'parentaccountid', navigationProperty: 'parentaccountid', targetTable: 'dvs_region', key: ['dvs_code'] };
  const { host, registered } = await startApp({
    routes: [{ name: 'accounts', source: { environment: 'source', table: 'account' }, target: { ...target, lookups: [lookup] } }],
  });
  try {
    expect(registered.every((r) => r.startsWith('http:'))).toBe(true);
    const res = await fetch(`${host.url}/api/health`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { problems: Array<{ setting: string; problem: string }> };
    expect(body.problems).toEqual([
      expect.objectContaining({
        setting: 'DVSYNC_ROUTES_FILE',
        problem: expect.stringMatching(/lookup "parentaccountid" targets table "dvs_region".*its entity set is unknown/),
      }),
    ]);
  } finally {
    await host.close();
  }
});

test('the report (served anonymously by /api/health) never repeats a connection string, which may hold a key', () => {
  const check = checkConfiguration({
    ...settings(),
    ServiceBusConnection: 'endpoint = sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=s3cret-value',
  });
  expect(check.ok).toBe(false);
  if (check.ok) return;
  expect(check.problems).toContainEqual(
    expect.objectContaining({ setting: 'ServiceBusConnection', problem: 'is not valid (the value is not shown: it may hold a key)' }),
  );
  expect(check.report).not.toContain('s3cret-value');
});
