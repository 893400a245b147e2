/** Conformance of change tracking against Learn: use-change-tracking-synchronize-data-external-systems. */
import { setChangeTrackingRetention } from '../../../../../emulators/dataverse/changes/retention';
import { startHarness, type Harness } from '../query/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.dv.close());

const TRACK = { prefer: 'odata.track-changes' };
const create = async (name: string): Promise<string> => {
  const res = await h.call('POST', 'accounts', { body: { name } });
  return /\(([^)]+)\)$/.exec(res.headers.get('odata-entityid')!)![1];
};

describe('change tracking', () => {
  it('returns all rows and a delta link, then new/changed rows followed by deletions', async () => {
    const a = await create('T-a');
    const b = await create('T-b');
    const first = await h.call('GET', 'accounts?$select=name', { headers: TRACK });
    expect(first.status).toBe(200);
    expect(first.headers.get('preference-applied')).toBe('odata.track-changes');
    const body = await h.json(first);
    expect(body.value.map((r: any) => r.name).sort()).toEqual(['T-a', 'T-b']);
    const link: string = body['@odata.deltaLink'];
    expect(new URL(link).searchParams.get('$deltatoken')).toMatch(/^\d+!\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}$/);

    await h.call('PATCH', `accounts(${a})`, { body: { name: 'T-a2' }, headers: { 'if-match': '*' } });
    await h.call('DELETE', `accounts(${b})`);
    const c = await create('T-c');
    const temp = await create('T-temp');
    await h.call('DELETE', `accounts(${temp})`);

    const delta = await h.json(await h.call('GET', link));
    expect(delta['@odata.context']).toBe(`${h.base}$metadata#accounts(name,accountid)/$delta`);
    expect(delta.value.slice(0, 2).map((r: any) => r.name)).toEqual(['T-a2', 'T-c']);
    expect(delta.value.slice(2)).toEqual([
      { '@odata.context': `${h.base}$metadata#accounts/$deletedEntity`, id: b, reason: 'deleted' },
      { '@odata.context': `${h.base}$metadata#accounts/$deletedEntity`, id: temp, reason: 'deleted' },
    ]);
    expect(delta.value[1].accountid).toBe(c);
    const empty = await h.json(await h.call('GET', delta['@odata.deltaLink']));
    expect(empty.value).toEqual([]);
    expect(empty['@odata.deltaLink']).toBeDefined();
  });

  it('pages a tracked load with maxpagesize: nextLink pages, then the delta link on the last page', async () => {
    for (let i = 0; i < 5; i++) await create(`P-${i}`);
    const headers = { prefer: 'odata.track-changes,odata.maxpagesize=2' };
    let body = await h.json(await h.call('GET', 'accounts?$select=name', { headers }));
    const seen: string[] = [];
    let pages = 1;
    seen.push(...body.value.map((r: any) => r.accountid));
    while (body['@odata.nextLink']) {
      expect(body['@odata.deltaLink']).toBeUndefined();
      expect(new URL(body['@odata.nextLink']).searchParams.get('$skiptoken')).toContain('istracking="True"');
      body = await h.json(await h.call('GET', body['@odata.nextLink'], { headers: { prefer: 'odata.maxpagesize=2' } }));
      seen.push(...body.value.map((r: any) => r.accountid));
      pages++;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBe(Math.ceil(seen.length / 2));
    expect(body['@odata.deltaLink']).toBeDefined();
    const changed = await create('P-after');
    const delta = await h.json(await h.call('GET', body['@odata.deltaLink']));
    expect(delta.value.map((r: any) => r.accountid)).toEqual([changed]);
  });

  it('rejects $filter, $orderby, $expand and $top with change tracking', async () => {
    for (const q of ["$filter=name eq 'x'", '$orderby=name', '$expand=primarycontactid', '$top=1']) {
      const res = await h.call('GET', `accounts?$select=name&${q}`, { headers: TRACK });
      expect(res.status).toBe(400);
      const option = q.split('=')[0];
      expect((await h.json(res)).error.message).toBe(`The "${option}" query parameter isn't supported when Change Tracking is enabled.`);
    }
  });

  it('refuses a table without change tracking', async () => {
    const res = await h.call('GET', 'dvs_telemetryevents', { headers: TRACK });
    expect(res.status).toBe(400);
    expect((await h.json(res)).error).toEqual({ code: '0x80072491', message: "Entity dvs_telemetryevent isn't enabled for change tracking." });
  });

  it('expires tokens older than the retention with 0x80044352 instead of a partial delta', async () => {
    const link = (await h.json(await h.call('GET', 'accounts?$select=name', { headers: TRACK })))['@odata.deltaLink'];
    const env = [...h.dv.environments.values()][0];
    setChangeTrackingRetention(env, 0);
    try {
      await new Promise((r) => setTimeout(r, 5));
      const res = await h.call('GET', link);
      expect(res.status).toBe(400);
      expect((await h.json(res)).error).toEqual({
        code: '0x80044352',
        message: 'Version stamp associated with the client has expired. Please perform a full sync.',
      });
    } finally {
      setChangeTrackingRetention(env, 7 * 24 * 3600 * 1000);
    }
    expect((await h.call('GET', link)).status).toBe(200);
  });
});
