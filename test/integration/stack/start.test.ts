/** `dvsync start` as a user runs it: a child process on free ports, ready line, SIGTERM, nothing left listening. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'cli', 'dvsync.js');

function start(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, 'start', ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

async function waitForLine(output: () => string, pattern: RegExp, exited: Promise<unknown>, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  void exited.then(() => (done = true));
  while (Date.now() < deadline) {
    const m = output().match(pattern);
    if (m) return m;
    if (done) throw new Error(`dvsync start exited early:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${output()}`);
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

test('starts every part on free ports, serves /api/health and storage, and SIGTERM leaves no port listening', async () => {
  const run = start(['--port', '0', '--table-port', '0', '--blob-port', '0', '--servicebus-port', '0', '--dataverse-port', '0']);
  try {
    await waitForLine(run.output, /dvsync local stack ready in (\d+) ms/, run.exited, 20_000);
    const out = run.output();
    const functionsPort = Number(out.match(/Functions:\s+http:\/\/127\.0\.0\.1:(\d+)\/api\//)![1]);
    const tablePort = Number(out.match(/table http:\/\/127\.0\.0\.1:(\d+)\//)![1]);
    const blobPort = Number(out.match(/blob http:\/\/127\.0\.0\.1:(\d+)\//)![1]);
    const otherPorts = [...out.matchAll(/^(?:Service Bus|Dataverse):\s+\S+:\/\/127\.0\.0\.1:(\d+)/gm)].map((m) => Number(m[1]));

    const health = await fetch(`http://127.0.0.1:${functionsPort}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    const storage = out.match(/AzureWebJobsStorage=(\S+)/)![1];
    const table = TableClient.fromConnectionString(storage, 'stackcheck', { allowInsecureConnection: true });
    await table.createTable();
    await table.upsertEntity({ partitionKey: 'p', rowKey: 'r', value: 7 });
    expect((await table.getEntity('p', 'r')).value).toBe(7);

    const ports = [functionsPort, tablePort, blobPort, ...otherPorts];
    for (const port of ports) expect(await isListening(port)).toBe(true);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    for (const port of ports) expect(await isListening(port)).toBe(false);
    expect(run.output()).toContain('dvsync start: stopped.');
  } finally {
    run.child.kill('SIGKILL');
  }
});

test('a taken port fails fast with a message naming the port and the flag that moves it', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    const run = start(['--port', '0', '--table-port', String(port), '--blob-port', '0', '--servicebus-port', '0', '--dataverse-port', '0']);
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}.*already in use.*--table-port or DVSYNC_AZURITE_TABLE_PORT`));
  } finally {
    blocker.close();
  }
});

test('a bad flag value is a usage error naming the flag', async () => {
  const run = start(['--servicebus-port', 'abc']);
  expect(await run.exited).toBe(2);
  expect(run.output()).toContain('--servicebus-port: "abc" is not a port number');
});
