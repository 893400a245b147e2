import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { client, start } from './helpers';
import type { DataverseEmulator } from '../../../../../emulators/dataverse';
import type { WriteEvent } from '../../../../../emulators/dataverse/types';

let dv: DataverseEmulator;
let api: ReturnType<typeof client>;
const op = (method: string, p: string, body?: unknown) =>
  fetch(`${dv.operatorUrl}${p}`, { method, body: body === undefined ? undefined : JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    json: (await r.json()) as any,
  }));
beforeAll(async () => {
  dv = await start();
  api = client(dv.url('source'));
});
afterAll(() => dv.close());
beforeEach(async () => {
  await op('POST', 'reset');
  await op('PATCH', 'config', { faults: { errorRate: 0, dropRate: 0, burst503: 0, slowRate: 0, throttleStormSeconds: 0 } });
});

describe('operator endpoints', () => {
  it('loads rows in bulk atomically, naming the failing row', async () => {
    const ok = await op('POST', 'environments/source/tables/account/rows', [
      { name: 'a', accountnumber: 'L-1' },
      { name: 'b', accountnumber: 'L-2' },
    ]);
    expect(ok).toMatchObject({ status: 200, json: { loaded: 2 } });
    expect((await api.get("accounts(accountnumber='L-2')?$select=name")).json!.name).toBe('b');
    const bad = await op('POST', 'environments/source/tables/account/rows', { rows: [{ name: 'c', accountnumber: 'L-3' }, { nmae: 'typo' }] });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/^rows\[1\]: .*Invalid property 'nmae'.*Nothing was loaded\.$/);
    expect((await api.get("accounts(accountnumber='L-3')")).status).toBe(404);
  });

  it('saves and loads state to a JSON file', async () => {
    await api.post('accounts', { name: 'kept', accountnumber: 'K-1' });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'dv-state-')), 'state.json');
    expect((await op('POST', 'state/save', { file })).status).toBe(200);
    await op('POST', 'reset');
    expect((await api.get("accounts(accountnumber='K-1')")).status).toBe(404);
    expect((await op('POST', 'state/load', { file })).status).toBe(200);
    expect((await api.get("accounts(accountnumber='K-1')?$select=name")).json!.name).toBe('kept');
  });

  it('rejects invalid runtime config with a message naming the field', async () => {
    const r = await op('PATCH', 'config', { limits: { requests: -1 } });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain('limits.requests');
  });
});

describe('faults', () => {
  it('a 503 burst answers 503 for the next N requests, then recovers', async () => {
    await op('PATCH', 'config', { faults: { burst503: 2 } });
    const s = [];
    for (let i = 0; i < 3; i++) s.push((await api.get('EntityDefinitions?$select=LogicalName')).status);
    expect(s).toEqual([503, 503, 200]);
  });

  it('errorRate 1 answers one of the configured statuses', async () => {
    await op('PATCH', 'config', { faults: { errorRate: 1, errorStatuses: [502] } });
    expect((await api.post('accounts', { name: 'x' })).status).toBe(502);
  });

  it('slowRate 1 delays every response by slowMs (scaled by timeScale)', async () => {
    await op('PATCH', 'config', { faults: { slowRate: 1, slowMs: 250_000 } }); // × 0.001 = 250 ms
    const t0 = performance.now();
    expect((await api.get('WhoAmI')).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(240);
    await op('PATCH', 'config', { faults: { slowRate: 0 } });
  });

  it('dropRate 1 destroys the socket without a response', async () => {
    await op('PATCH', 'config', { faults: { dropRate: 1 } });
    await expect(fetch(`${dv.url('source')}accounts`, { headers: { authorization: 'Bearer x' } })).rejects.toThrow();
  });

  it('a 429 storm throttles every request with Retry-After', async () => {
    await op('PATCH', 'config', { faults: { throttleStormSeconds: 600, throttleStormRetryAfterSeconds: 30 } });
    const r = await api.post('accounts', { name: 'x' });
    expect(r.status).toBe(429);
    expect(r.json!.error.code).toBe('0x80072322');
    expect(r.headers.get('retry-after')).toBe('0.030'); // 30 s × timeScale 0.001
  });
});

describe('write events (for webhooks and change tracking)', () => {
  it('publishes committed writes with images, tag, bypass flag and caller', async () => {
    const env = dv.environments.get('source')!;
    const seen: WriteEvent[] = [];
    const off = env.onCommitted((events) => seen.push(...events));
    try {
      await api.patch("accounts(accountnumber='EV-1')", { name: 'v1' });
      await fetch(`${dv.url('source')}accounts(accountnumber='EV-1')?tag=from-sync`, {
        method: 'PATCH',
        headers: {
          authorization: 'Bearer test-user',
          'content-type': 'application/json',
          'mscrm.bypasscustompluginexecution': 'true',
          callerobjectid: 'c0ffee00-0000-0000-0000-000000000001',
        },
        body: JSON.stringify({ name: 'v2' }),
      });
      expect(seen.map((e) => e.message)).toEqual(['Create', 'Update']);
      const [created, updated] = seen;
      expect(created).toMatchObject({ table: 'account', postImage: { name: 'v1', accountnumber: 'EV-1' }, depth: 1, bypassCustomPluginExecution: false });
      expect(updated).toMatchObject({
        id: created.id,
        preImage: { name: 'v1' },
        postImage: { name: 'v2' },
        tag: 'from-sync',
        bypassCustomPluginExecution: true,
        callerObjectId: 'c0ffee00-0000-0000-0000-000000000001',
      });
      expect(updated.changedColumns).toContain('name');
      expect(updated.versionNumber).toBeGreaterThan(created.versionNumber);
      expect(
        env
          .changeLog('account')
          .slice(-2)
          .map((c) => c.kind),
      ).toEqual(['upsert', 'upsert']);
    } finally {
      off();
    }
  });
});
