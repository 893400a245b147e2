/** The client against a loopback HTTP server of our own, for exact control of headers and failures. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataverseClient } from '../../../shared/dataverse/client';
import { DataverseError } from '../../../shared/dataverse/errors';
import type { TokenProvider } from '../../../shared/dataverse/auth';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Reply = ((req: IncomingMessage, res: ServerResponse, seen: Seen) => void) & { path?: string };
const on = (path: string, reply: Reply): Reply => Object.assign(reply, { path });

let server: Server;
let base: string;
let replies: Reply[] = [];
let seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(s);
      // Replies are consumed in order by requests they match (a late, aborted request from an earlier test must not steal one).
      const at = replies.findIndex((r) => !r.path || s.url.includes(r.path));
      const reply: Reply = at >= 0 ? replies.splice(at, 1)[0] : (_q, r) => r.writeHead(204).end();
      reply(req, res, s);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/data/v9.2/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  replies = [];
  seen = [];
});

function tokens(): TokenProvider & { issued: number } {
  const t = {
    issued: 0,
    async getToken() {
      return `token-${t.issued || ++t.issued}`;
    },
    invalidate() {
      t.issued++;
    },
  };
  return t;
}

describe('wire behaviour', () => {
  it('sends the standard headers, If-None-Match: null on GETs, the write tag and option headers, and never a cookie', async () => {
    const client = new DataverseClient({ baseUrl: base, tokens: tokens(), writeTag: 'dvsync-test' });
    replies.push((_q, r) =>
      r.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'ARRAffinity=abc; Path=/', 'x-ms-dop-hint': '12' }).end('{"name":"x"}'),
    );
    const read = await client.retrieve('accounts', { accountnumber: 'A 1' }, { select: ['name'] });
    expect(read.meta.dopHint).toBe(12);
    await client.upsert(
      'accounts',
      { accountnumber: 'A-1' },
      { name: 'n' },
      { mode: 'updateOnly', bypassCustomPlugins: true, suppressDuplicateDetection: false, callerObjectId: 'oid-1' },
    );
    await client.upsert('accounts', { accountnumber: 'A-1' }, { name: 'n' }, { mode: 'createOnly' });
    const [get, update, create] = seen;
    expect(get.method).toBe('GET');
    expect(get.url).toBe("/api/data/v9.2/accounts(accountnumber='A%201')?$select=name");
    expect(get.headers).toMatchObject({
      accept: 'application/json',
      'odata-maxversion': '4.0',
      'odata-version': '4.0',
      'if-none-match': 'null',
      authorization: 'Bearer token-1',
    });
    expect(update.url).toBe("/api/data/v9.2/accounts(accountnumber='A-1')?tag=dvsync-test");
    expect(update.headers).toMatchObject({
      'if-match': '*',
      'mscrm.bypasscustompluginexecution': 'true',
      'mscrm.suppressduplicatedetection': 'false',
      callerobjectid: 'oid-1',
    });
    expect(update.headers['content-type']).toMatch(/^application\/json/);
    expect(update.headers['if-none-match']).toBeUndefined();
    expect(JSON.parse(update.body)).toEqual({ name: 'n' });
    expect(create.headers['if-none-match']).toBe('*');
    for (const s of seen) expect(s.headers.cookie).toBeUndefined();
  });

  it('refreshes the token once on 401 and retries', async () => {
    const t = tokens();
    const client = new DataverseClient({ baseUrl: base, tokens: t });
    replies.push((_q, r) => r.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"0x8004a101","message":"expired"}}'));
    await client.delete('accounts', '00000000-0000-0000-0000-000000000001');
    expect(seen.map((s) => s.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('a dropped connection and a timeout are transient DataverseErrors; a caller abort is passed through', async () => {
    const client = new DataverseClient({ baseUrl: base, tokens: tokens() });
    replies.push((req) => req.socket.destroy());
    const dropped = await client.delete('accounts', '00000000-0000-0000-0000-000000000001').catch((e) => e);
    expect(dropped).toBeInstanceOf(DataverseError);
    expect(dropped).toMatchObject({ kind: 'transient', retryable: true, status: undefined });

    replies.push(() => undefined); // never answers
    const timedOut = await client.delete('accounts', '00000000-0000-0000-0000-000000000001', { timeoutMs: 50 }).catch((e) => e);
    expect(timedOut).toMatchObject({ kind: 'transient' });
    expect(timedOut.message).toMatch(/timed out/);

    replies.push(() => undefined);
    const controller = new AbortController();
    const aborted = client.delete('accounts', '00000000-0000-0000-0000-000000000001', { signal: controller.signal }).catch((e) => e);
    setTimeout(() => controller.abort(new Error('function shutting down')), 20);
    expect((await aborted).message).toBe('function shutting down');
  });

  it('a whole $batch refused with a plain 429 is thrown as throttled with Retry-After', async () => {
    const client = new DataverseClient({ baseUrl: base, tokens: tokens() });
    replies.push(
      on('$batch', (_q, r) =>
        r
          .writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' })
          .end('{"error":{"code":"0x80072322","message":"Number of requests exceeded the limit of 6000 over time window of 300 seconds."}}'),
      ),
    );
    const e = await client.batch([{ method: 'DELETE', url: 'accounts(00000000-0000-0000-0000-000000000001)' }]).catch((x) => x);
    expect(e.message).toContain('0x80072322');
    expect(e).toMatchObject({ kind: 'throttled', retryAfterMs: 7000, code: '0x80072322' });
    const batch = seen.find((x) => x.url.includes('$batch')) as Seen;
    expect(batch.headers['content-type']).toMatch(/^multipart\/mixed; boundary=batch_/);
    expect(batch.body).toContain('DELETE /api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)?tag=dvsync HTTP/1.1\r\n');
  });

  it('a batch stopped at its first failure (outer 400, multipart body) still yields per-operation outcomes', async () => {
    const client = new DataverseClient({ baseUrl: base, tokens: tokens() });
    replies.push(
      on('$batch', (_q, r) =>
        r
          .writeHead(400, { 'content-type': 'multipart/mixed; boundary=batchresponse_x' })
          .end(
            '--batchresponse_x\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Type: application/json; odata.metadata=minimal\r\n\r\n' +
              '{"error":{"code":"0x80060891","message":"A record with the specified key values does not exist in account entity"}}\r\n--batchresponse_x--\r\n',
          ),
      ),
    );
    const result = await client.batch([
      { method: 'PATCH', url: "accounts(accountnumber='X')", headers: { 'If-Match': '*' }, body: {} },
      { method: 'PATCH', url: "accounts(accountnumber='Y')", body: {} },
    ]);
    expect(result.status).toBe(400);
    expect(result.outcomes.map((o) => o.state)).toEqual(['failed', 'notExecuted']);
  });

  it('UpsertMultiple sends @odata.type and @odata.id, key columns only in the key; CreateMultiple returns the ids', async () => {
    const client = new DataverseClient({ baseUrl: base, tokens: tokens() });
    await client.upsertMultiple({ entitySet: 'accounts', logicalName: 'account' }, [
      { key: { accountnumber: 'K-1' }, body: { accountnumber: 'K-1', name: 'A' } },
    ]);
    const um = seen.find((x) => x.url.includes('UpsertMultiple')) as Seen;
    expect(um.url).toBe('/api/data/v9.2/accounts/Microsoft.Dynamics.CRM.UpsertMultiple?tag=dvsync');
    expect(JSON.parse(um.body)).toEqual({
      Targets: [{ '@odata.type': 'Microsoft.Dynamics.CRM.account', '@odata.id': "accounts(accountnumber='K-1')", name: 'A' }],
    });
    await expect(
      client.upsertMultiple({ entitySet: 'accounts', logicalName: 'account' }, [{ key: { accountnumber: 'K-1' }, body: { accountnumber: 'K-2' } }]),
    ).rejects.toThrow(/key column 'accountnumber' is "K-1" in the key but "K-2" in the body/);
    replies.push((_q, r) => r.writeHead(200, { 'content-type': 'application/json' }).end('{"Ids":["11111111-1111-1111-1111-111111111111"]}'));
    const created = await client.createMultiple({ entitySet: 'accounts', logicalName: 'account' }, [{ name: 'x' }]);
    expect(created.ids).toEqual(['11111111-1111-1111-1111-111111111111']);
  });
});
