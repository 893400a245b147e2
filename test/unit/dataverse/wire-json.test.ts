/** Exact money/decimal digits from the webhook's lossless parse to the JSON body sent to Dataverse. */
import { buildBatch } from '../../../shared/dataverse/batch';
import { DataverseError } from '../../../shared/dataverse/errors';
import { ExactDecimal, toWireJson } from '../../../shared/dataverse/wire-json';
import { normalise } from '../../../shared/webhook/normalise';
import { parseRemoteContext } from '../../../shared/webhook/parse';
import { fixtureBytes } from '../webhook/fixtures';

describe('toWireJson', () => {
  it('writes ExactDecimal as a bare number literal with every digit, anywhere in the body', () => {
    const body = { creditlimit: new ExactDecimal('12345678901234567.89'), nested: [{ rate: new ExactDecimal('-0.0000000001') }], name: 'x' };
    const json = toWireJson(body);
    expect(json).toBe('{"creditlimit":12345678901234567.89,"nested":[{"rate":-0.0000000001}],"name":"x"}');
    expect(JSON.stringify(body)).not.toContain('12345678901234567.89'); // what plain JSON.stringify would have sent
  });

  it('leaves strings alone, even ones that look like the placeholder or numbers', () => {
    const body = { a: '12345678901234567.89', b: '\u0000dvsync-exact-000000000000:1', c: 1.5 };
    expect(JSON.parse(toWireJson(body))).toEqual(body);
  });

  it('refuses text that is not a JSON number, saying what is expected', () => {
    for (const bad of ['1,5', '01', '1.', 'NaN', '1e', ' 1']) {
      expect(() => new ExactDecimal(bad)).toThrow(DataverseError);
    }
    expect(() => new ExactDecimal('12,5')).toThrow('must be decimal digits');
  });

  it('is what a $batch part carries', () => {
    const { body } = buildBatch(
      [{ method: 'PATCH', url: 'accounts(1b2c3d4e-0000-0000-0000-000000000001)', body: { revenue: new ExactDecimal('98765432109876543.21') } }],
      'https://org.crm.dynamics.com/api/data/v9.2/',
    );
    expect(body).toContain('{"revenue":98765432109876543.21}');
  });
});

describe('money from a webhook keeps its exact text', () => {
  it('a Money Value beyond float precision carries `exact`; an ordinary one stays a plain number', () => {
    const text = fixtureBytes('create-albxrm_alltypes-async-alltypes.json').toString('utf8');
    const big = text.replace(/("__type"\s*:\s*"Money:[^"]*"\s*,\s*"Value"\s*:\s*)2154\.32/, '$112345678901234567.89');
    expect(big).not.toBe(text);
    const values = normalise(parseRemoteContext(Buffer.from(big)), { sizeExceeded: false }).values;
    const money = Object.values(values).filter((v) => typeof v === 'object' && v !== null && '$type' in v && v.$type === 'money');
    // eslint-disable-next-line no-loss-of-precision -- the nearest double of the amount, as the parsed JSON carries it
    expect(money).toContainEqual({ $type: 'money', value: 12345678901234567.89, exact: '12345678901234567.89' });
    expect(money).toContainEqual({ $type: 'money', value: 2154.32 }); // the _base column, unchanged: no exact needed
  });
});
