/** Webhook registrations through the Web API and RemoteExecutionContext delivery to a loopback receiver. */
import type { DataverseEmulator } from '../../../../../emulators/dataverse';
import { webhookControl, type WebhookControl } from '../../../../../emulators/dataverse/webhooks';
import { client, start } from '../core/helpers';
import { createEndpoint, createImage, createStep, kv, startReceiver, type Api, type Receiver } from './helpers';

let dv: DataverseEmulator;
let api: Api;
let hooks: WebhookControl;
let rx: Receiver;

beforeEach(async () => {
  dv = await start();
  api = client(dv.url('source'));
  hooks = webhookControl(dv.runtime);
  hooks.configure({ retryDelayMs: 0, timeScale: 0.05 }); // 3 s endpoint timeout: loopback answers are never cut off on a busy machine
  rx = await startReceiver();
});
afterEach(async () => {
  await hooks.drain();
  await rx.close();
  await dv.close();
});

describe('async Create step with a WebhookKey endpoint', () => {
  it('POSTs the context with the x-ms-dynamics-* headers, ?code= and a post image', async () => {
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'func-key-1' });
    const step = await createStep(api, endpoint, 'Create', 'account');
    expect(
      (await createImage(api, step, { name: 'PostImage', entityalias: 'PostImage', imagetype: 1, messagepropertyname: 'Id', attributes: 'name,revenue' }))
        .status,
    ).toBe(204);
    const created = await api.post('accounts?tag=dvsync-echo', { name: 'Contoso', revenue: 1234.5, telephone1: '555' }, { 'user-agent': 'dvsync-test/1.0' });
    expect(created.status).toBe(204);
    await hooks.drain();

    expect(rx.received).toHaveLength(1);
    const [got] = rx.received;
    expect(got.url.searchParams.get('code')).toBe('func-key-1');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-ms-dynamics-entity-name']).toBe('account');
    expect(got.headers['x-ms-dynamics-request-name']).toBe('Create');
    expect(got.headers['x-ms-dynamics-organization']).toBe(new URL(dv.url('source')).host);
    expect(got.headers['x-ms-correlation-request-id']).toBe(got.body.CorrelationId);
    expect(got.headers['x-ms-dynamics-msg-size-exceeded']).toBeUndefined();
    const b = got.body;
    expect(b).toMatchObject({
      MessageName: 'Create',
      Mode: 1,
      Stage: 40,
      IsInTransaction: false,
      PrimaryEntityName: 'account',
      OwningExtension: { Id: step, Name: null },
      InitiatingUserAgent: 'dvsync-test/1.0',
    });
    expect(b.OperationCreatedOn).toMatch(/^\/Date\(\d+000\+0000\)\/$/);
    const target = kv(b.InputParameters).get('Target');
    expect(target.__type).toBe('Entity:http://schemas.microsoft.com/xrm/2011/Contracts');
    const attrs = kv(target.Attributes);
    expect(attrs.get('revenue')).toEqual({ __type: 'Money:http://schemas.microsoft.com/xrm/2011/Contracts', Value: 1234.5 });
    expect(attrs.get('revenue_base')).toEqual({ __type: 'Money:http://schemas.microsoft.com/xrm/2011/Contracts', Value: 1234.5 });
    expect(got.raw.toString('utf8')).toContain('"exchangerate","value":1.0000000000');
    expect(kv(b.OutputParameters).get('id')).toBe(b.PrimaryEntityId);
    expect(kv(b.SharedVariables).get('tag')).toBe('dvsync-echo');
    expect([...kv(b.PostEntityImages).keys()]).toEqual(['PostImage', 'AsynchronousStepPrimaryName']);
    expect(kv(kv(b.PostEntityImages).get('PostImage').Attributes)).toEqual(
      new Map<string, unknown>([
        ['name', 'Contoso'],
        ['revenue', { __type: 'Money:http://schemas.microsoft.com/xrm/2011/Contracts', Value: 1234.5 }],
      ]),
    );
    expect(b.ParentContext.Stage).toBe(30);
    const [report] = hooks.deliveries('source');
    expect(report.jobs).toEqual([expect.objectContaining({ owningextensionid: step, statuscode: 30, asyncoperationid: b.OperationId })]);
    expect(report.attempts[0]).toMatchObject({ status: 200, attempt: 1, truncated: false, url: rx.url + '?…' });
  });

  it('authvalue is never returned, and isauthvalueset says it is there', async () => {
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'secret' });
    const r = await api.get(`serviceendpoints(${endpoint})`);
    expect(r.json!.authvalue).toBeUndefined();
    expect(r.json!.isauthvalueset).toBe(true);
  });
});

