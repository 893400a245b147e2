/**
 * No key in the local host's log: a client that aborts mid-request, an answer that cannot be written and a
 * handler that throws are all logged, with `code=[redacted]` where the URL carried the function key, and
 * never the function key, the master key or the x-functions-key header value. The real webhook function
 * (with HttpHeader auth) behind the same host logs neither the key nor the header secret, whatever it answers.
 */
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpFunction, type FunctionDefinition } from '../../../functions/definition';
import { createWebhookHandler } from '../../../functions/webhook';
import { startFunctionsHost, type FunctionsHostHandle } from '../../../emulators/functions-host';
import { redactLine, redactUrl } from '../../../emulators/functions-host/redact';
import { QueueUnavailableError, type OutgoingChange } from '../../../shared/queue/outgoing';
import { createIntakeRuntime } from '../../../shared/app';
import { loadConfiguration } from '../../../shared/config/configuration';
import { fixtureBytes } from '../../unit/webhook/fixtures';

const FUNCTION_KEY = 'fn-key-Secret-4711-abcdef';
const MASTER_KEY = 'master-key-Secret-0815-uvwxyz';
const HEADER_SECRET = 'header-secret-0123456789-ABCDEF';
const ORG = '00aa00aa-bb11-cc22-dd33-44ee44ee44ee';
const FIXTURE = fixtureBytes('update-contact-async-postimage-msdocs.json');

let queueDown = false;
const publisher = {
  async publish(_changes: OutgoingChange[]) {
    if (queueDown) throw new QueueUnavailableError('queue down (test)', 30);
  },
  async close() {},
};
const runtime = createIntakeRuntime(
  loadConfiguration({
    DVSYNC_ENVIRONMENTS: JSON.stringify({
      source: { url: 'https://orgname.crm.dynamics.com', organizationId: ORG, credentials: [{ type: 'staticToken', token: 'x' }] },
      target: { url: 'https://target.crm.dynamics.com', credentials: [{ type: 'staticToken', token: 'y' }] },
    }),
    DVSYNC_ROUTES: JSON.stringify({
      routes: [
        {
          name: 'contacts',
          source: { environment: 'source', table: 'contact' },
          target: { environment: 'target', table: 'contact', entitySet: 'contacts', key: ['dvs_sourceid'] },
        },
      ],
    }),
    ServiceBusConnection: 'Endpoint=sb://localhost;SharedAccessKeyName=a;SharedAccessKey=b;UseDevelopmentEmulator=true',
    DVSYNC_WEBHOOK_SECRET: HEADER_SECRET,
  }),
  { publisher, largeMessages: null, failures: null },
);

let handlerStarted: () => void = () => undefined;
const definitions: FunctionDefinition[] = [
  httpFunction('upload', {
    methods: ['POST'],
    authLevel: 'function',
    route: 'upload',
    handler: async (request) => ({ status: 200, body: String((await request.arrayBuffer()).byteLength) }),
  }),
  // The library does not check cookie values, Node's writeHead refuses the line break: the host cannot write the answer.
  httpFunction('badHeader', {
    methods: ['GET'],
    authLevel: 'function',
    route: 'bad-header',
    handler: async () => ({ status: 200, cookies: [{ name: 'a', value: 'b\nc' }] }),
  }),
  httpFunction('throws', {
    methods: ['GET'],
    authLevel: 'function',
    route: 'throws',
    handler: async () => {
      throw new Error('handler failed on purpose');
    },
  }),
  httpFunction('slow', {
    methods: ['GET'],
    authLevel: 'function',
    route: 'slow',
    handler: async () => {
      handlerStarted();
      await new Promise((r) => setTimeout(r, 300));
      return { status: 200, body: 'late' };
    },
  }),
  httpFunction('dataverseWebhook', {
    methods: ['POST'],
    authLevel: 'function',
    route: 'dataverse/webhook',
    handler: createWebhookHandler(async () => runtime),
  }),
];

let host: FunctionsHostHandle;
/** The host's log, and whatever the process writes to stderr meanwhile (the host wrote there once). */
const logs: string[] = [];
const stderrWrite = process.stderr.write.bind(process.stderr);
beforeAll(async () => {
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    logs.push(String(chunk).replace(/\n$/, ''));
    return (stderrWrite as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  });
  host = await startFunctionsHost({
    appDir: mkdtempSync(join(tmpdir(), 'fh-redact-')),
    port: 0,
    definitions,
    hostJson: {},
    settings: { DVSYNC_LOCAL_FUNCTION_KEY: FUNCTION_KEY, DVSYNC_LOCAL_MASTER_KEY: MASTER_KEY },
    log: (line) => void logs.push(line),
  });
});
afterAll(async () => {
  await host?.close();
  jest.restoreAllMocks();
});

