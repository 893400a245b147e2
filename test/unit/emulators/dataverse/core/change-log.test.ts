/** The change log's retention trim and the write events' caller columns / SetState (store/environment.ts). */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultCostModel } from '../../../../../emulators/dataverse/cost';
import { loadSchema } from '../../../../../emulators/dataverse/schema/load';
import { Environment } from '../../../../../emulators/dataverse/store/environment';
import type { RequestContext, WriteEvent } from '../../../../../emulators/dataverse/types';

const env = () =>
  new Environment({ name: 'u', uniqueName: 'orgu', organizationId: randomUUID(), friendlyName: 'u', businessUnitId: randomUUID() }, loadSchema().build());
const ctxFor = (e: Environment): RequestContext => ({
  env: e,
  user: { systemUserId: randomUUID(), principal: 'p', name: 'p' },
  now: new Date(),
  bypassPlugins: false,
  suppressDuplicateDetection: true,
  correlationId: randomUUID(),
  requestId: randomUUID(),
  costMs: 0,
  writePath: 'single',
  costModel: defaultCostModel,
  timeScale: 1,
  operations: {},
  baseUrl: '',
});

describe('change log retention', () => {
  it('keeps every entry within the retention', () => {
    const e = env();
    const ctx = ctxFor(e);
    for (let i = 0; i < 5; i++) e.create(ctx, 'account', { name: `a${i}` });
    expect(e.changeLog('account')).toHaveLength(5);
    expect(e.trimmedVersion('account')).toBe(0);
  });

  it('drops entries older than the retention on the next commit and remembers the highest dropped version', async () => {
    const e = env();
    const ctx = ctxFor(e);
    e.changeRetentionMs = 20;
    const old = [0, 1, 2].map((i) => e.create(ctx, 'account', { name: `old${i}` }));
    await sleep(40);
    const fresh = e.create(ctx, 'account', { name: 'fresh' });
    expect(e.changeLog('account').map((c) => c.id)).toEqual([fresh.accountid]);
    expect(e.trimmedVersion('account')).toBe(old[2].versionnumber);
    // Other tables keep their own logs.
    expect(e.trimmedVersion('contact')).toBe(0);
  });

  it('clear() forgets trimmed versions', async () => {
    const e = env();
    e.changeRetentionMs = 0;
    e.create(ctxFor(e), 'account', { name: 'x' });
    await sleep(5);
    e.create(ctxFor(e), 'account', { name: 'y' });
    expect(e.trimmedVersion('account')).toBeGreaterThan(0);
    e.clear();
    expect(e.trimmedVersion('account')).toBe(0);
  });
});

describe('write events', () => {
  const capture = (e: Environment): WriteEvent[] => {
    const events: WriteEvent[] = [];
    e.onCommitted((ev) => events.push(...ev));
    return events;
  };

  it('callerColumns are exactly the columns the write set, without server-set or default columns', () => {
    const e = env();
    const ctx = ctxFor(e);
    const events = capture(e);
    const row = e.create(ctx, 'contact', { lastname: 'L', jobtitle: 'J' });
    e.update(ctx, 'contact', String(row.contactid), { jobtitle: 'K' });
    expect(events[0].callerColumns).toEqual(['lastname', 'jobtitle']);
    expect(events[0].changedColumns).toEqual(expect.arrayContaining(['ownerid', 'createdon', 'versionnumber']));
    expect(events[1]).toMatchObject({ message: 'Update', callerColumns: ['jobtitle'] });
  });

  it('an update of only statecode/statuscode is a SetState; mixed with other columns it stays an Update', () => {
    const e = env();
    const ctx = ctxFor(e);
    const events = capture(e);
    const id = String(e.create(ctx, 'contact', { lastname: 'S' }).contactid);
    e.update(ctx, 'contact', id, { statecode: 1, statuscode: 2 });
    e.update(ctx, 'contact', id, { statecode: 0, lastname: 'T' });
    e.update(ctx, 'contact', id, { lastname: 'U' }, 'Upsert', true);
    expect(events.slice(1).map((ev) => ev.message)).toEqual(['SetState', 'Update', 'Upsert']);
  });
});
