/**
 * The privilege switch (emulators/dataverse/privileges.ts) over real HTTP: a caller without a table
 * privilege gets 403 0x80040220 PrivilegeDenied (Learn: webapi/compose-http-requests-handle-errors,
 * reference/web-service-error-codes) naming prv<Action><SchemaName>, on single requests, bulk
 * messages and $batch parts alike; other callers and the emulator's own writes are unaffected.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataverseEmulator } from '../../../../emulators/dataverse';
import { client, start } from './core/helpers';

let dv: DataverseEmulator;
let base: string;
const op = (method: string, path: string, body?: unknown) =>
  fetch(`${dv.operatorUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, json: (await r.json()) as any }));
const denyVia = (principal: string, deny: Array<{ table: string; action: string }>) =>
  op('PUT', `environments/target/privileges/${encodeURIComponent(principal)}`, { deny });
const restoreVia = (principal: string) => op('DELETE', `environments/target/privileges/${encodeURIComponent(principal)}`);
const acct = (o: Record<string, unknown>) => ({ '@odata.type': 'Microsoft.Dynamics.CRM.account', ...o });

beforeAll(async () => {
  dv = await start();
  base = dv.url('target');
});
afterAll(() => dv.close());
beforeEach(async () => {
  await op('POST', 'reset');
});

const denied = client('', 'app-user-1');
const other = client('', 'app-user-2');
const as = (c: ReturnType<typeof client>) => ({
  get: (p: string, h?: Record<string, string>) => c.get(base + p, h),
  post: (p: string, b: unknown, h?: Record<string, string>) => c.post(base + p, b, h),
  patch: (p: string, b: unknown, h?: Record<string, string>) => c.patch(base + p, b, h),
  del: (p: string) => c.del(base + p),
});
const byNumber = async (n: string) =>
  (await as(other).get(`accounts?$select=name,accountnumber&$filter=accountnumber eq '${n}'`)).json!.value as Array<Record<string, unknown>>;

describe('privilege switch', () => {
  it('a denied Create answers 403 0x80040220 naming prvCreateAccount; nothing is written and the refusal is counted', async () => {
    const set = await denyVia('app-user-1', [{ table: 'account', action: 'Create' }]);
    expect(set.status).toBe(200);
    expect(set.json).toEqual({ principal: 'app-user-1', deny: [{ table: 'account', action: 'Create', privilege: 'prvCreateAccount' }] });
    const me = (await as(denied).get('WhoAmI')).json!;

    const res = await as(denied).post('accounts', { name: 'Refused', accountnumber: 'PRV-1' });
    expect(res.status).toBe(403);
    expect(res.json!.error.code).toBe('0x80040220');
    const message: string = res.json!.error.message;
    expect(message).toMatch(
      new RegExp(
        `^Principal user \\(Id=${me.UserId}, type=8, roleCount=1, privilegeCount=\\d+, accessMode='4 Non-interactive', AADObjectId='app-user-1', MetadataCachePrivilegesCount=\\d+, businessUnitId=${me.BusinessUnitId}\\), is missing prvCreateAccount privilege \\(Id=[0-9a-f-]{36}\\) on OTC=1 for entity 'account' \\(LocalizedName='Account'\\)\\. context\\.Caller=${me.UserId}\\. Consider adding missed privilege to one of the principal \\(user/team\\) roles\\.$`,
      ),
    );
    expect(res.headers.get('req_id')).toBeTruthy();
    expect(await byNumber('PRV-1')).toHaveLength(0);

    // Other tables and other actions are untouched for the same caller.
    expect((await as(denied).post('contacts', { lastname: 'Allowed' })).status).toBe(204);
    expect((await as(denied).get('accounts?$select=name')).status).toBe(200);

    const counters = (await op('GET', 'counters')).json;
    expect(counters.privilegeDenied).toEqual({ 'app-user-1': { prvCreateAccount: 1 } });
    expect(counters.responsesByStatus['403']).toBe(1);
  });

  it('another user is unaffected, and restoring the privilege makes the same request succeed', async () => {
    await denyVia('app-user-1', [{ table: 'account', action: 'Create' }]);
    expect((await as(other).post('accounts', { name: 'Other', accountnumber: 'PRV-2' })).status).toBe(204);
    expect((await as(denied).post('accounts', { name: 'Mine', accountnumber: 'PRV-3' })).status).toBe(403);

    const restored = await restoreVia('app-user-1');
    expect(restored).toEqual({ status: 200, json: { principal: 'app-user-1', deny: [] } });
    expect((await op('GET', 'environments/target/privileges')).json).toEqual({});
    expect((await as(denied).post('accounts', { name: 'Mine', accountnumber: 'PRV-3' })).status).toBe(204);
    expect((await byNumber('PRV-3')).map((r) => r.name)).toEqual(['Mine']);
  });

  it("a denied user's UpsertMultiple of several records fails as a whole with 403 and writes no row", async () => {
    expect((await as(other).post('accounts', { name: 'before', accountnumber: 'UPM-1' })).status).toBe(204);
    await denyVia('app-user-1', [{ table: 'account', action: 'Create' }]);
    const targets = [
      acct({ '@odata.id': "accounts(accountnumber='UPM-1')", name: 'updated' }), // an update: Write is held
      acct({ '@odata.id': "accounts(accountnumber='UPM-2')", name: 'new 2' }), // creates: Create is not
      acct({ '@odata.id': "accounts(accountnumber='UPM-3')", name: 'new 3' }),
    ];
    const res = await as(denied).post('accounts/Microsoft.Dynamics.CRM.UpsertMultiple', { Targets: targets });
    expect(res.status).toBe(403);
    expect(res.json!.error.code).toBe('0x80040220');
    expect(res.json!.error.message).toContain('is missing prvCreateAccount privilege');
    expect((await byNumber('UPM-1')).map((r) => r.name)).toEqual(['before']);
    expect(await byNumber('UPM-2')).toHaveLength(0);
    expect(await byNumber('UPM-3')).toHaveLength(0);

    // The same call by another user, and by the first once restored, succeeds.
    await restoreVia('app-user-1');
    expect((await as(denied).post('accounts/Microsoft.Dynamics.CRM.UpsertMultiple', { Targets: targets })).status).toBe(204);
    expect((await byNumber('UPM-1')).map((r) => r.name)).toEqual(['updated']);
    expect(await byNumber('UPM-3')).toHaveLength(1);
  });

  it('CreateMultiple without prvCreate fails as a whole', async () => {
    await denyVia('app-user-1', [{ table: 'account', action: 'create' }]); // actions match case-insensitively
    const res = await as(denied).post('accounts/Microsoft.Dynamics.CRM.CreateMultiple', {
      Targets: [acct({ name: 'a', accountnumber: 'CMP-1' }), acct({ name: 'b', accountnumber: 'CMP-2' })],
    });
    expect(res.status).toBe(403);
    expect(await byNumber('CMP-1')).toHaveLength(0);
  });

  it('an upsert needs Create when it creates and Write when it updates', async () => {
    await denyVia('app-user-1', [{ table: 'account', action: 'Write' }]);
    expect((await as(denied).patch("accounts(accountnumber='UPS-1')", { name: 'created' })).status).toBe(204);
    const update = await as(denied).patch("accounts(accountnumber='UPS-1')", { name: 'updated' });
    expect(update.status).toBe(403);
    expect(update.json!.error.message).toContain('is missing prvWriteAccount privilege');
    expect((await byNumber('UPS-1')).map((r) => r.name)).toEqual(['created']);
  });

  it('Delete and Read are checked; Read also for $count and a GET by key of a missing row', async () => {
    const created = await as(other).post('accounts', { name: 'target', accountnumber: 'DR-1' });
    const id = /\(([0-9a-f-]{36})\)$/.exec(created.headers.get('odata-entityid')!)![1];
    await denyVia('app-user-1', [
      { table: 'account', action: 'Delete' },
      { table: 'account', action: 'Read' },
    ]);
    const del = await as(denied).del(`accounts(${id})`);
    expect(del.status).toBe(403);
    expect(del.json!.error.message).toContain('is missing prvDeleteAccount privilege');
    for (const path of [`accounts(${id})`, 'accounts?$select=name', 'accounts/$count', 'accounts(00000000-0000-0000-0000-0000000000aa)']) {
      const res = await as(denied).get(path);
      expect([path, res.status, res.json?.error?.code]).toEqual([path, 403, '0x80040220']);
      expect(res.json!.error.message).toContain('is missing prvReadAccount privilege');
    }
    expect((await as(other).get(`accounts(${id})`)).status).toBe(200);
  });

  it('a lookup written needs Append on the row and AppendTo on the target; changing the owner needs Assign', async () => {
    const account = await as(other).post('accounts', { name: 'parent', accountnumber: 'AP-1' });
    const accountUrl = account.headers.get('odata-entityid')!;
    await denyVia('app-user-1', [{ table: 'account', action: 'AppendTo' }]);
    const bind = await as(denied).post('contacts', { lastname: 'child', 'parentcustomerid_account@odata.bind': accountUrl });
    expect(bind.status).toBe(403);
    expect(bind.json!.error.message).toContain('is missing prvAppendToAccount privilege');
    expect((await as(denied).post('contacts', { lastname: 'no lookup' })).status).toBe(204);

    const otherUser = (await as(other).get('WhoAmI')).json!.UserId;
    await denyVia('app-user-1', [{ table: 'account', action: 'Assign' }]);
    const mine = await as(denied).post('accounts', { name: 'mine', accountnumber: 'AP-2' });
    const assign = await as(denied).patch(/\/(accounts\([0-9a-f-]{36}\))$/.exec(mine.headers.get('odata-entityid')!)![1], {
      'ownerid@odata.bind': `/systemusers(${otherUser})`,
    });
    expect(assign.status).toBe(403);
    expect(assign.json!.error.message).toContain('is missing prvAssignAccount privilege');
  });

  it('elastic bulk items are refused one by one: every item of a denied CreateMultiple fails', async () => {
    await denyVia('app-user-1', [{ table: 'dvs_telemetryevent', action: 'Create' }]);
    const ev = (o: Record<string, unknown>) => ({ '@odata.type': 'Microsoft.Dynamics.CRM.dvs_telemetryevent', ...o });
    const res = await as(denied).post('dvs_telemetryevents/Microsoft.Dynamics.CRM.CreateMultiple', {
      Targets: [ev({ dvs_name: 'e1' }), ev({ dvs_name: 'e2' })],
    });
    expect(res.status).toBe(403);
    expect(res.json!.error.message).toContain('is missing prvCreatedvs_TelemetryEvent privilege');
    expect((await as(other).get('dvs_telemetryevents?$select=dvs_name')).json!.value).toHaveLength(0);
    expect((await op('GET', 'counters')).json.privilegeDenied['app-user-1']).toEqual({ prvCreatedvs_TelemetryEvent: 2 });
  });

  it('a $batch change set with a denied operation answers that part 403 and rolls the set back', async () => {
    await denyVia('app-user-1', [{ table: 'account', action: 'Create' }]);
    const CRLF = '\r\n';
    const part = (url: string, body: unknown, id: number) =>
      [
        '--cs',
        'Content-Type: application/http',
        'Content-Transfer-Encoding: binary',
        `Content-ID: ${id}`,
        '',
        `POST ${url} HTTP/1.1`,
        'Content-Type: application/json; type=entry',
        '',
        JSON.stringify(body),
      ].join(CRLF);
    const payload = [
      '--batch',
      'Content-Type: multipart/mixed; boundary=cs',
      '',
      part('contacts', { lastname: 'BatchContact' }, 1),
      part('accounts', { name: 'BatchAccount' }, 2),
      '--cs--',
      '--batch--',
      '',
    ].join(CRLF);
    const res = await fetch(`${base}$batch`, {
      method: 'POST',
      headers: { authorization: 'Bearer app-user-1', 'content-type': 'multipart/mixed; boundary=batch' },
      body: payload,
    });
    const text = await res.text();
    expect(res.status).toBe(403);
    expect([...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => m[1])).toEqual(['403']);
    expect(text).toContain('"code":"0x80040220"');
    expect((await as(other).get("contacts?$select=lastname&$filter=lastname eq 'BatchContact'")).json!.value).toHaveLength(0);
  });

  it('an inactive alternate key and an unknown column keep their existing errors for a denied user', async () => {
    await denyVia('app-user-1', [
      { table: 'account', action: 'Create' },
      { table: 'account', action: 'Write' },
    ]);
    expect((await op('PUT', 'environments/target/tables/account/keys/dvs_accountnumber_key', { status: 'Pending' })).status).toBe(200);
    const inactive = await as(denied).patch("accounts(accountnumber='K-1')", { name: 'x' });
    expect(inactive.status).toBe(400);
    expect(inactive.json!.error.code).toBe('0x80060890');
    expect(inactive.json!.error.message).toContain('is not active (EntityKeyIndexStatus: Pending)');
    await op('PUT', 'environments/target/tables/account/keys/dvs_accountnumber_key', { status: 'Active' });

    const unknown = await as(denied).post('accounts', { name: 'x', nosuchcolumn: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.json!.error.code).toBe('0x80048d19');
    expect(unknown.json!.error.message).toContain("Invalid property 'nosuchcolumn'");

    await denyVia('app-user-1', [{ table: 'account', action: 'Read' }]);
    const badSelect = await as(denied).get('accounts?$select=nosuchcolumn');
    expect([badSelect.status, badSelect.json!.error.code]).toEqual([400, '0x0']);
  });

  it('programmatic control through dv.environments.get(<env>).privileges, per environment', async () => {
    const privileges = dv.environments.get('target')!.privileges;
    privileges.deny('app-user-1', 'contact', 'Create');
    expect(privileges.isDenied('app-user-1', 'contact', 'Create')).toBe(true);
    expect((await op('GET', 'environments/target/privileges')).json).toEqual({
      'app-user-1': [{ table: 'contact', action: 'Create', privilege: 'prvCreateContact' }],
    });
    expect((await as(denied).post('contacts', { lastname: 'no' })).status).toBe(403);
    // The source environment has its own switch.
    expect((await denied.post(`${dv.url('source')}contacts`, { lastname: 'yes' })).status).toBe(204);
    privileges.allow('app-user-1', 'contact', 'Create');
    expect((await as(denied).post('contacts', { lastname: 'yes' })).status).toBe(204);
    privileges.deny('app-user-1', 'contact', 'Create');
    privileges.clear();
    expect(privileges.list()).toEqual({});
    expect(() => privileges.deny('app-user-1', 'nosuchtable', 'Create')).toThrow(/No table 'nosuchtable'/);
  });

  it('denials survive POST /_emulator/state/save and state/load (state files hold rows, not privileges)', async () => {
    const file = join(tmpdir(), `dv-privileges-${process.pid}.json`);
    expect((await op('POST', 'state/save', { file })).status).toBe(200);
    await denyVia('app-user-1', [{ table: 'account', action: 'Create' }]);
    expect((await op('POST', 'state/load', { file })).status).toBe(200);
    expect((await as(denied).post('accounts', { name: 'after load' })).status).toBe(403);
    expect((await as(other).post('accounts', { name: 'after load' })).status).toBe(204);
    rmSync(file, { force: true });
  });

  it("the emulator's own writes are never refused: first-sight systemuser rows and operator loads", async () => {
    const privileges = dv.environments.get('target')!.privileges;
    privileges.deny('app-user-3', 'systemuser', 'Create');
    privileges.deny('SYSTEM', 'account', 'Create');
    expect((await as(client('', 'app-user-3')).get('WhoAmI')).status).toBe(200);
    const load = await op('POST', 'environments/target/tables/account/rows', [{ name: 'loaded', accountnumber: 'SYS-1' }]);
    expect(load.status).toBe(200);
    expect(await byNumber('SYS-1')).toHaveLength(1);
    // POST /_emulator/reset restores every privilege.
    await op('POST', 'reset');
    expect(privileges.list()).toEqual({});
  });

  it('the operator endpoint validates its body', async () => {
    const badAction = await denyVia('app-user-1', [{ table: 'account', action: 'Fly' }]);
    expect(badAction.status).toBe(400);
    expect(badAction.json.error.message).toContain('Create, Read, Write, Delete, Append, AppendTo, Assign, Share');
    expect((await denyVia('app-user-1', [{ table: 'nosuch', action: 'Create' }])).status).toBe(404);
    expect((await op('PUT', 'environments/target/privileges/app-user-1', { deny: 'account' })).status).toBe(400);
    expect((await op('PUT', 'environments/nosuch/privileges/app-user-1', { deny: [] })).status).toBe(404);
    expect((await op('GET', 'environments/target/privileges')).json).toEqual({});
  });
});
