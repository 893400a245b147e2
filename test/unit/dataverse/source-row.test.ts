/** One Web API row → SourceRow converter for sync (bare GUIDs) and the engine's re-read (unannotated lookups omitted). */
import { webApiSourceRow } from '../../../shared/dataverse/source-row';

const row = {
  '@odata.etag': 'W/"1234"',
  accountid: 'a1b2c3d4-0000-0000-0000-000000000001',
  name: 'Contoso',
  'name@OData.Community.Display.V1.FormattedValue': 'Contoso',
  revenue: 12.5,
  donotemail: false,
  description: null,
  _parentaccountid_value: 'a1b2c3d4-0000-0000-0000-000000000002',
  '_parentaccountid_value@Microsoft.Dynamics.CRM.lookuplogicalname': 'account',
  _primarycontactid_value: 'a1b2c3d4-0000-0000-0000-000000000003',
  _ownerid_value: null,
  address: { nested: true },
};
const common = {
  accountid: 'a1b2c3d4-0000-0000-0000-000000000001',
  name: 'Contoso',
  revenue: 12.5,
  donotemail: false,
  description: null,
  parentaccountid: { $type: 'reference', table: 'account', id: 'a1b2c3d4-0000-0000-0000-000000000002' },
  ownerid: null,
};

describe('webApiSourceRow', () => {
  it("unannotatedLookup 'guid' keeps a lookup without its table annotation as the bare GUID", () => {
    expect(webApiSourceRow(row, { unannotatedLookup: 'guid' })).toEqual({ ...common, primarycontactid: 'a1b2c3d4-0000-0000-0000-000000000003' });
  });

  it("unannotatedLookup 'omit' leaves such a lookup out (the target lookup stays untouched)", () => {
    const out = webApiSourceRow(row, { unannotatedLookup: 'omit' });
    expect(out).toEqual(common);
    expect('primarycontactid' in out).toBe(false);
  });
});
