import { classify, DataverseError } from '../../../shared/dataverse/errors';

/** Bodies as real responses and Microsoft's docs show them (Learn: use-upsert-insert-update-record, webapi/associate-disassociate-entities-using-web-api, api-limits, webapi/compose-http-requests-handle-errors, reference/web-service-error-codes). */
const body = (code: string, message: string) => ({ error: { code, message } });

describe('classify(response)', () => {
  it.each([
    [429, '0x80072322', 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.'],
    [429, '0x80072321', 'Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds.'],
    [429, '0x80072326', 'Number of concurrent requests exceeded the limit of 52.'],
    [429, '0x80072327', 'Too many concurrent requests detected.'],
  ])('429 %s %s is throttled with the Retry-After in ms', (status, code, message) => {
    const e = classify({ status, headers: { 'Retry-After': '17' }, body: body(code, message) });
    expect(e).toMatchObject({ kind: 'throttled', retryable: true, retryAfterMs: 17_000, status: 429, code });
  });

  it('a throttle code is throttled even without the 429 status, and without Retry-After it still waits', () => {
    const e = classify({ status: 503, body: body('0x80072326', 'Number of concurrent requests exceeded the limit of 52.') });
    expect(e.kind).toBe('throttled');
    expect(e.retryAfterMs).toBeGreaterThan(0);
  });

  it('412 0x80060892 (alternate key violated) is a duplicate key, not retryable', () => {
    const e = classify({
      status: 412,
      body: body(
        '0x80060892',
        'Entity Key account_accountnumber violated. A record with the same value for accountnumber already exists. A duplicate record cannot be created.',
      ),
    });
    expect(e).toMatchObject({ kind: 'duplicateKey', retryable: false, code: '0x80060892' });
  });

  it("412 for If-None-Match:* with code '' and the documented message is a duplicate key", () => {
    expect(classify({ status: 412, body: body('', 'A record with matching key values already exists.') }).kind).toBe('duplicateKey');
    expect(
      classify({ status: 412, body: body('0x80040333', 'A record was not created or updated because a duplicate of the current record already exists.') }).kind,
    ).toBe('duplicateKey');
  });

  it('412 0x80060882 (ETag mismatch) is a precondition failure', () => {
    const e = classify({ status: 412, body: body('0x80060882', "The version of the existing record doesn't match the RowVersion property provided.") });
    expect(e.kind).toBe('precondition');
  });

  it('404 by id, by alternate key and the doc example with an empty code are notFound; a wrong set is permanent', () => {
    expect(classify({ status: 404, body: body('0x80040217', 'account With Id = 00000000-0000-0000-0000-000000000001 Does Not Exist') }).kind).toBe('notFound');
    expect(classify({ status: 404, body: body('0x80060891', 'A record with the specified key values does not exist in account entity') }).kind).toBe(
      'notFound',
    );
    expect(classify({ status: 404, body: body('', 'account With Id = 00000000-0000-0000-0000-000000000001 Does Not Exist') }).kind).toBe('notFound');
    expect(classify({ status: 404, body: body('0x8006088a', "Resource not found for the segment 'Account'.") }).kind).toBe('permanent');
  });

  it('hex codes are compared case-insensitively', () => {
    expect(classify({ status: 404, body: body('0x8006088A', 'x') }).code).toBe('0x8006088a');
    expect(classify({ status: 401, body: body('0x8004A101', 'x') }).kind).toBe('auth');
  });

  it('400s are validation errors and never retried', () => {
    for (const [code, message] of [
      ['0x80044331', "A validation error occurred.  The length of the 'subject' attribute of the 'task' entity exceeded the maximum allowed length of '200'."],
      [
        '0x80048d19',
        "Error identified in Payload provided by the user for Entity :'contacts' ----> InnerException : Microsoft.OData.ODataException: An undeclared property 'parentcustomerid'",
      ],
      ['0x80060890', 'The specified key attributes are not a defined key for the account entity'],
      ['0x0', "Could not find a property named 'Name' on type 'Microsoft.Dynamics.CRM.account'."],
    ]) {
      expect(classify({ status: 400, body: body(code, message) })).toMatchObject({ kind: 'validation', retryable: false });
    }
  });

  it('401 is auth, 403 is privilege, 405 and 413 are permanent', () => {
    expect(classify({ status: 403, body: body('0x80040220', 'Principal user (Id=…) is missing prvCreateAccount privilege') }).kind).toBe('privilege');
    expect(classify({ status: 401, body: '' }).kind).toBe('auth');
    expect(classify({ status: 405, body: body('0x80040227', 'CannotDeleteDueToAssociation') }).kind).toBe('permanent');
    expect(classify({ status: 413, body: body('0x8004418a', 'too large') }).kind).toBe('permanent');
  });

  it('5xx and SQL timeout/deadlock codes are transient (even as a 400)', () => {
    for (const status of [500, 502, 503, 504]) expect(classify({ status, body: 'Service Unavailable' })).toMatchObject({ kind: 'transient', retryable: true });
    expect(classify({ status: 400, body: body('0x80044151', 'SQL timeout expired') }).kind).toBe('transient');
    expect(classify({ status: 500, body: body('0x80044150', 'Generic SQL error. Sql Number: 1205') }).kind).toBe('transient');
  });

  it('the message names status, code, request and the server text; extra error fields are kept', () => {
    const e = classify(
      {
        status: 400,
        headers: { REQ_ID: 'r-1' },
        body: { error: { code: '0x80040265', message: 'Plugin said no', '@Microsoft.PowerApps.CDS.TraceText': 'trace' } },
      },
      { method: 'PATCH', url: 'https://x/api/data/v9.2/accounts(1)' },
    );
    expect(e.message).toBe('Dataverse 400 0x80040265 (PATCH https://x/api/data/v9.2/accounts(1)): Plugin said no [request r-1]');
    expect(e.details).toEqual({ '@Microsoft.PowerApps.CDS.TraceText': 'trace' });
  });
});

describe('classify(thrown transport error)', () => {
  it('timeouts and connection resets are transient', () => {
    expect(classify(new DOMException('The operation was aborted due to timeout', 'TimeoutError')).kind).toBe('transient');
    const reset = new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    expect(classify(reset)).toMatchObject({ kind: 'transient', retryable: true });
    const closed = new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    expect(classify(closed).kind).toBe('transient');
  });

  it('an unknown host is permanent and says to check the url; DataverseErrors pass through', () => {
    const dns = new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }) });
    expect(classify(dns)).toMatchObject({ kind: 'permanent' });
    expect(classify(dns).message).toMatch(/Check the environment url/);
    const original = new DataverseError({ kind: 'notFound', message: 'x' });
    expect(classify(original)).toBe(original);
  });
});
