import { client, idFromEntityId, start } from './helpers';
import type { DataverseEmulator } from '../../../../../emulators/dataverse';

let dv: DataverseEmulator;
let api: ReturnType<typeof client>;
beforeAll(async () => {
  dv = await start();
  api = client(dv.url('target'));
});
afterAll(() => dv.close());
beforeEach(() => fetch(`${dv.operatorUrl}reset`, { method: 'POST' }));

describe('create (Learn: webapi/create-entity-web-api)', () => {
  it('POST answers 204 with OData-EntityId and OData-Version', async () => {
    const r = await api.post('accounts', { name: 'Contoso' });
    expect(r.status).toBe(204);
    expect(r.headers.get('odata-entityid')).toMatch(new RegExp(`^${dv.url('target').replace(/[.]/g, '\\.')}accounts\\([0-9a-f-]{36}\\)$`));
    expect(r.headers.get('odata-version')).toBe('4.0');
    const got = await api.get(`accounts(${idFromEntityId(r.headers)})?$select=name`);
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ name: 'Contoso', '@odata.etag': expect.stringMatching(/^W\/"\d+"$/) });
    expect(got.headers.get('etag')).toBe(got.json!['@odata.etag']);
    expect(got.json!['@odata.context']).toBe(`${dv.url('target')}$metadata#accounts(name,accountid)/$entity`);
  });

  it('Prefer return=representation answers 201 with the row and no OData-EntityId', async () => {
    const r = await api.post('accounts?$select=name', { name: 'Fabrikam' }, { prefer: 'return=representation' });
    expect(r.status).toBe(201);
    expect(r.headers.get('odata-entityid')).toBeNull();
    expect(r.headers.get('preference-applied')).toBe('return=representation');
    expect(r.json).toMatchObject({ name: 'Fabrikam', accountid: expect.any(String) });
  });

  it('rejects an unknown property, a wrong type and a too-long string with the documented 400s (https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors)', async () => {
    const unknown = await api.post('accounts', { Name: 'x' });
    expect(unknown.status).toBe(400);
    expect(unknown.json!.error.message).toContain("Invalid property 'Name' was found in entity 'Microsoft.Dynamics.CRM.account'");
    const wrongType = await api.post('accounts', { numberofemployees: 'many' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json!.error).toMatchObject({ code: '0x80048d19', message: expect.stringContaining("'Edm.Int32'") });
    const long = await api.post('accounts', { accountnumber: 'x'.repeat(21) });
    expect(long.status).toBe(400);
    expect(long.json!.error).toEqual({
      code: '0x80044331',
      message: "A validation error occurred. The length of the 'accountnumber' attribute of the 'account' entity exceeded the maximum allowed length of '20'.",
    });
    expect((await api.get("accounts(accountnumber='x')")).status).toBe(404);
  });

  it('answers 404 with an empty code for a method the resource does not support (https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors)', async () => {
    const id = idFromEntityId((await api.post('accounts', { name: 'x' })).headers);
    const r = await api.put(`accounts(${id})`, { name: 'y' });
    expect(r.status).toBe(404);
    expect(r.json!.error).toEqual({ code: '', message: `No HTTP resource was found that matches the request URI '${dv.url('target')}accounts(${id})'.` });
  });

  it('answers 404 0x8006088a for a wrong entity set (case-sensitive)', async () => {
    const r = await api.post('Accounts', { name: 'x' });
    expect(r.status).toBe(404);
    expect(r.json!.error).toEqual({ code: '0x8006088a', message: "Resource not found for the segment 'Accounts'." });
  });
});

