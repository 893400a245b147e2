import { IntakeRejection } from '../../../shared/webhook/errors';
import { ExactNumber, JsonSyntaxError, parseJson } from '../../../shared/util/json';
import { normalise } from '../../../shared/webhook/normalise';
import { isJsonContentType, parseRemoteContext } from '../../../shared/webhook/parse';
import { HeaderAuthenticator } from '../../../shared/webhook/auth';
import { fixtureBytes } from './fixtures';

const rejection = (f: () => unknown): IntakeRejection => {
  try {
    f();
  } catch (e) {
    if (e instanceof IntakeRejection) return e;
    throw e;
  }
  throw new Error('expected a rejection');
};

describe('JSON parser', () => {
  it('reports line and column', () => {
    expect(() => parseJson('{\n  "a": 1,\n  "b": }')).toThrow(new JsonSyntaxError('expected a JSON value but found "}"', 3, 8));
  });
  it('keeps decimals that a number would change', () => {
    expect(parseJson('[1.0000000000, 10.01, 12345678901234567890, 2]')).toEqual([
      new ExactNumber('1.0000000000'),
      10.01,
      new ExactNumber('12345678901234567890'),
      2,
    ]);
  });
  it('treats __proto__ as data', () => {
    const v = parseJson('{"__proto__": {"x": 1}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(v['__proto__']).toEqual({ x: 1 });
  });
});

describe('webhook body parsing', () => {
  it('refuses bytes that are not UTF-8, naming the offset', () => {
    const r = rejection(() => parseRemoteContext(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])));
    expect(r).toMatchObject({ status: 400, code: 'invalid_encoding' });
    expect(r.message).toContain('offset 2');
  });
  it('answers malformed JSON with line and column', () => {
    const r = rejection(() => parseRemoteContext(Buffer.from('{"MessageName": "Update",\n "Depth": 1,,}')));
    expect(r).toMatchObject({ status: 400, code: 'malformed_json' });
    expect(r.message).toContain('line 2, column 13');
  });
  it('names the path of a schema violation inside the Target', () => {
    const ctx = JSON.parse(fixtureBytes('update-contact-async-postimage-msdocs.json').toString('utf8'));
    ctx.InputParameters[0].value.Attributes[5].value.Id = 'not-a-guid';
    const r = rejection(() => normalise(parseRemoteContext(Buffer.from(JSON.stringify(ctx)))));
    expect(r.status).toBe(400);
    expect(r.problems).toEqual([{ path: 'InputParameters[0].value.Attributes[5].value.Id', message: 'EntityReference needs Id (a GUID)' }]);
  });
  it('names missing envelope fields', () => {
    const r = rejection(() =>
      parseRemoteContext(Buffer.from('{"MessageName":"Create","PrimaryEntityName":"account","OrganizationId":"b0714265-8e72-4d3b-8239-ecf0970a3da6"}')),
    );
    expect(r.problems.map((p) => p.path)).toEqual(['PrimaryEntityId']);
    expect(r.problems[0].message).toContain('missing');
  });
  it('tolerates unknown fields', () => {
    const ctx = JSON.parse(fixtureBytes('update-account-sync-postoperation.json').toString('utf8'));
    ctx.SomethingNew = { nested: true };
    expect(parseRemoteContext(Buffer.from(JSON.stringify(ctx))).MessageName).toBe('Update');
  });
  it('recognises JSON content types', () => {
    expect(isJsonContentType('application/json; charset=utf-8')).toBe(true);
    expect(isJsonContentType('application/vnd.api+json')).toBe(true);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType('application/x-www-form-urlencoded')).toBe(false);
  });
});

describe('header auth', () => {
  const auth = new HeaderAuthenticator({ headerName: 'x-dvsync-secret', secrets: ['old-secret-0123456789', 'new-secret-0123456789'] });
  it('accepts every active secret and nothing else', () => {
    expect(auth.verify('old-secret-0123456789')).toBe(true);
    expect(auth.verify('new-secret-0123456789')).toBe(true);
    expect(auth.verify('new-secret-012345678')).toBe(false);
    expect(auth.verify('')).toBe(false);
    expect(auth.verify(null)).toBe(false);
  });
  it('is off without secrets', () => {
    expect(new HeaderAuthenticator({ headerName: 'x', secrets: [] }).verify(null)).toBe(true);
  });
});
