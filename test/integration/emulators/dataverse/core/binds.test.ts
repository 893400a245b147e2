import { client, idFromEntityId, start } from './helpers';
import type { DataverseEmulator } from '../../../../../emulators/dataverse';

let dv: DataverseEmulator;
let api: ReturnType<typeof client>;
beforeAll(async () => {
  dv = await start();
  api = client(dv.url('source'));
});
afterAll(() => dv.close());

describe('@odata.bind (Learn: webapi/associate-disassociate-entities-using-web-api)', () => {
  it('binds a polymorphic lookup by GUID and by alternate key and reads it back as _x_value', async () => {
    const acc = idFromEntityId((await api.post('accounts', { name: 'A', accountnumber: 'BIND-1' })).headers);
    const c1 = await api.post(
      'contacts?$select=_parentcustomerid_value',
      { lastname: 'One', 'parentcustomerid_account@odata.bind': `/accounts(${acc})` },
      { prefer: 'return=representation' },
    );
    expect(c1.json!._parentcustomerid_value).toBe(acc);
    const c2 = await api.post(
      'contacts?$select=_parentcustomerid_value',
      { lastname: 'Two', 'parentcustomerid_account@odata.bind': "accounts(accountnumber='BIND-1')" },
      { prefer: 'return=representation' },
    );
    expect(c2.json!._parentcustomerid_value).toBe(acc);
    const c3 = await api.post('contacts', { lastname: 'Three', 'parentcustomerid_contact@odata.bind': `${dv.url('source')}contacts(${c2.json!.contactid})` });
    expect(c3.status).toBe(204);
    const got = await api.get(`contacts(${idFromEntityId(c3.headers)})`, { prefer: 'odata.include-annotations="*"' });
    expect(got.json!['_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname']).toBe('contact');
  });

  it('the bare polymorphic name answers 400 0x80048d19 "undeclared property"', async () => {
    const r = await api.post('contacts', { lastname: 'x', 'parentcustomerid@odata.bind': '/accounts(00000000-0000-0000-0000-000000000001)' });
    expect(r.status).toBe(400);
    expect(r.json!.error.code).toBe('0x80048d19');
    expect(r.json!.error.message).toContain("An undeclared property 'parentcustomerid' which only has property annotations in the payload");
  });

  it('the logical name where the navigation property uses schema-name casing answers 400', async () => {
    const r = await api.post('dvs_telemetryevents', { dvs_name: 'x', 'dvs_accountid@odata.bind': '/accounts(00000000-0000-0000-0000-000000000001)' });
    expect(r.status).toBe(400);
    expect(r.json!.error.message).toContain("undeclared property 'dvs_accountid'");
  });

  it('a missing bind target answers 404 0x80040217 (GUID) or 0x80060891 (key), and nothing is created', async () => {
    const byId = await api.post('contacts', {
      lastname: 'x',
      dvs_externalid: 'NOPE-1',
      'parentcustomerid_account@odata.bind': '/accounts(00000000-0000-0000-0000-0000000000ff)',
    });
    expect(byId.status).toBe(404);
    expect(byId.json!.error).toEqual({ code: '0x80040217', message: 'account With Id = 00000000-0000-0000-0000-0000000000ff Does Not Exist' });
    const byKey = await api.patch("contacts(dvs_externalid='NOPE-2')", { 'parentcustomerid_account@odata.bind': "/accounts(accountnumber='absent')" });
    expect(byKey.status).toBe(404);
    expect(byKey.json!.error.code).toBe('0x80060891');
    expect((await api.get("contacts(dvs_externalid='NOPE-1')")).status).toBe(404);
    expect((await api.get("contacts(dvs_externalid='NOPE-2')")).status).toBe(404);
  });

  it('clears a lookup with "<navprop>@odata.bind": null', async () => {
    const acc = idFromEntityId((await api.post('accounts', { name: 'P' })).headers);
    const ch = idFromEntityId((await api.post('accounts', { name: 'C', 'parentaccountid@odata.bind': `/accounts(${acc})` })).headers);
    expect((await api.get(`accounts(${ch})?$select=_parentaccountid_value`)).json!._parentaccountid_value).toBe(acc);
    expect((await api.patch(`accounts(${ch})`, { 'parentaccountid@odata.bind': null }, { 'if-match': '*' })).status).toBe(204);
    expect((await api.get(`accounts(${ch})?$select=_parentaccountid_value`)).json!._parentaccountid_value).toBeNull();
  });
});

