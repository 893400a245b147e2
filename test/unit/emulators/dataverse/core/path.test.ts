import { formatKeyLiteral, parsePath, referencePath } from '../../../../../emulators/dataverse/path';
import { DvError } from '../../../../../emulators/dataverse/errors';

// Key syntax and quoting: Learn: use-alternate-key-reference-record; reference URLs: Learn: webapi/associate-disassociate-entities-using-web-api.
describe('parsePath', () => {
  it('parses a GUID key, a composite key with doubled quotes, integer keys and $ref', () => {
    expect(parsePath('accounts(00000000-0000-0000-0000-0000000000AB)')).toEqual([
      {
        name: 'accounts',
        rawKey: '00000000-0000-0000-0000-0000000000AB',
        key: { kind: 'value', value: { type: 'guid', value: '00000000-0000-0000-0000-0000000000ab' } },
      },
    ]);
    const [c] = parsePath("contacts(firstname='O''Brien, Jr.',emailaddress1='a=b/c@x.com')");
    expect(c.key).toEqual({
      kind: 'named',
      pairs: [
        ['firstname', { type: 'string', value: "O'Brien, Jr." }],
        ['emailaddress1', { type: 'string', value: 'a=b/c@x.com' }],
      ],
    });
    expect(parsePath('example_records(example_key1=2,example_key2=-3)')[0].key).toEqual({
      kind: 'named',
      pairs: [
        ['example_key1', { type: 'number', value: 2, raw: '2' }],
        ['example_key2', { type: 'number', value: -3, raw: '-3' }],
      ],
    });
    expect(parsePath('accounts(00000000-0000-0000-0000-000000000001)/primarycontactid/$ref').map((s) => s.name)).toEqual([
      'accounts',
      'primarycontactid',
      '$ref',
    ]);
  });

  it('rejects an unescaped quote and an unterminated string with a 400 naming the path', () => {
    for (const bad of ["accounts(name='O'Brien')", "accounts(name='open)"]) {
      let err: unknown;
      try {
        parsePath(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DvError);
      expect((err as DvError).status).toBe(400);
      expect((err as DvError).message).toContain(bad);
    }
  });

  it('round-trips string literals through formatKeyLiteral', () => {
    const [s] = parsePath("accounts(accountnumber='It''s ''quoted''')");
    const lit = s.key!.kind === 'named' ? s.key!.pairs[0][1] : undefined;
    expect(formatKeyLiteral(lit!)).toBe("'It''s ''quoted'''");
  });
});

describe('referencePath', () => {
  it('reduces absolute, rooted and relative references to the resource path', () => {
    expect(referencePath('https://org.crm.dynamics.com/api/data/v9.2/contacts(1)')).toBe('contacts(1)');
    expect(referencePath('http://127.0.0.1:7072/target/api/data/v9.2/accounts(accountnumber=%27A%27)')).toBe("accounts(accountnumber='A')");
    expect(referencePath('/accounts(x)')).toBe('accounts(x)');
    expect(referencePath('accounts(x)')).toBe('accounts(x)');
  });
});
