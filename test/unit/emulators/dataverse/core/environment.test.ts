import { randomUUID } from 'node:crypto';
import { loadSchema } from '../../../../../emulators/dataverse/schema/load';
import { Environment } from '../../../../../emulators/dataverse/store/environment';
import { defaultCostModel } from '../../../../../emulators/dataverse/cost';
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

describe('Environment transactions', () => {
  it('rolls back every write of a failed transaction and publishes nothing', async () => {
    const e = env();
    const ctx = ctxFor(e);
    const events: WriteEvent[] = [];
    e.onCommitted((ev) => events.push(...ev));
    const kept = e.create(ctx, 'account', { name: 'kept', accountnumber: 'K' });
    events.length = 0;
    await expect(
      e.transaction(ctx, () => {
        e.create(ctx, 'account', { name: 'new', accountnumber: 'N' });
        e.update(ctx, 'account', String(kept.accountid), { name: 'changed' });
        e.delete(ctx, 'account', String(kept.accountid));
        e.create(ctx, 'account', { name: 'dup', accountnumber: 'n' }); // duplicate key → 412
      }),
    ).rejects.toMatchObject({ status: 412, code: '0x80060892' });
    expect(e.rowCount('account')).toBe(1);
    expect(e.getRow('account', String(kept.accountid))!.name).toBe('kept');
    expect(e.findByKey('account', e.table('account')!.keys[0], { accountnumber: 'K' })).toBeDefined();
    expect(e.findByKey('account', e.table('account')!.keys[0], { accountnumber: 'N' })).toBeUndefined();
    expect(events).toEqual([]);
    expect(ctx.tx).toBeUndefined();
  });

  it('publishes all events of a committed transaction at once and keeps stableVersion below open writes', async () => {
    const e = env();
    const ctx = ctxFor(e);
    const batches: WriteEvent[][] = [];
    e.onCommitted((ev) => batches.push(ev));
    const before = e.currentVersion();
    let insideStable = -1;
    await e.transaction(ctx, () => {
      e.create(ctx, 'account', { name: 'a' });
      e.create(ctx, 'account', { name: 'b' });
      insideStable = e.stableVersion();
    });
    expect(insideStable).toBe(before);
    expect(batches).toHaveLength(1);
    expect(batches[0].map((x) => x.message)).toEqual(['Create', 'Create']);
    expect(e.stableVersion()).toBe(e.currentVersion());
    expect(e.changeLog('account').map((c) => c.version)).toEqual([before + 1, before + 2]);
  });

  it('activating a key over duplicate data ends Failed (Learn: define-alternate-keys-entity)', () => {
    const e = env();
    const ctx = ctxFor(e);
    e.setKeyStatus('account', 'dvs_accountnumber_key', 'Pending');
    e.create(ctx, 'account', { name: 'a', accountnumber: 'SAME' });
    e.create(ctx, 'account', { name: 'b', accountnumber: 'same' });
    expect(e.setKeyStatus('account', 'dvs_accountnumber_key', 'Active')).toBe('Failed');
  });
});