describe('read by id and alternate key (Learn: use-alternate-key-reference-record)', () => {
  it('finds rows by GUID, <primaryid>=GUID and an alternate key with a doubled quote', async () => {
    const r = await api.post('accounts', { name: 'Irish', accountnumber: "O'Brien-1" });
    const id = idFromEntityId(r.headers);
    for (const path of [`accounts(${id})`, `accounts(accountid=${id})`, `accounts(accountnumber='O''Brien-1')`, `accounts(accountnumber='o''brien-1')`]) {
      const got = await api.get(`${encodeURI(path)}?$select=accountnumber`);
      expect({ path, status: got.status, value: got.json?.accountnumber }).toEqual({ path, status: 200, value: "O'Brien-1" });
    }
  });

  it('answers 404 0x80040217 by id and 0x80060891 by key', async () => {
    const byId = await api.get('accounts(00000000-0000-0000-0000-000000000001)');
    expect(byId.status).toBe(404);
    expect(byId.json!.error).toEqual({ code: '0x80040217', message: 'account With Id = 00000000-0000-0000-0000-000000000001 Does Not Exist' });
    const byKey = await api.get("accounts(accountnumber='nope')");
    expect(byKey.status).toBe(404);
    expect(byKey.json!.error).toEqual({ code: '0x80060891', message: 'A record with the specified key values does not exist in account entity' });
  });

  it('answers 400 0x80060890 for columns that are not a defined key', async () => {
    const r = await api.get("accounts(name='x')");
    expect(r.status).toBe(400);
    expect(r.json!.error.code).toBe('0x80060890');
    expect(r.json!.error.message).toContain("The key in the request URI is not valid for resource 'Microsoft.Dynamics.CRM.account'");
  });

  it('answers 400 0x0 for an unknown $select property', async () => {
    const r = await api.post('accounts', { name: 'a' });
    const got = await api.get(`accounts(${idFromEntityId(r.headers)})?$select=Name`);
    expect(got.status).toBe(400);
    expect(got.json!.error).toEqual({ code: '0x0', message: "Could not find a property named 'Name' on type 'Microsoft.Dynamics.CRM.account'." });
  });

  it('conditional GET with the current etag answers 304 (Learn: webapi/perform-conditional-operations-using-web-api)', async () => {
    const r = await api.post('accounts', { name: 'a' });
    const path = `accounts(${idFromEntityId(r.headers)})`;
    const first = await api.get(path);
    const again = await api.get(path, { 'if-none-match': first.json!['@odata.etag'] });
    expect(again.status).toBe(304);
    await api.patch(path, { name: 'b' }, { 'if-match': '*' });
    expect((await api.get(path, { 'if-none-match': first.json!['@odata.etag'] })).status).toBe(200);
  });
});

describe('upsert (Learn: use-upsert-insert-update-record)', () => {
  it('answers 204 for create and for update and echoes the alternate-key URL', async () => {
    const path = "accounts(accountnumber='A-1')";
    const created = await api.patch(path, { name: 'one' });
    expect(created.status).toBe(204);
    expect(created.headers.get('odata-entityid')).toBe(`${dv.url('target')}${path}`);
    const updated = await api.patch(path, { name: 'two' });
    expect(updated.status).toBe(204);
    expect((await api.get(`${path}?$select=name`)).json!.name).toBe('two');
  });

  it('with return=representation answers 201 on create and 200 on update', async () => {
    const path = 'accounts(11111111-1111-1111-1111-111111111111)?$select=name';
    const c = await api.patch(path, { name: 'new' }, { prefer: 'return=representation' });
    expect(c.status).toBe(201);
    expect(c.json!.accountid).toBe('11111111-1111-1111-1111-111111111111');
    const u = await api.patch(path, { name: 'again' }, { prefer: 'return=representation' });
    expect(u.status).toBe(200);
    expect(u.json!.name).toBe('again');
  });

  it('If-Match: * on a missing row answers 404 and creates nothing', async () => {
    const byId = await api.patch('accounts(22222222-2222-2222-2222-222222222222)', { name: 'x' }, { 'if-match': '*' });
    expect(byId.status).toBe(404);
    expect(byId.json!.error.code).toBe('0x80040217');
    const byKey = await api.patch("accounts(accountnumber='missing')", { name: 'x' }, { 'if-match': '*' });
    expect(byKey.status).toBe(404);
    expect(byKey.json!.error.code).toBe('0x80060891');
    expect((await api.get("accounts(accountnumber='missing')")).status).toBe(404);
  });

  it('If-None-Match: * on an existing row answers 412 0x80040237 and changes nothing', async () => {
    await api.patch("accounts(accountnumber='B-1')", { name: 'orig' });
    const r = await api.patch("accounts(accountnumber='B-1')", { name: 'changed' }, { 'if-none-match': '*' });
    expect(r.status).toBe(412);
    expect(r.json!.error).toEqual({ code: '0x80040237', message: 'A record with matching key values already exists.' });
    expect((await api.get("accounts(accountnumber='B-1')?$select=name")).json!.name).toBe('orig');
  });

  it('If-Match with a stale etag answers 412 0x80060882 (Learn: webapi/perform-conditional-operations-using-web-api)', async () => {
    await api.patch("accounts(accountnumber='E-1')", { name: 'v1' });
    const v1 = (await api.get("accounts(accountnumber='E-1')")).json!['@odata.etag'];
    const ok = await api.patch("accounts(accountnumber='E-1')", { name: 'v2' }, { 'if-match': v1 });
    expect(ok.status).toBe(204);
    const stale = await api.patch("accounts(accountnumber='E-1')", { name: 'v3' }, { 'if-match': v1 });
    expect(stale.status).toBe(412);
    expect(stale.json!.error).toEqual({ code: '0x80060882', message: "The version of the existing record doesn't match the RowVersion property provided." });
  });

  it('key columns in the body win on create and are dropped on update', async () => {
    await api.patch("accounts(accountnumber='URL-1')", { name: 'n', accountnumber: 'BODY-1' });
    expect((await api.get("accounts(accountnumber='BODY-1')")).status).toBe(200);
    expect((await api.get("accounts(accountnumber='URL-1')")).status).toBe(404);
    await api.patch("accounts(accountnumber='BODY-1')", { name: 'm', accountnumber: 'OTHER' });
    expect((await api.get("accounts(accountnumber='BODY-1')?$select=name")).json!.name).toBe('m');
    expect((await api.get("accounts(accountnumber='OTHER')")).status).toBe(404);
  });

  it('a duplicate alternate-key value answers 412 0x80060892 (Learn: reference/web-service-error-codes)', async () => {
    await api.post('accounts', { name: 'a', accountnumber: 'DUP' });
    const r = await api.post('accounts', { name: 'b', accountnumber: 'dup' });
    expect(r.status).toBe(412);
    expect(r.json!.error.code).toBe('0x80060892');
    expect(r.json!.error.message).toContain('Entity Key dvs_accountnumber_key violated');
  });

  it('a Pending alternate key is refused with 400 until it is Active (Learn: define-alternate-keys-entity)', async () => {
    const set = (status: string) =>
      fetch(`${dv.operatorUrl}environments/target/tables/account/keys/dvs_accountnumber_key`, { method: 'PUT', body: JSON.stringify({ status }) });
    expect((await set('Pending')).status).toBe(200);
    const r = await api.patch("accounts(accountnumber='P-1')", { name: 'x' });
    expect(r.status).toBe(400);
    expect(r.json!.error.message).toContain('EntityKeyIndexStatus: Pending');
    await set('Active');
    expect((await api.patch("accounts(accountnumber='P-1')", { name: 'x' })).status).toBe(204);
  });
});

