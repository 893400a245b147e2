/** Conformance of $batch against Learn: webapi/execute-batch-operations-using-web-api (request format, limits, responses, change sets, continue-on-error) and https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors (bare LF). */
import { startHarness, type Harness } from '../query/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.dv.close());

const CRLF = '\r\n';
type Op = { method: string; url: string; body?: unknown; contentId?: string };

function part(op: Op): string {
  const head = ['Content-Type: application/http', 'Content-Transfer-Encoding: binary', ...(op.contentId ? [`Content-ID: ${op.contentId}`] : [])];
  const req = [
    `${op.method} ${op.url} HTTP/1.1`,
    ...(op.body !== undefined ? ['Content-Type: application/json; type=entry'] : []),
    '',
    op.body !== undefined ? JSON.stringify(op.body) : '',
  ];
  return [...head, '', ...req].join(CRLF);
}

function batchBody(items: Array<Op | Op[]>, boundary = 'batch_abc'): string {
  const out: string[] = [];
  items.forEach((item, i) => {
    if (Array.isArray(item)) {
      const cs = `changeset_${i}`;
      out.push(
        `--${boundary}${CRLF}Content-Type: multipart/mixed; boundary=${cs}${CRLF}${CRLF}${item.map((op) => `--${cs}${CRLF}${part(op)}${CRLF}`).join('')}--${cs}--`,
      );
    } else {
      out.push(`--${boundary}${CRLF}${part(item)}${CRLF}`);
    }
  });
  return `${out.join(CRLF)}${CRLF}--${boundary}--${CRLF}`;
}

async function send(body: string, headers: Record<string, string> = {}, boundary = 'batch_abc'): Promise<{ res: Response; text: string }> {
  const res = await h.call('POST', '$batch', { raw: body, headers: { 'content-type': `multipart/mixed; boundary="${boundary}"`, ...headers } });
  return { res, text: await res.text() };
}

