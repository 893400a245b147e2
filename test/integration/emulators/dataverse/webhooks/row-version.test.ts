/**
 * RowVersion in delivered webhook payloads (emulators/dataverse/webhooks/README.md "RowVersion"):
 * the emulator-wide option `webhookRowVersion`, the emulator-only per-registration override (start
 * option, operator endpoint, webhookControl), each checked against the row's versionnumber read
 * back through the Web API (the `versionnumber` column and the ETag W/"<n>").
 */
import { startDataverseEmulator, type DataverseEmulator, type EmulatorOptionsInput } from '../../../../../emulators/dataverse';
import { webhookControl, type WebhookControl } from '../../../../../emulators/dataverse/webhooks';
import { client, start } from '../core/helpers';
import { createEndpoint, createImage, createStep, kv, startReceiver, type Api, type Receiver } from './helpers';

let dv: DataverseEmulator | undefined;
let api: Api;
let hooks: WebhookControl;
let rx: Receiver;

async function setUp(options: EmulatorOptionsInput = {}): Promise<void> {
  dv = await start(options);
  api = client(dv.url('source'));
  hooks = webhookControl(dv.runtime);
  hooks.configure({ retryDelayMs: 0, timeScale: 0.05 });
  rx = await startReceiver();
}
afterEach(async () => {
  if (!dv) return;
  await hooks.drain();
  await rx.close();
  await dv.close();
  dv = undefined;
});

const op = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${dv!.operatorUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
};

const idOf = (h: Headers): string => /\(([0-9a-f-]{36})\)$/.exec(h.get('odata-entityid') ?? '')![1];

/** The row's versionnumber through the Web API, checked against its ETag. */
async function versionOf(id: string): Promise<string> {
  const r = await api.get(`accounts(${id})?$select=versionnumber`);
  expect(r.status).toBe(200);
  const v = String(r.json!.versionnumber);
  expect(v).toMatch(/^\d+$/);
  expect(r.json!['@odata.etag']).toBe(`W/"${v}"`);
  return v;
}

async function createAccount(body: Record<string, unknown> = { name: 'Contoso', telephone1: '555-0100' }): Promise<string> {
  const r = await api.post('accounts', body);
  expect(r.status).toBe(204);
  return idOf(r.headers);
}

type Body = any;
/** Every RowVersion of one payload: Target, the ParentContext's Target, images by alias. */
function rowVersions(b: Body) {
  const images = (list: Body[]) => Object.fromEntries(list.map((i: Body) => [i.key, i.value.RowVersion]));
  return {
    target: kv(b.InputParameters).get('Target').RowVersion,
    parent: kv(b.ParentContext.InputParameters).get('Target').RowVersion,
    pre: images(b.PreEntityImages),
    post: images(b.PostEntityImages),
  };
}

/** No Target or image carries versionnumber as an attribute (no published payload does). */
function expectNoVersionAttribute(b: Body): void {
  const entities = [
    kv(b.InputParameters).get('Target'),
    kv(b.ParentContext.InputParameters).get('Target'),
    ...b.PreEntityImages.map((i: Body) => i.value),
    ...b.PostEntityImages.map((i: Body) => i.value),
  ];
  for (const e of entities) if (e.Attributes) expect(e.Attributes.map((a: Body) => a.key)).not.toContain('versionnumber');
}

const byStep = (stepId: string) => rx.received.filter((r) => r.body.OwningExtension.Id === stepId).map((r) => r.body);

