/** HTTP triggers through the local Functions host: routing, methods, auth levels, request/response translation. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpResponse, type HttpRequest, type InvocationContext } from '@azure/functions';
import { httpFunction, type FunctionDefinition } from '../../../functions/definition';
import { startFunctionsHost, type FunctionsHostHandle } from '../../../emulators/functions-host';

const seen: {
  functionName: string;
  invocationId: string;
  params: Record<string, string>;
  query: Record<string, string>;
  bytes: Buffer;
  headers: Record<string, string>;
}[] = [];

async function echo(request: HttpRequest, context: InvocationContext) {
  const bytes = Buffer.from(await request.arrayBuffer());
  seen.push({
    functionName: context.functionName,
    invocationId: context.invocationId,
    params: { ...request.params },
    query: Object.fromEntries(request.query.entries()),
    bytes,
    headers: Object.fromEntries(request.headers.entries()),
  });
  return { status: 201, headers: { 'x-echo-length': String(bytes.length) }, body: bytes };
}

const definitions: FunctionDefinition[] = [
  httpFunction('open', { methods: ['GET', 'POST'], authLevel: 'anonymous', route: 'items/{id}/{part?}', handler: echo }),
  httpFunction('openList', { methods: ['GET'], authLevel: 'anonymous', route: 'items/special', handler: async () => ({ jsonBody: { special: true } }) }),
  httpFunction('keyed', { methods: ['POST'], authLevel: 'function', route: 'keyed', handler: echo }),
  httpFunction('adminOnly', { methods: ['GET'], authLevel: 'admin', route: 'admin/thing', handler: echo }),
  httpFunction('defaultRoute', { handler: async () => new HttpResponse({ status: 202, cookies: [{ name: 'a', value: 'b', httpOnly: true }] }) }),
  httpFunction('broken', {
    methods: ['GET'],
    route: 'broken',
    handler: async () => {
      throw new Error('handler exploded');
    },
  }),
  httpFunction('typed', { methods: ['GET'], route: 'typed/{n:int}', handler: async (r) => ({ jsonBody: { n: r.params.n } }) }),
];

let host: FunctionsHostHandle;
const logs: string[] = [];

beforeAll(async () => {
  const appDir = mkdtempSync(join(tmpdir(), 'fh-http-'));
  writeFileSync(
    join(appDir, 'local.settings.json'),
    JSON.stringify({ IsEncrypted: false, Values: { FROM_LOCAL: 'local', DVSYNC_LOCAL_FUNCTION_KEY: 'fn-key-1' } }),
  );
  host = await startFunctionsHost({
    appDir,
    port: 0,
    definitions,
    hostJson: { version: '2.0' },
    settings: { DVSYNC_LOCAL_MASTER_KEY: 'master-key-1' },
    log: (l) => logs.push(l),
  });
});
afterAll(() => host.close());

const call = (path: string, init?: RequestInit) => fetch(`${host.url}${path}`, init);

test('routes {id} and an optional {part?} under the api prefix and passes params and query', async () => {
  const one = await call('/api/items/42?x=1&x=2&y=z');
  expect(one.status).toBe(201);
  expect(seen.at(-1)).toMatchObject({ functionName: 'open', params: { id: '42' }, query: { x: '1,2', y: 'z' } });
  const two = await call('/api/ITEMS/42/detail');
  expect(two.status).toBe(201);
  expect(seen.at(-1)!.params).toEqual({ id: '42', part: 'detail' });
  expect(seen.at(-2)!.invocationId).not.toBe(seen.at(-1)!.invocationId);
});

test('a literal route wins over a parameter route', async () => {
  const res = await call('/api/items/special');
  expect(await res.json()).toEqual({ special: true });
  expect(res.headers.get('content-type')).toBe('application/json');
});

test('unknown path, missing prefix, wrong method and failed constraint are 404 like the host', async () => {
  expect((await call('/api/nothing')).status).toBe(404);
  expect((await call('/items/42')).status).toBe(404);
  expect((await call('/api/items/42', { method: 'DELETE' })).status).toBe(404);
  expect((await call('/api/typed/abc')).status).toBe(404);
  expect(await (await call('/api/typed/7')).json()).toEqual({ n: '7' });
});

test('raw body bytes reach the handler unmodified, including invalid UTF-8', async () => {
  const bytes = Buffer.concat([Buffer.from('{"a":"é"}'), Buffer.from([0xff, 0xfe, 0x00, 0xc3])]);
  const res = await call('/api/items/1', { method: 'POST', body: bytes, headers: { 'content-type': 'application/json' } });
  expect(res.status).toBe(201);
  expect(res.headers.get('x-echo-length')).toBe(String(bytes.length));
  expect(seen.at(-1)!.bytes.equals(bytes)).toBe(true);
  expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  expect(seen.at(-1)!.headers['content-type']).toBe('application/json');
});

test('authLevel function needs the function key or the master key, via ?code= or x-functions-key', async () => {
  expect((await call('/api/keyed', { method: 'POST' })).status).toBe(401);
  expect((await call('/api/keyed?code=wrong', { method: 'POST' })).status).toBe(401);
  expect((await call('/api/keyed?code=fn-key-1', { method: 'POST' })).status).toBe(201);
  expect((await call('/api/keyed', { method: 'POST', headers: { 'x-functions-key': 'fn-key-1' } })).status).toBe(201);
  expect((await call('/api/keyed', { method: 'POST', headers: { 'x-functions-key': 'master-key-1' } })).status).toBe(201);
  expect(host.functionKey).toBe('fn-key-1');
});

test('authLevel admin accepts only the master key', async () => {
  expect((await call('/api/admin/thing?code=fn-key-1')).status).toBe(401);
  expect((await call('/api/admin/thing?code=master-key-1')).status).toBe(201);
});

test('route defaults to the function name; an HttpResponse with cookies is translated', async () => {
  const res = await call('/api/defaultRoute', { method: 'POST' });
  expect(res.status).toBe(202);
  expect(res.headers.get('set-cookie')).toBe('a=b; HttpOnly');
  expect((await call('/api/defaultRoute', { method: 'PUT' })).status).toBe(404);
});

test('an unhandled throw is a 500 with no body, and the error is logged with the function name', async () => {
  const res = await call('/api/broken');
  expect(res.status).toBe(500);
  expect(await res.text()).toBe('');
  expect(logs.some((l) => l.includes("Executed 'Functions.broken' (Failed") && l.includes('handler exploded'))).toBe(true);
});

test('app settings: local.settings.json Values reach process.env, overrides win, keys are generated when absent', async () => {
  expect(process.env.FROM_LOCAL).toBe('local');
  expect(host.settings.DVSYNC_LOCAL_MASTER_KEY).toBe('master-key-1');
  const other = await startFunctionsHost({ appDir: mkdtempSync(join(tmpdir(), 'fh-empty-')), port: 0, definitions: [], hostJson: {}, log: () => undefined });
  try {
    expect(other.functionKey).toMatch(/^[A-Za-z0-9_-]{40}$/);
    expect(other.masterKey).not.toBe(other.functionKey);
  } finally {
    await other.close();
  }
});

test('keys set only in the environment (not in local.settings.json) are the keys; generated keys never leak into process.env', async () => {
  expect(process.env.DVSYNC_LOCAL_FUNCTION_KEY).toBeUndefined();
  process.env.DVSYNC_LOCAL_FUNCTION_KEY = 'env-fn-key';
  process.env.DVSYNC_LOCAL_MASTER_KEY = 'env-master-key';
  const other = await startFunctionsHost({ appDir: mkdtempSync(join(tmpdir(), 'fh-envkeys-')), port: 0, definitions, hostJson: {}, log: () => undefined });
  try {
    expect([other.functionKey, other.masterKey]).toEqual(['env-fn-key', 'env-master-key']);
    const at = (path: string, init?: RequestInit) => fetch(`${other.url}${path}`, init);
    expect((await at('/api/keyed?code=env-fn-key', { method: 'POST' })).status).toBe(201);
    expect((await at('/api/keyed', { method: 'POST', headers: { 'x-functions-key': 'env-master-key' } })).status).toBe(201);
    expect((await at('/api/admin/thing?code=env-master-key')).status).toBe(201);
    expect((await at('/api/keyed?code=fn-key-1', { method: 'POST' })).status).toBe(401);
    expect((await at('/api/admin/thing?code=env-fn-key')).status).toBe(401);
  } finally {
    delete process.env.DVSYNC_LOCAL_FUNCTION_KEY;
    delete process.env.DVSYNC_LOCAL_MASTER_KEY;
    await other.close();
  }
});

test('a taken port is a clear error naming the port', async () => {
  const port = host.port;
  await expect(startFunctionsHost({ appDir: tmpdir(), port, definitions: [], hostJson: {}, portSettingName: '--port', log: () => undefined })).rejects.toThrow(
    new RegExp(`127\\.0\\.0\\.1:${port}.*already in use.*--port`),
  );
});
