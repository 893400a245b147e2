/**
 * `npm start` (`dvsync start`) takes the function key and the master key from the environment
 * (DVSYNC_LOCAL_FUNCTION_KEY, DVSYNC_LOCAL_MASTER_KEY) even when local.settings.json does not name them:
 * the configured keys open the webhook, any other key is 401, and no random key replaces them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'cli', 'dvsync.js');
const FREE_PORTS = ['--port', '0', '--table-port', '0', '--blob-port', '0', '--servicebus-port', '0', '--dataverse-port', '0'];

function start(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const childEnv = { ...process.env, ...env };
  const child = spawn(process.execPath, [cli, 'start', ...FREE_PORTS], { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

async function waitForLine(output: () => string, pattern: RegExp, exited: Promise<unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  void exited.then(() => (done = true));
  while (Date.now() < deadline) {
    if (pattern.test(output())) return;
    if (done) throw new Error(`dvsync start exited early:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${output()}`);
}

test('DVSYNC_LOCAL_FUNCTION_KEY and DVSYNC_LOCAL_MASTER_KEY from the environment are the keys npm start enforces', async () => {
  const functionKey = `env-function-key-${randomUUID()}`;
  const masterKey = `env-master-key-${randomUUID()}`;
  const run = start({ DVSYNC_LOCAL_FUNCTION_KEY: functionKey, DVSYNC_LOCAL_MASTER_KEY: masterKey });
  try {
    await waitForLine(run.output, /dvsync local stack ready in \d+ ms/, run.exited, 30_000);
    const out = run.output();
    const base = `${out.match(/Functions:\s+(http:\/\/127\.0\.0\.1:\d+)\/api\//)![1]}/api/dataverse/webhook`;
    const environments = JSON.parse(out.match(/^\s*DVSYNC_ENVIRONMENTS=(.+)$/m)![1]) as Record<string, { organizationId: string }>;
    // A well-formed event for a table no route listens to: accepted (202) and routed nowhere.
    const body = JSON.stringify({
      MessageName: 'Create',
      PrimaryEntityName: 'dvs_keycheck',
      PrimaryEntityId: randomUUID(),
      OrganizationId: environments.source.organizationId,
    });
    const post = (query: string, headers: Record<string, string> = {}) =>
      fetch(`${base}${query}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

    const withKey = await post(`?code=${encodeURIComponent(functionKey)}`);
    expect(withKey.status).toBe(202);
    expect(await withKey.json()).toMatchObject({ received: true, table: 'dvs_keycheck', routed: [] });
    expect((await post('', { 'x-functions-key': functionKey })).status).toBe(202);
    expect((await post(`?code=${encodeURIComponent(masterKey)}`)).status).toBe(202);
    expect((await post('?code=wrong-key')).status).toBe(401);
    expect((await post('', { 'x-functions-key': `${functionKey}x` })).status).toBe(401);
    expect((await post('')).status).toBe(401);

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  } finally {
    run.child.kill('SIGKILL');
  }
});
