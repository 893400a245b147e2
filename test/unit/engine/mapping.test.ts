import { mapChange } from '../../../shared/engine/mapping';
import { toIncomingMessages } from '../../../functions/apply-changes';
import { encodeTableKey, decodeTableKey } from '../../../shared/ledger/table-keys';
import { routeSchema } from '../../../shared/routes/schema';
import type { ChangeMessage } from '../../../shared/model/change-message';

const route = routeSchema.parse({
  name: 'contacts',
  source: { table: 'contact' },
  target: {
    environment: 't',
    table: 'contact',
    entitySet: 'contacts',
    key: ['emailaddress1'],
    columns: { emailaddress1: { from: 'email', transforms: ['trim', 'lower'] }, gendercode: { from: 'g', transforms: [{ map: { m: 1, f: 2 } }] } },
    lookups: [
      {
        from: 'customer',
        navigationProperty: { account: 'parentcustomerid_account', contact: 'parentcustomerid_contact' },
        targetTable: ['account', 'contact'],
        key: ['dvs_sourceid'],
      },
    ],
    onDelete: 'deactivate',
  },
});
const sets = (_e: string, t: string) => ({ account: 'accounts', contact: 'contacts' })[t];
const change = (values: ChangeMessage['values'], operation: 'upsert' | 'delete' = 'upsert'): ChangeMessage => ({
  v: 1,
  route: 'contacts',
  origin: 'sync',
  operation,
  source: { table: 'contact' },
  version: '1',
  values,
  receivedAt: '',
});

describe('mapChange', () => {
  it('maps key with transforms and picks the polymorphic navigation property by referenced table', () => {
    const r = mapChange(route, change({ email: '  A@X.com ', g: 'f', customer: { $type: 'reference', table: 'account', id: 'g-1' } }), sets);
    expect(r).toMatchObject({
      type: 'write',
      write: {
        kind: 'upsert',
        keyText: "emailaddress1='a@x.com'",
        columns: { gendercode: 2 },
        binds: [{ property: 'parentcustomerid_account@odata.bind', url: "/accounts(dvs_sourceid='g-1')" }],
      },
    });
  });
  it('turns a delete into a deactivation for onDelete "deactivate"', () => {
    expect(mapChange(route, change({ email: 'a@x.com' }, 'delete'), sets)).toMatchObject({
      write: { kind: 'update', deactivate: true, columns: { statecode: 1 } },
    });
  });
  it('names route, column and value for a bad transform input', () => {
    expect(() => mapChange(route, change({ email: 'a@x.com', g: 'x' }), sets)).toThrow(/Route "contacts", column "gendercode": map: no entry for "x"/);
  });
});

describe('table keys and trigger metadata', () => {
  it('encodes forbidden Table Storage key characters reversibly', () => {
    const k = "name='a/b\\c#d?e%\u0001'";
    // eslint-disable-next-line no-control-regex -- control characters are what Table Storage keys refuse
    expect(encodeTableKey(k)).not.toMatch(/[/\\#?\u0001]/);
    expect(decodeTableKey(encodeTableKey(k))).toBe(k);
  });
  it('coerces numeric message ids from camel-cased, JSON-parsed metadata to strings', () => {
    const m = toIncomingMessages([{ a: 1 }], {
      messageIdArray: [12345],
      sessionIdArray: [7],
      deliveryCountArray: [2],
      applicationPropertiesArray: [{ dvsyncRetries: 1 }],
    });
    expect(m[0]).toMatchObject({ messageId: '12345', sessionId: '7', deliveryCount: 2, applicationProperties: { dvsyncRetries: 1 } });
  });
});