describe("webhookRowVersion 'published' (the default)", () => {
  it('async Update: Target and ParentContext Target carry the versionnumber after the update; images carry null', async () => {
    await setUp();
    expect(hooks.rowVersion()).toEqual({ webhookRowVersion: 'published', webhookRowVersionByRegistration: {} });
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'k' });
    const step = await createStep(api, endpoint, 'Update', 'account');
    expect(
      (await createImage(api, step, { name: 'Images', entityalias: 'Images', imagetype: 2, messagepropertyname: 'Target', attributes: 'name,telephone1' }))
        .status,
    ).toBe(204);
    const id = await createAccount();
    const before = await versionOf(id);
    expect((await api.patch(`accounts(${id})`, { telephone1: '555-0199' })).status).toBe(204);
    const after = await versionOf(id);
    expect(Number(after)).toBeGreaterThan(Number(before));
    await hooks.drain();

    const [b] = byStep(step);
    expect(b).toMatchObject({ MessageName: 'Update', Mode: 1, Stage: 40 });
    expect(rowVersions(b)).toEqual({ target: after, parent: after, pre: { Images: null }, post: { Images: null, AsynchronousStepPrimaryName: null } });
    expectNoVersionAttribute(b);
    expect(hooks.deliveries('source')[0].attempts[0]).toMatchObject({ stepId: step, rowVersion: 'published', status: 200 });
  });

  it('sync and async Create, sync Update: every RowVersion is null', async () => {
    await setUp();
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'k' });
    const asyncCreate = await createStep(api, endpoint, 'Create', 'account', { name: 'async create' });
    expect((await createImage(api, asyncCreate, { name: 'PostImage', entityalias: 'PostImage', imagetype: 1, messagepropertyname: 'Id' })).status).toBe(204);
    const syncCreate = await createStep(api, endpoint, 'Create', 'account', { name: 'sync create', mode: 0 });
    const syncUpdate = await createStep(api, endpoint, 'Update', 'account', { name: 'sync update', mode: 0 });
    const id = await createAccount();
    expect((await api.patch(`accounts(${id})`, { name: 'Contoso Ltd' })).status).toBe(204);
    await hooks.drain();

    expect(rowVersions(byStep(asyncCreate)[0])).toEqual({ target: null, parent: null, pre: {}, post: { PostImage: null, AsynchronousStepPrimaryName: null } });
    expect(rowVersions(byStep(syncCreate)[0])).toEqual({ target: null, parent: null, pre: {}, post: {} });
    expect(rowVersions(byStep(syncUpdate)[0])).toEqual({ target: null, parent: null, pre: {}, post: {} });
    for (const b of rx.received.map((r) => r.body)) expectNoVersionAttribute(b);
  });

  it('each queued event carries the version after its own update, not the current one', async () => {
    await setUp();
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'k' });
    const step = await createStep(api, endpoint, 'Update', 'account');
    const id = await createAccount();
    await api.patch(`accounts(${id})`, { telephone1: '1' });
    const v1 = await versionOf(id);
    await api.patch(`accounts(${id})`, { telephone1: '2' });
    const v2 = await versionOf(id);
    await hooks.drain();
    const got = byStep(step).map((b) => [kv(kv(b.InputParameters).get('Target').Attributes).get('telephone1'), rowVersions(b).target]);
    expect(got).toEqual([
      ['1', v1],
      ['2', v2],
    ]);
  });
});

describe("webhookRowVersion 'always' (start option)", () => {
  it('Create, Update and Delete: Targets and post images carry the version after the operation, pre images the one before; the Delete Target reference stays null', async () => {
    await setUp({ webhookRowVersion: 'always' });
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'k' });
    const create = await createStep(api, endpoint, 'Create', 'account', { name: 'create' });
    expect(
      (await createImage(api, create, { name: 'PostImage', entityalias: 'PostImage', imagetype: 1, messagepropertyname: 'Id', attributes: 'name' })).status,
    ).toBe(204);
    const update = await createStep(api, endpoint, 'Update', 'account', { name: 'update' });
    expect(
      (await createImage(api, update, { name: 'Images', entityalias: 'Images', imagetype: 2, messagepropertyname: 'Target', attributes: 'name,telephone1' }))
        .status,
    ).toBe(204);
    const syncUpdate = await createStep(api, endpoint, 'Update', 'account', { name: 'sync update', mode: 0 });
    const del = await createStep(api, endpoint, 'Delete', 'account', { name: 'delete' });
    expect(
      (await createImage(api, del, { name: 'PreImage', entityalias: 'PreImage', imagetype: 0, messagepropertyname: 'Target', attributes: 'name' })).status,
    ).toBe(204);

    const id = await createAccount();
    const created = await versionOf(id);
    expect((await api.patch(`accounts(${id})`, { telephone1: '555-0199' })).status).toBe(204);
    const updated = await versionOf(id);
    expect((await api.del(`accounts(${id})`)).status).toBe(204);
    await hooks.drain();

    expect(rowVersions(byStep(create)[0])).toEqual({
      target: created,
      parent: created,
      pre: {},
      post: { PostImage: created, AsynchronousStepPrimaryName: created },
    });
    expect(rowVersions(byStep(update)[0])).toEqual({
      target: updated,
      parent: updated,
      pre: { Images: created },
      post: { Images: updated, AsynchronousStepPrimaryName: updated },
    });
    expect(rowVersions(byStep(syncUpdate)[0])).toEqual({ target: updated, parent: updated, pre: {}, post: {} });
    const d = byStep(del)[0];
    expect(kv(d.InputParameters).get('Target')).toMatchObject({ LogicalName: 'account', Id: id, RowVersion: null });
    expect(rowVersions(d)).toEqual({ target: null, parent: null, pre: { PreImage: updated, AsynchronousStepPrimaryName: updated }, post: {} });
    for (const b of rx.received.map((r) => r.body)) expectNoVersionAttribute(b);
  });
});