describe('HttpHeader and HttpQueryString endpoints', () => {
  it('sends the <settings> pairs as headers or query parameters', async () => {
    const h = await createEndpoint(api, {
      name: 'hdr',
      url: rx.url,
      authtype: 5,
      authvalue: '<settings><setting name="x-dv-secret" value="s&amp;1" /></settings>',
    });
    const q = await createEndpoint(api, {
      name: 'qs',
      url: rx.url,
      authtype: 6,
      authvalue: '<settings><setting name="k1" value="v1" /><setting name="k2" value="v2" /></settings>',
    });
    await createStep(api, h, 'Create', 'contact', { name: 'hdr step' });
    await createStep(api, q, 'Create', 'contact', { name: 'qs step' });
    await api.post('contacts', { lastname: 'Glynn' });
    await hooks.drain();
    expect(rx.received).toHaveLength(2);
    const byHeader = rx.received.find((x) => x.headers['x-dv-secret'])!;
    expect(byHeader.headers['x-dv-secret']).toBe('s&1');
    expect([...byHeader.url.searchParams.keys()]).toEqual([]);
    const byQuery = rx.received.find((x) => x.url.searchParams.has('k1'))!;
    expect(Object.fromEntries(byQuery.url.searchParams)).toEqual({ k1: 'v1', k2: 'v2' });
  });
});

describe('Update filtering attributes and Delete pre image', () => {
  it('fires an Update step only when a filtering attribute changed; Target holds only changed and system columns', async () => {
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'k' });
    await createStep(api, endpoint, 'Update', 'account', { filteringattributes: 'telephone1,name' });
    const id = (await api.post('accounts', { name: 'A', accountnumber: 'F-1' }, { prefer: 'return=representation' })).json!.accountid;
    await api.patch(`accounts(${id})`, { accountnumber: 'F-2' });
    await api.patch(`accounts(${id})`, { telephone1: '999' });
    await hooks.drain();
    expect(rx.received).toHaveLength(1);
    const target = kv(rx.received[0].body.InputParameters).get('Target');
    expect(target.Attributes.map((a: { key: string }) => a.key)).toEqual(['telephone1', 'accountid', 'modifiedon', 'modifiedby', 'modifiedonbehalfby']);
  });

  it('Delete: EntityReference Target, registered pre image and the AsynchronousStepPrimaryName pre image', async () => {
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'k' });
    const step = await createStep(api, endpoint, 'Delete', 'account');
    await createImage(api, step, { name: 'Pre', entityalias: 'Pre', imagetype: 0, messagepropertyname: 'Target', attributes: 'accountnumber' });
    const id = (await api.post('accounts', { name: 'Gone', accountnumber: 'D-1' }, { prefer: 'return=representation' })).json!.accountid;
    expect((await api.del(`accounts(${id})`)).status).toBe(204);
    await hooks.drain();
    const b = rx.received[0].body;
    expect(kv(b.InputParameters).get('Target')).toEqual({
      __type: 'EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts',
      Id: id,
      KeyAttributes: [],
      LogicalName: 'account',
      Name: null,
      RowVersion: null,
    });
    const pre = kv(b.PreEntityImages);
    expect(kv(pre.get('Pre').Attributes)).toEqual(new Map([['accountnumber', 'D-1']]));
    expect(kv(pre.get('AsynchronousStepPrimaryName').Attributes)).toEqual(
      new Map([
        ['name', 'Gone'],
        ['accountid', id],
      ]),
    );
    expect(b.PostEntityImages).toEqual([]);
  });
});

describe('retries and failures', () => {
  it('async: retries once on 503 and records success', async () => {
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'k' });
    const step = await createStep(api, endpoint, 'Create', 'lead');
    rx.respond.push(503);
    await api.post('leads', { subject: 'S', lastname: 'L' });
    await hooks.drain();
    expect(rx.received).toHaveLength(2);
    expect(rx.received[1].body.OperationId).toBe(rx.received[0].body.OperationId);
    const [report] = hooks.deliveries('source');
    expect(report.attempts.map((a) => a.status)).toEqual([503, 200]);
    expect(report.jobs).toEqual([expect.objectContaining({ owningextensionid: step, statuscode: 30 })]);
  });

  it('async: 500 and 429 are not retried; the system job is Failed (31)', async () => {
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'k' });
    await createStep(api, endpoint, 'Create', 'lead');
    rx.respond.push(500, 429);
    await api.post('leads', { subject: 'one', lastname: 'L' });
    await api.post('leads', { subject: 'two', lastname: 'L' });
    await hooks.drain();
    expect(rx.received).toHaveLength(2);
    expect(rx.received.map((r) => kv(kv(r.body.InputParameters).get('Target').Attributes).get('subject'))).toEqual(['one', 'two']);
    expect(hooks.deliveries('source')[0].jobs.map((j) => [j.statuscode, j.error])).toEqual([
      [31, 'HTTP 500'],
      [31, 'HTTP 429'],
    ]);
  });

  it('sync: a failing endpoint fails the write with 400 0x80040265 and nothing is stored', async () => {
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'k' });
    await createStep(api, endpoint, 'Create', 'account', { mode: 0, name: 'sync hook' });
    rx.respond.push(500);
    const r = await api.post('accounts', { name: 'Rejected', accountnumber: 'S-1' });
    expect(r.status).toBe(400);
    expect(r.json!.error.code).toBe('0x80040265');
    expect(r.json!.error.message).toContain("'sync hook'");
    expect((await api.get("accounts?$filter=accountnumber eq 'S-1'")).json!.value).toEqual([]);
    const ok = await api.post('accounts', { name: 'Accepted', accountnumber: 'S-2' });
    expect(ok.status).toBe(204);
    const sync = rx.received[1].body;
    expect(sync).toMatchObject({ Mode: 0, IsInTransaction: true, OwningExtension: { Name: 'sync hook' } });
    expect(sync.RequestId).toBe(sync.OperationId);
    expect(sync.OperationCreatedOn).toMatch(/^\/Date\(\d+\)\/$/);
    expect(sync.ParentContext.OwningExtension.Name).toBe('ObjectModel Implementation');
  });

  it('sync steps are skipped with MSCRM.BypassCustomPluginExecution; async ones still fire', async () => {
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'k' });
    await createStep(api, endpoint, 'Create', 'account', { mode: 0, name: 'sync' });
    await createStep(api, endpoint, 'Create', 'account', { mode: 1, name: 'async' });
    await api.post('accounts', { name: 'B' }, { 'mscrm.bypasscustompluginexecution': 'true' });
    await hooks.drain();
    expect(rx.received.map((r) => r.body.Mode)).toEqual([1]);
  });
});

