/**
 * The worker under the real host's semantics (issue 11): a batch's locks are not renewed, and a thrown batch is
 * redelivered at once and dead-lettered at maxDeliveryCount. So the engine stops writing at the batch's deadline
 * and reschedules the rest (reason Deadline, not a record retry), and the worker's engine reschedules a batch
 * that meets an outage with backoff instead of throwing. Real engine, Dataverse emulator, Azurite, Service Bus.
 */
import { RecordLedger } from '../../../shared/ledger/record-ledger';
import { OUTAGES_PROPERTY } from '../../../shared/engine/engine';
import { workerDeadline } from '../../../shared/app/engine';
import type { Sink } from '../../../shared/engine/sink';
import { accountRoute, closedPort, rig, rows, useWorld } from './harness';

const world = useWorld();
const accounts = () => rows(world.dv, 'target', 'accounts', 'accountnumber');

describe('the batch deadline', () => {
  it('sends nothing after the deadline: every change is rescheduled at once as Deadline, without counting a retry', async () => {
    const r = rig(world, [accountRoute()]);
    const batch = ['D-1', 'D-2', 'D-3'].map((num) => r.msg('accounts', { num, name: num }, 1));
    const result = await r.engine.applyChanges(batch, { deadline: new Date(Date.now() - 1) });
    expect(result.counts).toEqual({ applied: 0, skipped: 0, failed: 0, rescheduled: 3 });
    expect(result.outcomes.map((o) => o.outcome)).toEqual(Array(3).fill(expect.objectContaining({ status: 'rescheduled', reason: 'Deadline' })));
    expect(await accounts()).toEqual([]);
    const queued = await r.queued();
    expect(queued.map((m) => JSON.parse(String(m.body)).values.num).sort()).toEqual(['D-1', 'D-2', 'D-3']);
    // Not a record retry: the retry counter is unchanged, so a slow environment cannot exhaust retry.maxAttempts.
    expect(queued.every((m) => (m.applicationProperties?.dvsyncRetries ?? 0) === 0)).toBe(true);
    // The rescheduled changes apply in the next batch.
    const next = await r.engine.applyChanges(batch);
    expect(next.counts.applied).toBe(3);
  });

  it('applies what it sent before the deadline, reschedules the rest, and loses nothing', async () => {
    // Each request lasts a second, one in flight: the third chunk starts at least 2 s in, after the 1.5 s deadline.
    const slow = (real: Sink): Sink => ({
      parallelism: () => 1,
      apply: async (env, path, actions, options) => {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        return real.apply(env, path, actions, options);
      },
    });
    const r = rig(world, [accountRoute()], { engine: { batchSize: { bulk: 2 }, chunksInFlight: 1 }, dataverse: slow });
    const batch = Array.from({ length: 6 }, (_, i) => r.msg('accounts', { num: `P-${i}`, name: `p${i}` }, 1));
    const result = await r.engine.applyChanges(batch, { deadline: new Date(Date.now() + 1500) });
    expect(result.counts.applied + result.counts.rescheduled).toBe(6);
    expect(result.counts.rescheduled).toBeGreaterThanOrEqual(2);
    const applied = result.outcomes.filter((o) => o.outcome.status === 'applied').map((o) => o.targetKey);
    expect(
      result.outcomes.filter((o) => o.outcome.status === 'rescheduled').every((o) => o.outcome.status === 'rescheduled' && o.outcome.reason === 'Deadline'),
    ).toBe(true);
    expect((await accounts()).length).toBe(applied.length);
    expect((await r.queued()).length).toBe(result.counts.rescheduled);
  });

  it('is the end of the locks less a fifth of the lock, at least 15 s', () => {
    expect(workerDeadline(300_000, 0).getTime()).toBe(240_000);
    expect(workerDeadline(60_000, 1000).getTime()).toBe(46_000);
  });
});

describe('a batch-wide outage', () => {
  const unreachable = async () =>
    `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${Buffer.from('k').toString('base64')};TableEndpoint=http://127.0.0.1:${await closedPort()}/devstoreaccount1;`;

  it('is rescheduled with backoff (not thrown) by the worker engine, and applies once storage is back', async () => {
    const dead = new RecordLedger({ connectionString: await unreachable(), table: 'unreachable', maxRetries: 0 });
    let down = true;
    const r = rig(world, [accountRoute()], {
      engine: { outage: 'reschedule', outageBackoff: { firstMs: 1000, maxMs: 4000 } },
      ledger: (real) => ({
        read: (keys) => (down ? dead.read(keys) : real.read(keys)),
        write: (entries) => (down ? dead.write(entries) : real.write(entries)),
      }),
    });
    const batch = [r.msg('accounts', { num: 'O-1', name: 'one' }, 1), r.msg('accounts', { num: 'O-2', name: 'two' }, 1)];
    const before = Date.now();
    const held = await r.engine.applyChanges(batch);
    expect(held.counts).toEqual({ applied: 0, skipped: 0, failed: 0, rescheduled: 2 });
    expect(held.outcomes[0].outcome).toMatchObject({
      status: 'rescheduled',
      reason: 'Outage',
      detail: expect.stringMatching(/Reading the record ledger failed/),
    });
    const queued = await r.queued();
    expect(queued).toHaveLength(2);
    expect(queued.map((m) => m.applicationProperties?.[OUTAGES_PROPERTY])).toEqual([1, 1]);
    const at = queued.map((m) => m.scheduledEnqueueTimeUtc!.getTime() - before);
    expect(Math.min(...at)).toBeGreaterThanOrEqual(700);

    // The second outage attempt waits about twice as long.
    const again = await r.engine.applyChanges(
      queued.map((m) => ({ body: m.body, messageId: String(m.messageId), sessionId: m.sessionId, applicationProperties: m.applicationProperties })),
    );
    const second = again.outcomes.map((o) => (o.outcome.status === 'rescheduled' ? Date.parse(o.outcome.notBefore) - Date.now() : 0));
    expect(Math.min(...second)).toBeGreaterThan(1400);

    down = false;
    expect((await r.engine.applyChanges(batch)).counts.applied).toBe(2);
    expect((await accounts()).map((a) => a.accountnumber).sort()).toEqual(['O-1', 'O-2']);
  });

  it('still throws by default (an engine used directly: the caller decides)', async () => {
    const dead = new RecordLedger({ connectionString: await unreachable(), table: 'unreachable', maxRetries: 0 });
    const r = rig(world, [accountRoute()], { ledger: () => dead });
    await expect(r.engine.applyChanges([r.msg('accounts', { num: 'T-1', name: 't' }, 1)])).rejects.toThrow(/Reading the record ledger failed/);
  });
});