describe('delete (Learn: webapi/update-delete-entities-using-web-api)', () => {
  it('answers 204, then 404', async () => {
    const id = idFromEntityId((await api.post('accounts', { name: 'x' })).headers);
    expect((await api.del(`accounts(${id})`)).status).toBe(204);
    const again = await api.del(`accounts(${id})`);
    expect(again.status).toBe(404);
    expect(again.json!.error.code).toBe('0x80040217');
  });
});

describe('identity (Learn: authenticate-oauth)', () => {
  it('answers 401 with WWW-Authenticate without a bearer token', async () => {
    const r = await fetch(`${dv.url('target')}accounts`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(
      /^Bearer authorization_uri=https:\/\/login\.microsoftonline\.com\/[0-9a-f-]+\/oauth2\/authorize, resource_id=http:\/\/127\.0\.0\.1:\d+\/target\/$/,
    );
    expect(r.headers.get('x-ms-dop-hint')).toBe('4');
  });

  it('makes each JWT oid a systemuser that owns and modifies its rows', async () => {
    const payload = Buffer.from(JSON.stringify({ oid: 'aaaaaaaa-0000-0000-0000-000000000001' })).toString('base64url');
    const jwtApi = client(dv.url('target'), `e30.${payload}.sig`);
    const r = await jwtApi.post('accounts?$select=_ownerid_value,_createdby_value', { name: 'x' }, { prefer: 'return=representation' });
    const owner = r.json!._ownerid_value;
    expect(r.json!._createdby_value).toBe(owner);
    const user = await jwtApi.get(`systemusers(${owner})?$select=azureactivedirectoryobjectid`);
    expect(user.json!.azureactivedirectoryobjectid).toBe('aaaaaaaa-0000-0000-0000-000000000001');
  });
});

describe('environments', () => {
  it('keeps data per environment; the default one is also at /api/data/v9.2/', async () => {
    await api.post('accounts', { name: 'only in target', accountnumber: 'T-1' });
    expect((await client(dv.url('source')).get("accounts(accountnumber='T-1')")).status).toBe(404);
    await client(dv.url('source')).post('accounts', { name: 'in source', accountnumber: 'S-1' });
    expect((await client(dv.url()).get("accounts(accountnumber='S-1')")).status).toBe(200);
  });
});

describe('WhoAmI (Learn: send-parallel-requests)', () => {
  it('GET answers the caller, business unit and organization with x-ms-dop-hint; POST answers 404 with an empty code', async () => {
    const r = await api.get('WhoAmI');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ms-dop-hint')).toBe('4');
    const env = dv.environments.get('target')!;
    expect(r.json).toMatchObject({
      BusinessUnitId: env.info.businessUnitId,
      OrganizationId: env.info.organizationId,
      UserId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect((await api.get(`systemusers(${r.json!.UserId})`)).status).toBe(200);
    const post = await api.post('WhoAmI', {});
    expect(post.status).toBe(404);
    expect(post.json!.error).toEqual({ code: '', message: `No HTTP resource was found that matches the request URI '${dv.url('target')}WhoAmI'.` });
  });
});
