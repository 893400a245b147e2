/** Conformance of bulk messages against Learn: bulk-operations. */
import { startHarness, type Harness } from '../query/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.dv.close());

const acct = (o: Record<string, unknown>) => ({ '@odata.type': 'Microsoft.Dynamics.CRM.account', ...o });
const bulk = (set: string, message: string, Targets: unknown[], headers: Record<string, string> = {}) =>
  h.call('POST', `${set}/Microsoft.Dynamics.CRM.${message}`, { body: { Targets }, headers });
const byNumber = async (n: string) => (await h.json(await h.call('GET', `accounts?$select=name,accountnumber&$filter=accountnumber eq '${n}'`))).value;

describe('bulk messages', () => {
  it('CreateMultiple answers 200 with Ids in input order', async () => {
    const res = await bulk('accounts', 'CreateMultiple', [acct({ name: 'C1', accountnumber: 'CM-1' }), acct({ name: 'C2', accountnumber: 'CM-2' })]);
    expect(res.status).toBe(200);
    const body = await h.json(res);
    expect(body['@odata.context']).toBe(`${h.base}$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse`);
    expect(body.Ids).toHaveLength(2);
    expect((await byNumber('CM-2'))[0].accountid).toBe(body.Ids[1]);
  });

  it('requires @odata.type on every item', async () => {
    const res = await bulk('accounts', 'CreateMultiple', [acct({ name: 'ok' }), { name: 'untyped' }]);
    expect(res.status).toBe(400);
    const err = (await h.json(res)).error;
    expect(err.code).toBe('0x80048d19');
    expect(err.message).toContain("abstract type 'Microsoft.Dynamics.CRM.crmbaseentity'");
  });

  it('is all-or-nothing on standard tables', async () => {
    const res = await bulk('accounts', 'CreateMultiple', [acct({ name: 'A', accountnumber: 'AON-1' }), acct({ name: 'B', accountnumber: 'AON-1' })]);
    expect(res.status).toBe(412);
    expect((await h.json(res)).error.code).toBe('0x80060892');
    expect(await byNumber('AON-1')).toHaveLength(0);
  });

  it('UpdateMultiple answers 204 and updates by primary key; a missing row fails the whole call', async () => {
    const ids = (await h.json(await bulk('accounts', 'CreateMultiple', [acct({ name: 'U1', accountnumber: 'UM-1' })]))).Ids;
    expect((await bulk('accounts', 'UpdateMultiple', [acct({ accountid: ids[0], name: 'U1-new' })])).status).toBe(204);
    expect((await byNumber('UM-1'))[0].name).toBe('U1-new');
    const missing = await bulk('accounts', 'UpdateMultiple', [
      acct({ accountid: ids[0], name: 'rolled back' }),
      acct({ accountid: '00000000-0000-0000-0000-0000000000ff', name: 'x' }),
    ]);
    expect(missing.status).toBe(404);
    expect((await h.json(missing)).error.code).toBe('0x80040217');
    expect((await byNumber('UM-1'))[0].name).toBe('U1-new');
  });

  it('UpsertMultiple by alternate key creates and updates with 204; a key column also in the body fails on create', async () => {
    const res = await bulk('accounts', 'UpsertMultiple', [acct({ '@odata.id': "accounts(accountnumber='UP-1')", name: 'first' })]);
    expect(res.status).toBe(204);
    expect(
      await bulk('accounts', 'UpsertMultiple', [acct({ '@odata.id': "accounts(accountnumber='UP-1')", name: 'second', accountnumber: 'UP-1' })]),
    ).toHaveProperty('status', 204);
    expect((await byNumber('UP-1')).map((r: any) => r.name)).toEqual(['second']);
    const createPath = await bulk('accounts', 'UpsertMultiple', [acct({ '@odata.id': "accounts(accountnumber='UP-2')", name: 'x', accountnumber: 'UP-2' })]);
    expect(createPath.status).toBe(400);
    expect((await h.json(createPath)).error).toEqual({ code: '0x80040216', message: 'An unexpected error occurred.' });
    expect(await byNumber('UP-2')).toHaveLength(0);
  });

  it('DeleteMultiple works on elastic tables only', async () => {
    const standard = await bulk('accounts', 'DeleteMultiple', [acct({ accountid: '00000000-0000-0000-0000-000000000001' })]);
    expect(standard.status).toBe(400);
    expect((await h.json(standard)).error.message).toBe('DeleteMultiple has not yet been implemented.');
    const ev = (o: Record<string, unknown>) => ({ '@odata.type': 'Microsoft.Dynamics.CRM.dvs_telemetryevent', ...o });
    const ids = (await h.json(await bulk('dvs_telemetryevents', 'CreateMultiple', [ev({ dvs_name: 'e1' }), ev({ dvs_name: 'e2' })]))).Ids;
    const del = await bulk('dvs_telemetryevents', 'DeleteMultiple', [ev({ dvs_telemetryeventid: ids[0] })]);
    expect(del.status).toBe(204);
    const left = (await h.json(await h.call('GET', 'dvs_telemetryevents?$select=dvs_name'))).value.map((r: any) => r.dvs_name);
    expect(left).toEqual(['e2']);
  });

  it('elastic tables keep the items that succeeded and report per-item detail when asked', async () => {
    const ev = (o: Record<string, unknown>) => ({ '@odata.type': 'Microsoft.Dynamics.CRM.dvs_telemetryevent', ...o });
    const res = await bulk('dvs_telemetryevents', 'UpdateMultiple', [ev({ dvs_telemetryeventid: '00000000-0000-0000-0000-0000000000ee', dvs_name: 'x' })], {
      prefer: 'odata.include-annotations="*"',
    });
    expect(res.status).toBe(404);
    const err = (await h.json(res)).error;
    expect(JSON.parse(err['@Microsoft.PowerApps.CDS.ErrorDetails.BulkApiErrorDetails'])).toEqual([
      { RequestIndex: 0, Id: '00000000-0000-0000-0000-0000000000ee', StatusCode: 404 },
    ]);
    const mixed = await bulk('dvs_telemetryevents', 'CreateMultiple', [ev({ dvs_name: 'kept' }), ev({ dvs_name: 'x'.repeat(101) })]);
    expect(mixed.status).toBe(400);
    const names = (await h.json(await h.call('GET', "dvs_telemetryevents?$select=dvs_name&$filter=dvs_name eq 'kept'"))).value;
    expect(names).toHaveLength(1);
  });

  it('answers SdkEntityDoesNotSupportMessage for a table without the message', async () => {
    const res = await h.call('POST', 'leads/Microsoft.Dynamics.CRM.CreateMultiple', { body: { Targets: [{ '@odata.type': 'Microsoft.Dynamics.CRM.lead' }] } });
    expect(res.status).toBe(400);
    expect((await h.json(res)).error).toEqual({
      code: '0x80040800',
      message: "The 'CreateMultiple' method does not support entities of type 'lead'. MessageProcessorCache returned MessageProcessor.Empty.",
    });
  });
});