describe('$ref associate / disassociate', () => {
  it('links and unlinks N:N rows; 1:N through the collection side sets the lookup', async () => {
    const acc = idFromEntityId((await api.post('accounts', { name: 'N' })).headers);
    const lead = idFromEntityId((await api.post('leads', { fullname: 'L' })).headers);
    const env = dv.environments.get('source')!;
    expect((await api.post(`accounts(${acc})/accountleads_association/$ref`, { '@odata.id': `leads(${lead})` })).status).toBe(204);
    expect(env.isLinked('accountleads_association', acc, lead)).toBe(true);
    expect((await api.del(`accounts(${acc})/accountleads_association(${lead})/$ref`)).status).toBe(204);
    expect(env.isLinked('accountleads_association', acc, lead)).toBe(false);
    await api.post(`accounts(${acc})/accountleads_association/$ref`, { '@odata.id': `${dv.url('source')}leads(${lead})` });
    expect((await api.del(`accounts(${acc})/accountleads_association/$ref?$id=${encodeURIComponent(`leads(${lead})`)}`)).status).toBe(204);
    expect(env.isLinked('accountleads_association', acc, lead)).toBe(false);

    const contact = idFromEntityId((await api.post('contacts', { lastname: 'K' })).headers);
    expect((await api.post(`accounts(${acc})/contact_customer_accounts/$ref`, { '@odata.id': `contacts(${contact})` })).status).toBe(204);
    expect((await api.get(`contacts(${contact})?$select=_parentcustomerid_value`)).json!._parentcustomerid_value).toBe(acc);
  });

  it('sets and clears a single-valued navigation property', async () => {
    const acc = idFromEntityId((await api.post('accounts', { name: 'S' })).headers);
    const contact = idFromEntityId((await api.post('contacts', { lastname: 'P' })).headers);
    expect((await api.put(`accounts(${acc})/primarycontactid/$ref`, { '@odata.id': `contacts(${contact})` })).status).toBe(204);
    expect((await api.get(`accounts(${acc})?$select=_primarycontactid_value`)).json!._primarycontactid_value).toBe(contact);
    expect((await api.del(`accounts(${acc})/primarycontactid/$ref`)).status).toBe(204);
    expect((await api.get(`accounts(${acc})?$select=_primarycontactid_value`)).json!._primarycontactid_value).toBeNull();
  });

  it('associating a missing row answers 404', async () => {
    const acc = idFromEntityId((await api.post('accounts', { name: 'M' })).headers);
    const r = await api.post(`accounts(${acc})/accountleads_association/$ref`, { '@odata.id': 'leads(00000000-0000-0000-0000-000000000009)' });
    expect(r.status).toBe(404);
    expect(r.json!.error.code).toBe('0x80040217');
  });
});

describe('EntityDefinitions (Learn: define-alternate-keys-entity)', () => {
  it('lists LogicalName and EntitySetName, and one table with its Keys and index status', async () => {
    const list = await api.get('EntityDefinitions?$select=LogicalName,EntitySetName');
    expect(list.json!.value).toContainEqual({ LogicalName: 'contact', EntitySetName: 'contacts' });
    const one = await api.get(
      "EntityDefinitions(LogicalName='contact')?$select=LogicalName,SchemaName&$expand=Keys($select=KeyAttributes,EntityKeyIndexStatus,SchemaName)",
    );
    expect(one.json).toMatchObject({
      LogicalName: 'contact',
      SchemaName: 'Contact',
      Keys: [
        { KeyAttributes: ['dvs_externalid'], EntityKeyIndexStatus: 'Active', SchemaName: 'dvs_contact_externalid_key' },
        { KeyAttributes: ['emailaddress1'], EntityKeyIndexStatus: 'Active', SchemaName: 'dvs_contact_email_key' },
      ],
    });
    const keys = await api.get("EntityDefinitions(LogicalName='account')/Keys?$select=KeyAttributes");
    expect(keys.json!.value).toEqual([{ KeyAttributes: ['accountnumber'] }, { KeyAttributes: ['dvs_externalid'] }]);
  });
});