function expectNoSecretIn(lines: string[]): void {
  const text = lines.join('\n');
  for (const secret of [FUNCTION_KEY, MASTER_KEY, HEADER_SECRET]) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(encodeURIComponent(secret));
    expect(text).not.toContain(secret.slice(0, 12));
  }
}

async function waitForLog(pattern: RegExp, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = logs.find((l) => pattern.test(l));
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no log line ${pattern} within ${timeoutMs} ms:\n${logs.join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Raw HTTP/1.1 on a socket, closed by us after `closeAfterMs` (the response, if any, is ignored). */
function abortingRequest(head: string, body: string, closeAfterMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(host.port, '127.0.0.1', () => {
      socket.write(`${head}\r\nHost: 127.0.0.1:${host.port}\r\nx-functions-key: ${MASTER_KEY}\r\n\r\n${body}`);
      setTimeout(() => socket.destroy(), closeAfterMs);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}

test('a client that aborts while sending the body: the log line has code=[redacted], not the key', async () => {
  const from = logs.length;
  await abortingRequest(
    `POST /api/upload?x=1&code=${encodeURIComponent(FUNCTION_KEY)}&y=2 HTTP/1.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000`,
    'only part of the body',
    50,
  );
  const line = await waitForLog(/failed to answer POST/);
  expect(line).toContain('/api/upload?x=1&code=[redacted]&y=2');
  expectNoSecretIn(logs.slice(from));
});

test('a client that aborts while the handler runs, an answer that cannot be written and a throwing handler: no key in the log', async () => {
  const from = logs.length;
  const started = new Promise<void>((resolve) => (handlerStarted = resolve));
  const aborted = abortingRequest(`GET /api/slow?code=${FUNCTION_KEY} HTTP/1.1`, '', 50);
  await started;
  // The socket closes while the handler is still running (it answers after 300 ms).
  await aborted;
  await waitForLog(/Executed 'Functions\.slow'/);

  await fetch(`${host.url}/api/bad-header?code=${encodeURIComponent(FUNCTION_KEY)}`, { headers: { 'x-functions-key': MASTER_KEY } }).catch(() => undefined);
  const failed = await waitForLog(/failed to answer GET \/api\/bad-header/);
  expect(failed).toContain('code=[redacted]');

  expect((await fetch(`${host.url}/api/throws?code=${encodeURIComponent(FUNCTION_KEY)}`, { headers: { 'x-functions-key': MASTER_KEY } })).status).toBe(500);
  await waitForLog(/Executed 'Functions\.throws' \(Failed/);
  expectNoSecretIn(logs.slice(from));
});

test('the webhook function logs neither the function key nor the HttpHeader secret, whatever it answers', async () => {
  const from = logs.length;
  const post = (body: Uint8Array | string, headers: Record<string, string> = {}) =>
    fetch(`${host.url}/api/dataverse/webhook?code=${encodeURIComponent(FUNCTION_KEY)}`, {
      method: 'POST',
      body: typeof body === 'string' ? body : Buffer.from(body),
      headers: { 'content-type': 'application/json', 'x-dvsync-secret': HEADER_SECRET, 'x-functions-key': MASTER_KEY, ...headers },
    });
  const answers: number[] = [];
  answers.push((await post(FIXTURE)).status);
  answers.push((await post(FIXTURE, { 'x-dvsync-secret': `${HEADER_SECRET}x` })).status);
  answers.push((await post('{"MessageName": oops')).status);
  answers.push((await post(FIXTURE, { 'content-type': 'text/plain' })).status);
  answers.push((await post(FIXTURE, { 'x-ms-dynamics-organization': 'evil.crm.dynamics.com' })).status);
  queueDown = true;
  answers.push((await post(FIXTURE)).status);
  queueDown = false;
  expect(answers).toEqual([202, 401, 400, 415, 403, 503]);
  await waitForLog(/webhook answered 503/);
  expect(logs.slice(from).some((l) => l.includes('webhook.rejected'))).toBe(true);
  expectNoSecretIn(logs.slice(from));
});

test('redaction of one line: code= values, x-functions-key pairs, and the keys themselves, raw or URL-encoded', () => {
  expect(redactUrl('/api/x?code=abc%2Fdef&a=1#f')).toBe('/api/x?code=[redacted]&a=1#f');
  expect(redactUrl('http://h/api/x?a=1&CODE=abc')).toBe('http://h/api/x?a=1&CODE=[redacted]');
  expect(redactUrl('/api/x?barcode=1')).toBe('/api/x?barcode=1');
  expect(redactLine('headers {"x-functions-key":"k1","a":"b"} and x-functions-key: k2, done', [])).toBe(
    'headers {"x-functions-key":"[redacted]","a":"b"} and x-functions-key: [redacted], done',
  );
  expect(redactLine('k=a b/c and a%20b%2Fc', ['a b/c'])).toBe('k=[redacted] and [redacted]');
});
