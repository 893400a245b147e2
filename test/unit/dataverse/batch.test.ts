import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBatch, matchOutcomes, parseBatchResponse, type BatchPart } from '../../../shared/dataverse/batch';
import { type DataverseError } from '../../../shared/dataverse/errors';

const BASE = 'https://org.crm.dynamics.com/api/data/v9.2/';
const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

describe('buildBatch', () => {
  const built = buildBatch(
    [
      { method: 'GET', url: 'accounts(00000000-0000-0000-0000-000000000001)?$select=name' },
      {
        changeSet: [
          { method: 'POST', url: 'accounts', body: { name: 'A' } },
          { method: 'PATCH', url: '$1', body: { 'primarycontactid@odata.bind': '/contacts(00000000-0000-0000-0000-000000000002)' } },
        ],
      },
    ],
    BASE,
    'fixed',
  );

  it('uses CRLF only, the documented part headers, path request lines and a closing delimiter', () => {
    expect(built.contentType).toBe('multipart/mixed; boundary=batch_fixed');
    expect(built.body.replace(/\r\n/g, '')).not.toMatch(/\n/);
    expect(
      built.body.startsWith(
        '--batch_fixed\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nGET /api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)?$select=name HTTP/1.1\r\n',
      ),
    ).toBe(true);
    expect(built.body.endsWith('\r\n--batch_fixed--\r\n')).toBe(true);
    expect(built.body).toContain(
      'Content-ID: 1\r\n\r\nPOST /api/data/v9.2/accounts HTTP/1.1\r\nContent-Type: application/json; type=entry\r\n\r\n{"name":"A"}',
    );
    expect(built.body).toContain('Content-ID: 2\r\n\r\nPATCH $1 HTTP/1.1\r\nContent-Type: application/json\r\n');
    expect(built.body).toMatch(/Content-Type: multipart\/mixed; boundary=changeset_[0-9a-f-]+\r\n\r\n--changeset_/);
  });

  it('assigns Content-IDs to change-set operations, skipping ones the caller already used', () => {
    const b = buildBatch(
      [
        {
          changeSet: [
            { method: 'POST', url: 'a', body: {} },
            { method: 'POST', url: 'b', body: {}, contentId: '1' },
          ],
        },
      ],
      BASE,
    );
    expect(b.operations.map((o) => o.contentId)).toEqual(['2', '1']);
  });

  it('refuses GET in a change set, empty batches and more than 1,000 operations, with what to do', () => {
    expect(() => buildBatch([{ changeSet: [{ method: 'GET', url: 'accounts' }] }], BASE)).toThrow(/GET is not allowed inside a change set/);
    expect(() => buildBatch([], BASE)).toThrow(/at least one operation/);
    const many = Array.from({ length: 1001 }, () => ({ method: 'DELETE' as const, url: 'accounts(00000000-0000-0000-0000-000000000001)' }));
    expect(() => buildBatch(many, BASE)).toThrow(/at most 1000 operations; got 1001. Split/);
  });
});

describe('parseBatchResponse on Microsoft documentation samples', () => {
  it.each([
    ['LF', (t: string) => t],
    ['CRLF', crlf],
  ])('reads a change set + GET response (%s)', (_name, convert) => {
    const parts = parseBatchResponse(
      'multipart/mixed; boundary=batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f',
      convert(fixture('changeset-response.http')),
    );
    expect(parts).toHaveLength(2);
    const set = parts[0] as BatchPart[];
    expect(set.map((p) => [p.contentId, p.status])).toEqual([
      ['1', 204],
      ['2', 204],
      ['3', 204],
    ]);
    expect(set[1].headers['odata-entityid']).toBe('https://org.crm.dynamics.com/api/data/v9.2/tasks(e83ffc82-e292-ed11-aad1-000d3a9933c9)');
    expect(set[0].body).toBeUndefined();
    const get = parts[1] as BatchPart;
    expect(get.status).toBe(200);
    expect((get.body as { value: Array<{ subject: string }> }).value.map((v) => v.subject)).toEqual(['Task 1 in batch', 'Task 2 in batch', 'Task 3 in batch']);
  });

  it('reads per-part errors of a continue-on-error response as classified DataverseErrors', () => {
    const text = crlf(fixture('continue-on-error-response.http'));
    const built = buildBatch(
      [1, 2, 3].map((n) => ({ method: 'POST' as const, url: 'tasks', body: { subject: `Task ${n}` } })),
      BASE,
    );
    const outcomes = matchOutcomes(built, parseBatchResponse('multipart/mixed; boundary="batchresponse_f44bd09d-573f-4a30-bca0-2e500ee7e139"', text));
    expect(outcomes.map((o) => o.state)).toEqual(['failed', 'succeeded', 'succeeded']);
    const failed = outcomes[0] as { state: 'failed'; error: DataverseError; part: BatchPart };
    expect(failed.error).toMatchObject({ kind: 'validation', code: '0x80044331', status: 400 });
    expect(failed.error.message).toContain('de4c5227-4a28-4ebd-8ced-3392ece1697b');
  });

  it('rejects a non-multipart answer with a clear message', () => {
    expect(() => parseBatchResponse('application/json', '{}')).toThrow(/not multipart\/mixed/);
  });
});

describe('matchOutcomes', () => {
  const built = buildBatch(
    [
      { method: 'POST', url: 'accounts', body: { name: 'first' } },
      {
        changeSet: [
          { method: 'POST', url: 'accounts', body: {} },
          { method: 'POST', url: 'contacts', body: {} },
          { method: 'PATCH', url: '$1', body: {} },
        ],
      },
      { method: 'DELETE', url: 'accounts(00000000-0000-0000-0000-000000000009)' },
    ],
    BASE,
    'm',
  );

  const part = (status: number, contentId?: string, body?: unknown): BatchPart => ({
    status,
    statusText: '',
    headers: {},
    body,
    ...(contentId ? { contentId } : {}),
  });

  it('marks the rest of a failed change set rolled back (with the cause) and later parts not executed when the batch stopped', () => {
    const failure = { error: { code: '0x80060892', message: 'Entity Key violated' } };
    const outcomes = matchOutcomes(built, [part(204), [part(412, '2', failure)]]);
    expect(outcomes.map((o) => o.state)).toEqual(['succeeded', 'rolledBack', 'failed', 'rolledBack', 'notExecuted']);
    expect((outcomes[1] as { error?: DataverseError }).error?.kind).toBe('duplicateKey');
  });

  it('round-trips: every operation succeeded when every part answered 2xx', () => {
    const outcomes = matchOutcomes(built, [part(204), [part(204, '1'), part(204, '2'), part(204, '3')], part(204)]);
    expect(outcomes.every((o) => o.state === 'succeeded')).toBe(true);
  });
});
