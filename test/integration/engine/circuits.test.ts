/**
 * Systemic errors stop the route, not one record at a time (issue 9, defect 6): a 1,000-record batch that
 * meets a missing privilege costs one request, not 2N; its changes are held (rescheduled, never failed or
 * dead-lettered); one failure row says why; the circuit is in Table Storage, so another instance holds the
 * route without a request; a probe write closes it once the privilege is back, and an operator can close it.
 * Real engine → client → Dataverse emulator (privilege switch), ledger/failures/circuits on Azurite.
 */
import { TableCircuitStore } from '../../../shared/ledger/circuits';
import { routeSchema } from '../../../shared/routes/schema';
import { accountRoute, counters, operator, rig, rows, uniqueName, useWorld } from './harness';

const world = useWorld();
const store = () => new TableCircuitStore({ connectionString: world.azurite.connectionString, table: uniqueName('circuits') });
const deny = (actions: string[]) =>
  operator(world.dv, 'PUT', 'environments/target/privileges/app-user-1', { deny: actions.map((action) => ({ table: 'account', action })) });
const requests = async () => (await counters(world.dv)).requests;

describe('circuits', () => {
  it('a missing privilege on a 1,000-record batch: one request, every change held, one failure row, shared with other instances, closed by a probe', async () => {
    await deny(['Create', 'Write']);
    const circuits = store();
    // The engines' clock: moved by hand, so probe times do not depend on how fast this machine is.
    let clock = Date.now();
    const now = () => new Date(clock);
    const probeMs = 60_000;
    const options = { circuit: { firstProbeMs: probeMs, maxProbeMs: 3_600_000 }, now };
    const a = rig(world, [accountRoute()], { circuits, engine: options });
    const batch = Array.from({ length: 1000 }, (_, i) => a.msg('accounts', { num: `P-${i}`, name: `Acme ${i}` }, 1));
    const before = await requests();
    const first = await a.engine.applyChanges(batch);
    expect(first.counts).toEqual({ applied: 0, skipped: 0, failed: 0, rescheduled: 1000 });
    expect((await requests()) - before).toBeLessThanOrEqual(2);
    expect(first.outcomes.every((o) => o.outcome.status === 'rescheduled' && o.outcome.reason === 'CircuitOpen')).toBe(true);
    expect(first.circuits?.opened).toEqual([
      expect.objectContaining({
        route: 'accounts',
        cause: 'privilege',
        status: 403,
        code: '0x80040220',
        message: expect.stringMatching(/missing prvCreateAccount privilege/),
      }),
    ]);
    const failures = await a.failures.list('accounts');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      reason: 'CircuitOpen',
      status: 403,
      code: '0x80040220',
      kind: 'privilege',
      detail: expect.stringMatching(/held \(rescheduled, never failed or dead-lettered\).*dvsync circuits close accounts/),
    });
    const opened = await circuits.listOpen();
    expect(opened).toEqual([expect.objectContaining({ route: 'accounts', state: 'open', probes: 0 })]);

    // Another instance (its own engine, same circuits table) holds the route without a request.
    const b = rig(world, [accountRoute()], { circuits, engine: options });
    const mid = await requests();
    const second = await b.engine.applyChanges(batch.slice(0, 50).map((m) => ({ ...m, messageId: `${m.messageId}-b` })));
    expect(second.counts.rescheduled).toBe(50);
    expect(await requests()).toBe(mid);
    expect(await b.failures.list('accounts')).toHaveLength(0); // one failure row for the whole circuit, not one per instance

    // The probe time passes while the privilege is still missing: one single-record probe, still held, backoff grows.
    clock += probeMs + 1;
    const beforeProbe = await requests();
    const stillDenied = await a.engine.applyChanges(batch.slice(0, 100));
    expect(stillDenied.counts.rescheduled).toBe(100);
    expect((await requests()) - beforeProbe).toBe(1);
    const afterProbe = (await circuits.listOpen())[0];
    expect(afterProbe.probes).toBe(1);
    // The next probe is 2 × the first delay after the claim, which came after the first probe time.
    expect(Date.parse(afterProbe.probeAt) - Date.parse(opened[0].probeAt)).toBeGreaterThanOrEqual(2 * probeMs);

    // The privilege is back; at the next probe time the probe succeeds and the rest is written in the same batch.
    await operator(world.dv, 'DELETE', 'environments/target/privileges/app-user-1');
    clock = Date.parse(afterProbe.probeAt) + 1;
    const healed = await a.engine.applyChanges(batch);
    expect(healed.counts).toEqual({ applied: 1000, skipped: 0, failed: 0, rescheduled: 0 });
    expect(healed.circuits?.closed).toEqual(['accounts']);
    expect(await circuits.listOpen()).toEqual([]);
    expect((await circuits.list())[0]).toMatchObject({ state: 'closed', closedBy: 'probe' });
    expect(await rows(world.dv, 'target', 'accounts', 'accountnumber')).toHaveLength(1000);
  }, 60_000);

  it('an operator closes the circuit; an unknown column stops only its route, not another route in the same bulk chunk', async () => {
    const circuits = store();
    const broken = routeSchema.parse({
      name: 'broken',
      source: { table: 'x', recordColumns: {} },
      target: {
        environment: 'target',
        table: 'account',
        entitySet: 'accounts',
        key: ['accountnumber'],
        columns: { accountnumber: 'num', dvs_nosuchcolumn: 'name' },
      },
    });
    const r = rig(world, [accountRoute(), broken], { circuits });
    const messages = [
      ...Array.from({ length: 30 }, (_, i) => r.msg('accounts', { num: `OK-${i}`, name: 'fine' }, 1)),
      ...Array.from({ length: 30 }, (_, i) => r.msg('broken', { num: `BR-${i}`, name: 'nope' }, 1)),
    ];
    const before = await requests();
    const result = await r.engine.applyChanges(messages);
    expect(result.counts).toEqual({ applied: 30, skipped: 0, failed: 0, rescheduled: 30 });
    expect((await requests()) - before).toBeLessThanOrEqual(3); // the mixed chunk, then one per route
    expect(result.circuits?.opened).toEqual([expect.objectContaining({ route: 'broken', cause: 'unknownColumn' })]);
    expect(await r.failures.list('broken')).toHaveLength(1);

    expect(await circuits.close('broken', 'operator', new Date())).toBe(true);
    expect(await circuits.close('broken', 'operator', new Date())).toBe(false);
    const again = await r.engine.applyChanges(messages.slice(30));
    // Closed, the route writes again, meets the same fault once, and opens again: still one request, still held.
    expect(again.counts.rescheduled).toBe(30);
    expect(again.circuits?.opened).toHaveLength(1);
  }, 60_000);

  it('an alternate key that is not Active holds the route instead of failing every record', async () => {
    await operator(world.dv, 'PUT', 'environments/target/tables/dvs_widget/keys/dvs_widget_code_key', { status: 'Pending' });
    const widgets = routeSchema.parse({
      name: 'widgets',
      source: { table: 'widget', recordColumns: {} },
      target: { environment: 'target', table: 'dvs_widget', entitySet: 'dvs_widgets', key: ['dvs_code'], columns: { dvs_code: 'code', dvs_name: 'name' } },
    });
    const r = rig(world, [widgets], { circuits: store() });
    const result = await r.engine.applyChanges(Array.from({ length: 40 }, (_, i) => r.msg('widgets', { code: `W-${i}`, name: `w${i}` }, 1)));
    expect(result.counts).toEqual({ applied: 0, skipped: 0, failed: 0, rescheduled: 40 });
    expect(result.circuits?.opened).toEqual([expect.objectContaining({ route: 'widgets', cause: 'inactiveKey', code: '0x80060890' })]);
  }, 60_000);
});