describe('payload over 256 KB', () => {
  it('strips ParentContext, InputParameters and images and sets x-ms-dynamics-msg-size-exceeded', async () => {
    hooks.configure({ retryDelayMs: 0, timeScale: 0.05, maxPayloadBytes: 4096 });
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'k' });
    await createStep(api, endpoint, 'Create', 'account');
    await api.post('accounts', { name: 'Big', description: 'x'.repeat(2000) });
    await hooks.drain();
    const [got] = rx.received;
    expect(got.headers['x-ms-dynamics-msg-size-exceeded']).toBeDefined();
    for (const k of ['ParentContext', 'InputParameters', 'PreEntityImages', 'PostEntityImages']) expect(got.body).not.toHaveProperty(k);
    expect(got.body).toMatchObject({ PrimaryEntityName: 'account', MessageName: 'Create' });
    expect(hooks.deliveries('source')[0].attempts[0].truncated).toBe(true);
  });
});

describe('registration validation', () => {
  it('rejects what Dataverse rejects, with a message that says what to send', async () => {
    const noUrl = await api.post('serviceendpoints', { name: 'x', contract: 8, authtype: 4, authvalue: 'k' });
    expect([noUrl.status, noUrl.json!.error.code]).toEqual([400, '0x80040203']);
    expect(noUrl.json!.error.message).toContain("'url'");
    const badXml = await api.post('serviceendpoints', { name: 'x', contract: 8, authtype: 5, authvalue: 'x-api-key: 1', url: rx.url });
    expect(badXml.json!.error.message).toContain('<settings>');
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'k' });
    const unknownMessage = await api.post('sdkmessageprocessingsteps', {
      name: 's',
      stage: 40,
      mode: 1,
      'eventhandler_serviceendpoint@odata.bind': `/serviceendpoints(${endpoint})`,
      'sdkmessageid@odata.bind': '/sdkmessages(00000000-0000-0000-0000-0000000000aa)',
    });
    expect([unknownMessage.status, unknownMessage.json!.error.code]).toEqual([404, '0x80040217']);
    await expect(createStep(api, endpoint, 'Create', 'account', { stage: 20 })).rejects.toThrow(/stage 40/);
    await expect(createStep(api, endpoint, 'Update', 'account', { filteringattributes: 'nosuchcolumn' })).rejects.toThrow(/nosuchcolumn/);
    const step = await createStep(api, endpoint, 'Create', 'account');
    const pre = await createImage(api, step, { name: 'P', entityalias: 'P', imagetype: 0, messagepropertyname: 'Target', attributes: 'name' });
    expect(pre.json!.error.message).toContain('Create step has no pre image');
  });
});

describe('operator endpoints for webhooks', () => {
  it('lists deliveries at /_emulator/webhooks/deliveries, drains, and forgets them on /_emulator/reset', async () => {
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'k' });
    await createStep(api, endpoint, 'Create', 'account');
    expect((await api.post('accounts', { name: 'Fabrikam' })).status).toBe(204);
    expect((await fetch(`${dv.operatorUrl}webhooks/drain`, { method: 'POST' })).status).toBe(200);
    const listed = await (await fetch(`${dv.operatorUrl}webhooks/deliveries/source`)).json();
    expect(JSON.stringify(listed)).toContain('"status":200');
    expect(rx.received).toHaveLength(1);
    expect((await fetch(`${dv.operatorUrl}reset`, { method: 'POST' })).status).toBe(200);
    expect(hooks.deliveries('source').flatMap((r) => r.attempts)).toEqual([]);
  });
});
