import { bindValue, formatKey, recordPath } from '../../../shared/dataverse/keys';
import { DataverseError } from '../../../shared/dataverse/errors';

describe('alternate-key URL formatting', () => {
  it('leaves a primary-key GUID unquoted (lower-cased)', () => {
    expect(recordPath('accounts', '00000000-0000-0000-0000-00000000000A')).toBe('accounts(00000000-0000-0000-0000-00000000000a)');
  });

  it('quotes strings and doubles single quotes (OData literal)', () => {
    expect(formatKey({ accountnumber: "O'Brien" })).toBe("accountnumber='O''Brien'");
    expect(formatKey({ name: "it''s" })).toBe("name='it''''s'");
  });

  it('percent-encodes spaces, commas, equals, hash and non-ASCII inside the quotes', () => {
    expect(formatKey({ accountnumber: 'A 1,b=c#d' })).toBe("accountnumber='A%201%2Cb%3Dc%23d'");
    expect(formatKey({ name: 'Zoë' })).toBe("name='Zo%C3%AB'");
  });

  it('joins composite keys with commas and no spaces; numbers unquoted', () => {
    expect(recordPath('example_records', { example_key1: 2, example_key2: 2 })).toBe('example_records(example_key1=2,example_key2=2)');
    expect(recordPath('contacts', { firstname: 'Joe', emailaddress1: 'abc@example.com' })).toBe("contacts(firstname='Joe',emailaddress1='abc%40example.com')");
  });

  it('writes a lookup key column GUID unquoted, but quotes a GUID-looking value of a text column', () => {
    const id = '11111111-2222-3333-4444-555555555555';
    expect(formatKey({ _primarycontactid_value: id })).toBe(`_primarycontactid_value=${id}`);
    expect(formatKey({ dvs_sourceid: id })).toBe(`dvs_sourceid='${id}'`);
    expect(formatKey({ dvs_sourceid: { guid: id } })).toBe(`dvs_sourceid=${id}`);
  });

  it('formats dates as ISO literals and bigints exactly', () => {
    expect(formatKey({ when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) })).toBe('when=2024-01-02T03:04:05.000Z');
    expect(formatKey({ big: 12345678901234567890n })).toBe('big=12345678901234567890');
  });

  it.each(['/', '<', '>', '*', '%', '&', ':', '\\', '?', '+'])('refuses a key value containing %s and tells the caller to use another key', (ch) => {
    let caught: unknown;
    try {
      formatKey({ accountnumber: `A${ch}1` });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DataverseError);
    const error = caught as DataverseError;
    expect(error.kind).toBe('validation');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("'accountnumber'");
    expect(error.message).toContain(`'${ch}'`);
    expect(error.message).toContain('Use a different alternate key');
  });

  it('rejects empty values, empty keys, non-GUID ids, bad column and set names', () => {
    expect(() => formatKey({ accountnumber: '' })).toThrow(/'accountnumber' is empty/);
    expect(() => formatKey({})).toThrow(/no columns/);
    expect(() => formatKey('ABC-1')).toThrow(/not a GUID/);
    expect(() => formatKey({ 'bad col': 'x' })).toThrow(/not a column logical name/);
    expect(() => recordPath('accounts(x)', 'ABC')).toThrow(/not an entity set name/);
    expect(() => formatKey({ n: Number.NaN })).toThrow(/non-finite/);
    expect(() => formatKey({ g: { guid: 'nope' } })).toThrow(/not one/);
  });

  it('builds @odata.bind values by key with a leading slash', () => {
    expect(bindValue('accounts', { accountnumber: 'A-1' })).toBe("/accounts(accountnumber='A-1')");
  });
});