describe("webhookRowVersion 'never' (start option)", () => {
  it('async Update: every RowVersion is null, like the Microsoft Learn docs sample', async () => {
    await setUp({ webhookRowVersion: 'never' });
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'k' });
    const step = await createStep(api, endpoint, 'Update', 'account');
    expect((await createImage(api, step, { name: 'Images', entityalias: 'Images', imagetype: 2, messagepropertyname: 'Target' })).status).toBe(204);
    const id = await createAccount();
    await api.patch(`accounts(${id})`, { telephone1: '555-0199' });
    await hooks.drain();
    expect(rowVersions(byStep(step)[0])).toEqual({
      target: null,
      parent: null,
      pre: { Images: null },
      post: { Images: null, AsynchronousStepPrimaryName: null },
    });
  });
});

describe('per-registration override (emulator-only)', () => {
  it('operator endpoint keyed by step or service endpoint id: the step wins over its endpoint, the endpoint over the emulator-wide mode', async () => {
    await setUp({ webhookRowVersion: 'never' });
    const e1 = await createEndpoint(api, { name: 'e1', url: rx.url, authtype: 4, authvalue: 'k1' });
    const e2 = await createEndpoint(api, { name: 'e2', url: rx.url, authtype: 4, authvalue: 'k2' });
    const a = await createStep(api, e1, 'Update', 'account', { name: 'a' });
    const b = await createStep(api, e2, 'Update', 'account', { name: 'b' });
    const c = await createStep(api, e2, 'Update', 'account', { name: 'c' });
    for (const s of [a, b, c])
      expect((await createImage(api, s, { name: 'Post', entityalias: 'Post', imagetype: 1, messagepropertyname: 'Target', attributes: 'name' })).status).toBe(
        204,
      );

    expect((await op('PUT', `webhooks/rowversion/${e2.toUpperCase()}`, { mode: 'always' })).status).toBe(200);
    const put = await op('PUT', `webhooks/rowversion/${c}`, { mode: 'published' });
    expect(put).toEqual({ status: 200, json: { webhookRowVersion: 'never', webhookRowVersionByRegistration: { [e2]: 'always', [c]: 'published' } } });
    expect((await op('GET', `webhooks/rowversion/${c}`)).json).toEqual({ id: c, override: 'published', webhookRowVersion: 'never' });
    expect((await op('GET', 'config')).json).toMatchObject({
      webhookRowVersion: 'never',
      webhookRowVersionByRegistration: { [e2]: 'always', [c]: 'published' },
    });

    const id = await createAccount();
    await api.patch(`accounts(${id})`, { telephone1: '1' });
    const v1 = await versionOf(id);
    await hooks.drain();
    expect(rowVersions(byStep(a)[0])).toEqual({ target: null, parent: null, pre: {}, post: { Post: null, AsynchronousStepPrimaryName: null } });
    expect(rowVersions(byStep(b)[0])).toEqual({ target: v1, parent: v1, pre: {}, post: { Post: v1, AsynchronousStepPrimaryName: v1 } });
    expect(rowVersions(byStep(c)[0])).toEqual({ target: v1, parent: v1, pre: {}, post: { Post: null, AsynchronousStepPrimaryName: null } });

    // Remove e2's override, change the emulator-wide mode: b follows it, c keeps its own.
    expect((await op('DELETE', `webhooks/rowversion/${e2}`)).json).toEqual({
      webhookRowVersion: 'never',
      webhookRowVersionByRegistration: { [c]: 'published' },
    });
    expect((await op('PUT', 'webhooks/rowversion', { mode: 'always' })).json.webhookRowVersion).toBe('always');
    await api.patch(`accounts(${id})`, { telephone1: '2' });
    const v2 = await versionOf(id);
    await hooks.drain();
    expect(rowVersions(byStep(a)[1]).post).toEqual({ Post: v2, AsynchronousStepPrimaryName: v2 });
    expect(rowVersions(byStep(b)[1]).post).toEqual({ Post: v2, AsynchronousStepPrimaryName: v2 });
    expect(rowVersions(byStep(c)[1])).toEqual({ target: v2, parent: v2, pre: {}, post: { Post: null, AsynchronousStepPrimaryName: null } });
  });

  it('start option keyed by a step id the test chooses (POST with sdkmessageprocessingstepid), and webhookControl.setRowVersion', async () => {
    const chosen = '0f8fad5b-d9cb-469f-a165-70867728950e';
    await setUp({ webhookRowVersion: 'never', webhookRowVersionByRegistration: { [chosen.toUpperCase()]: 'published' } });
    expect(hooks.rowVersion().webhookRowVersionByRegistration).toEqual({ [chosen]: 'published' });
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'k' });
    const mine = await createStep(api, endpoint, 'Update', 'account', { name: 'mine', sdkmessageprocessingstepid: chosen });
    expect(mine).toBe(chosen);
    const other = await createStep(api, endpoint, 'Update', 'account', { name: 'other' });
    const id = await createAccount();
    await api.patch(`accounts(${id})`, { telephone1: '1' });
    const v1 = await versionOf(id);
    await hooks.drain();
    expect(rowVersions(byStep(mine)[0]).target).toBe(v1);
    expect(rowVersions(byStep(other)[0]).target).toBeNull();

    hooks.setRowVersion('published', other);
    hooks.setRowVersion(null, mine);
    await api.patch(`accounts(${id})`, { telephone1: '2' });
    const v2 = await versionOf(id);
    await hooks.drain();
    expect(rowVersions(byStep(mine)[1]).target).toBeNull();
    expect(rowVersions(byStep(other)[1]).target).toBe(v2);
  });

  it('PATCH /_emulator/config changes the emulator-wide mode at runtime', async () => {
    await setUp();
    const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'k' });
    const step = await createStep(api, endpoint, 'Create', 'account');
    expect((await op('PATCH', 'config', { webhookRowVersion: 'always' })).status).toBe(200);
    const id = await createAccount();
    const v = await versionOf(id);
    await hooks.drain();
    expect(rowVersions(byStep(step)[0]).target).toBe(v);
  });
});

describe('invalid RowVersion settings are refused', () => {
  it('operator endpoint, config PATCH and start options name what is accepted', async () => {
    await setUp();
    const bad = await op('PUT', 'webhooks/rowversion', { mode: 'sometimes' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/"published", "always", "never"/);
    expect((await op('PUT', 'webhooks/rowversion/not-a-guid', { mode: 'always' })).status).toBe(400);
    expect((await op('PUT', 'webhooks/rowversion/0f8fad5b-d9cb-469f-a165-70867728950e', {})).status).toBe(400);
    expect((await op('POST', 'webhooks/rowversion', { mode: 'always' })).status).toBe(404);
    expect((await op('PATCH', 'config', { webhookRowVersion: 'sometimes' })).status).toBe(400);
    expect(hooks.rowVersion()).toEqual({ webhookRowVersion: 'published', webhookRowVersionByRegistration: {} });
    await expect(startDataverseEmulator({ port: 0, webhookRowVersion: 'sometimes' as never })).rejects.toThrow(/webhookRowVersion/);
    await expect(startDataverseEmulator({ port: 0, webhookRowVersionByRegistration: { 'step-1': 'always' } })).rejects.toThrow(/GUID/);
  });
});
