/**
 * Follow-up items over real HTTP: change-tracking retention and strict batch line endings as
 * emulator options and through PATCH /_emulator/config; webhook timeouts following the request's
 * timeScale; the ParentContext Target of a Create holding exactly the caller's columns; a
 * statecode-only PATCH reaching webhooks as an Update of statecode/statuscode (fixture 7 in test/fixtures/dataverse-webhook).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDataverseEmulator, type DataverseEmulator } from '../../../../../emulators/dataverse';
import { webhookControl } from '../../../../../emulators/dataverse/webhooks';
import { client, idFromEntityId } from '../core/helpers';
import { createEndpoint, createStep, kv, startReceiver, type Receiver } from '../webhooks/helpers';

const LF_BATCH = (base: string) =>
  [
    '--b1',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    '',
    `POST ${base}accounts HTTP/1.1`,
    'Content-Type: application/json',
    '',
    '{"name":"LF"}',
    '--b1--',
    '',
  ].join('\n');

async function postBatch(base: string, body: string): Promise<Response> {
  return fetch(`${base}$batch`, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'multipart/mixed; boundary=b1' }, body });
}

const patchConfig = (dv: DataverseEmulator, body: unknown) =>
  fetch(`${dv.operatorUrl}config`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('emulator options: change-tracking retention and strict batch line endings', () => {
  let dv: DataverseEmulator;
  beforeAll(async () => {
    dv = await startDataverseEmulator({ port: 0, timeScale: 0.0001, batchStrictLineEndings: true, changeTrackingRetentionMs: 0 });
  });
  afterAll(() => dv.close());

  it('strict line endings from the start option refuse bare LF (400 0x80048d19), and PATCH /_emulator/config turns them off', async () => {
    const refused = await postBatch(dv.url(), LF_BATCH(dv.url()));
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('0x80048d19');
    const patched = await patchConfig(dv, { batchStrictLineEndings: false });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { batchStrictLineEndings: boolean }).batchStrictLineEndings).toBe(false);
    expect((await postBatch(dv.url(), LF_BATCH(dv.url()))).status).toBe(200);
  });

  it('retention 0 expires a delta token once its second has passed; PATCH restores a long retention', async () => {
    const api = client(dv.url());
    const first = await api.get('contacts?$select=lastname', { prefer: 'odata.track-changes' });
    const link: string = first.json!['@odata.deltaLink'];
    await sleep(1100);
    const expired = await api.get(link.slice(dv.url().length));
    expect(expired.status).toBe(400);
    expect(expired.json!.error.code).toBe('0x80044352');
    expect((await patchConfig(dv, { changeTrackingRetentionMs: 60_000 })).status).toBe(200);
    const fresh = await api.get('contacts?$select=lastname', { prefer: 'odata.track-changes' });
    const ok = await api.get(fresh.json!['@odata.deltaLink'].slice(dv.url().length));
    expect(ok.status).toBe(200);
  });

  it('reports the remaining execution time in seconds with grouping and two decimals, as live environments do', async () => {
    const res = await client(dv.url(), 'fresh-user').post('accounts', { name: 'timing' });
    expect(res.headers.get('x-ms-ratelimit-time-remaining-xrm-requests')).toBe('1,199.96'); // 1,200,000 ms − one 40 ms create
  });

  it('rejects an invalid option value with what was wrong', async () => {
    const bad = await patchConfig(dv, { changeTrackingRetentionMs: -1 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('changeTrackingRetentionMs');
  });
});

describe('write events seen by webhooks', () => {
  let dv: DataverseEmulator;
  let receiver: Receiver;
  beforeAll(async () => {
    dv = await startDataverseEmulator({ port: 0, timeScale: 0.01 }); // webhook timeout 600 ms
    receiver = await startReceiver();
    const api = client(dv.url());
    const endpoint = await createEndpoint(api, { url: receiver.url, authtype: 5, authvalue: '<settings><setting name="x-k" value="v" /></settings>' });
    await createStep(api, endpoint, 'Create', 'contact');
    await createStep(api, endpoint, 'Update', 'contact');
  });
  afterAll(async () => {
    await dv.close();
    await receiver.close();
  });

  it('the ParentContext Target of a Create holds exactly the columns the caller sent (plus the id)', async () => {
    const api = client(dv.url());
    const res = await api.post('contacts', { lastname: 'Exact', jobtitle: 'Buyer' });
    const id = idFromEntityId(res.headers);
    await webhookControl(dv.runtime).drain();
    const body = receiver.received.find((r) => r.body.MessageName === 'Create' && r.body.PrimaryEntityId === id)!.body;
    const parentTarget = kv(kv(body.ParentContext.InputParameters).get('Target').Attributes);
    expect([...parentTarget.keys()].sort()).toEqual(['contactid', 'jobtitle', 'lastname']);
    // The stage-40 Target still carries what the platform set (statecode default, owner, …).
    expect(kv(kv(body.InputParameters).get('Target').Attributes).has('ownerid')).toBe(true);
  });

  it('a statecode-only PATCH arrives as an Update whose Target has the state columns and system columns', async () => {
    const api = client(dv.url());
    const id = idFromEntityId((await api.post('contacts', { lastname: 'Stateful' })).headers);
    await api.patch(`contacts(${id})`, { statecode: 1, statuscode: 2 }, { 'if-match': '*' });
    await webhookControl(dv.runtime).drain();
    const update = receiver.received.find((r) => r.body.MessageName === 'Update' && r.body.PrimaryEntityId === id)!.body;
    const target = kv(kv(update.InputParameters).get('Target').Attributes);
    expect(target.get('statecode')).toEqual({ __type: 'OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts', Value: 1 });
    expect(target.get('statuscode')).toEqual({ __type: 'OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts', Value: 2 });
    expect(target.has('lastname')).toBe(false);
    expect(target.has('modifiedon')).toBe(true);
  });
});

describe('webhook delivery timeout follows the request timeScale', () => {
  it('a sync step whose endpoint never answers fails the write after 60 s × timeScale, without any operator call', async () => {
    const hanging = http.createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const dv = await startDataverseEmulator({ port: 0, timeScale: 0.001 }); // 60 s → 60 ms
    try {
      const api = client(dv.url());
      const endpoint = await createEndpoint(api, {
        url: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hook`,
        authtype: 5,
        authvalue: '<settings><setting name="x-k" value="v" /></settings>',
      });
      await createStep(api, endpoint, 'Create', 'lead', { mode: 0, stage: 20 });
      const started = Date.now();
      const res = await api.post('leads', { subject: 'times out' });
      expect(res.status).toBe(400);
      expect(res.json!.error.code).toBe('0x80040265');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await api.get("leads?$filter=subject eq 'times out'")).json!.value).toEqual([]);
    } finally {
      await dv.close();
      hanging.closeAllConnections();
      hanging.close();
    }
  });
});