const statuses = (text: string): number[] => [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
const countAccounts = async (name: string): Promise<number> =>
  (await h.json(await h.call('GET', `accounts?$select=name&$filter=name eq '${name}'`))).value.length;

describe('$batch', () => {
  it('answers 200 multipart with a new batchresponse boundary, GET and create parts', async () => {
    const { res, text } = await send(
      batchBody([
        { method: 'POST', url: '/api/data/v9.2/accounts', body: { name: 'B1' } },
        { method: 'GET', url: `${h.base}accounts?$select=name&$filter=name%20eq%20'B1'` },
      ]),
    );
    expect(res.status).toBe(200);
    const ct = res.headers.get('content-type')!;
    expect(ct).toMatch(/^multipart\/mixed; boundary=batchresponse_[0-9a-f-]{36}$/);
    const boundary = ct.split('boundary=')[1];
    expect(text.endsWith(`--${boundary}--\r\n`)).toBe(true);
    expect(statuses(text)).toEqual([204, 200]);
    expect(text).toMatch(/Location: .*accounts\([0-9a-f-]{36}\)/);
    expect(text).toMatch(/OData-EntityId: .*accounts\([0-9a-f-]{36}\)/);
    expect(text).toContain('"name":"B1"');
  });

  it('resolves $n Content-ID references inside a change set', async () => {
    const { res, text } = await send(
      batchBody([
        [
          { method: 'POST', url: 'contacts', body: { fullname: 'Ref Contact' }, contentId: '1' },
          { method: 'POST', url: 'accounts', body: { name: 'RefAcct', 'primarycontactid@odata.bind': '$1' }, contentId: '2' },
          { method: 'PATCH', url: '$2', body: { telephone1: '555' }, contentId: '3' },
        ],
      ]),
    );
    expect(res.status).toBe(200);
    expect(statuses(text)).toEqual([204, 204, 204]);
    expect(text).toMatch(/boundary=changesetresponse_[0-9a-f-]{36}/);
    expect(text).toContain('Content-ID: 2');
    const acc = (
      await h.json(
        await h.call('GET', `accounts?$select=telephone1,_primarycontactid_value&$filter=name eq 'RefAcct'`, {
          headers: { prefer: 'odata.include-annotations="*"' },
        }),
      )
    ).value[0];
    expect(acc.telephone1).toBe('555');
    expect(acc['_primarycontactid_value@OData.Community.Display.V1.FormattedValue']).toBe('Ref Contact');
  });

  it('rolls a failed change set back and answers only the failing operation; stops without continue-on-error', async () => {
    const { res, text } = await send(
      batchBody([
        [
          { method: 'POST', url: 'accounts', body: { name: 'Rollback' }, contentId: '1' },
          { method: 'POST', url: 'accounts', body: { name: 'Rollback', nosuchcolumn: 1 }, contentId: '2' },
        ],
        { method: 'POST', url: 'accounts', body: { name: 'AfterFailure' } },
      ]),
    );
    expect(res.status).toBe(400);
    expect(statuses(text)).toEqual([400]);
    expect(text).toContain('Content-ID: 2');
    expect(text).toMatch(/REQ_ID: [0-9a-f-]{36}/);
    expect(text).toContain("Invalid property 'nosuchcolumn'");
    expect(await countAccounts('Rollback')).toBe(0);
    expect(await countAccounts('AfterFailure')).toBe(0);
  });

  it('keeps going with Prefer: odata.continue-on-error', async () => {
    const { res, text } = await send(
      batchBody([
        { method: 'PATCH', url: 'accounts(00000000-0000-0000-0000-000000000001)', body: { name: 'x' } },
        { method: 'DELETE', url: 'accounts(00000000-0000-0000-0000-0000000000aa)' },
        { method: 'POST', url: 'accounts', body: { name: 'Continued' } },
      ]),
      { prefer: 'odata.continue-on-error' },
    );
    expect(res.status).toBe(200);
    expect(statuses(text)).toEqual([204, 404, 204]);
    expect(await countAccounts('Continued')).toBe(1);
  });

  it('refers to an undeclared Content-ID with the documented error', async () => {
    const { text } = await send(batchBody([[{ method: 'PATCH', url: '$9', body: { name: 'x' } }]]));
    expect(text).toContain("Content-ID Reference: '$9' does not exist in the batch context.");
  });

  it('rejects GET in a change set and more than 1,000 operations before running anything', async () => {
    const get = await send(
      batchBody([
        [
          { method: 'POST', url: 'accounts', body: { name: 'NeverGet' } },
          { method: 'GET', url: 'accounts' },
        ],
      ]),
    );
    expect(get.res.status).toBe(400);
    expect(JSON.parse(get.text).error.message).toMatch(/invalid HTTP method 'GET'.*change set/);
    expect(await countAccounts('NeverGet')).toBe(0);
    const many = Array.from({ length: 1001 }, () => ({ method: 'POST', url: 'accounts', body: { name: 'TooMany' } }));
    const big = await send(batchBody([many]));
    expect(big.res.status).toBe(400);
    expect(JSON.parse(big.text).error.message).toContain("A maximum number of '1000' operations are allowed in a change set");
    const flat = await send(batchBody(many));
    expect(JSON.parse(flat.text).error.message).toContain("'1000'");
    expect(await countAccounts('TooMany')).toBe(0);
  });

  it('answers malformed multipart with 400 payload errors, not crashes', async () => {
    const noBoundary = await h.call('POST', '$batch', { raw: '--x\r\n', headers: { 'content-type': 'multipart/mixed' } });
    expect(noBoundary.status).toBe(400);
    expect((await h.json(noBoundary)).error.code).toBe('0x80048d19');
    const unclosed = await send(batchBody([{ method: 'GET', url: 'accounts' }]).replace('--batch_abc--', ''));
    expect(unclosed.res.status).toBe(400);
    expect(JSON.parse(unclosed.text).error.message).toMatch(/closing delimiter '--batch_abc--' is missing/);
    const badLine = await send(batchBody([{ method: 'GET', url: 'accounts' }]).replace('GET accounts HTTP/1.1', 'GET accounts'));
    expect(badLine.res.status).toBe(400);
    expect(JSON.parse(badLine.text).error.message).toMatch(/request line 'GET accounts' is not valid/);
  });

  it('bare LF works by default and fails with 0x80048d19 in strict mode', async () => {
    const lf = batchBody([{ method: 'POST', url: 'accounts', body: { name: 'LfOk' } }]).replace(/\r\n/g, '\n');
    expect((await send(lf)).res.status).toBe(200);
    const { setBatchStrictLineEndings } = await import('../../../../../emulators/dataverse/batch/settings');
    const env = [...h.dv.environments.values()][0];
    setBatchStrictLineEndings(env, true);
    try {
      const strict = await send(lf);
      expect(strict.res.status).toBe(400);
      expect(JSON.parse(strict.text).error).toEqual({ code: '0x80048d19', message: expect.stringContaining('Stream was not readable.') });
    } finally {
      setBatchStrictLineEndings(env, false);
    }
  });
});
