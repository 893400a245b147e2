/**
 * Write-path discovery and adaptive batch size against the Dataverse emulator: a table without the bulk
 * messages answers 0x80040800 once, the engine remembers it per environment and table and uses `$batch`
 * change sets; configured capabilities skip the probe (down to single requests); slow requests shrink
 * the bulk batch and clean ones grow it back.
 */
import { accountRoute, counters, operator, rig, rows, widgetRoute, useWorld } from './harness';

const world = useWorld();

const widgets = (prefix: string, n: number, version = 1) => Array.from({ length: n }, (_, i) => ({ code: `${prefix}${i}`, name: `W ${i}`, version }));

describe('write paths', () => {
  it('discovers that a table has no bulk messages (400 0x80040800), falls back to change sets and remembers it', async () => {
    const r = rig(world, [widgetRoute()]);
    const first = await r.engine.applyChanges(widgets('W', 3).map((w) => r.msg('widgets', w, 1)));
    expect(first.counts.applied).toBe(3);
    expect(first.outcomes.map((o) => o.outcome)).toEqual(Array(3).fill(expect.objectContaining({ status: 'applied', path: 'changeSet' })));
    let c = await counters(world.dv);
    expect(c.responsesByStatus['400']).toBe(1);
    expect(c.operations).toEqual({ 'batch:upsertByKey': 3 });

    const second = await r.engine.applyChanges(widgets('X', 2).map((w) => r.msg('widgets', w, 1)));
    expect(second.counts.applied).toBe(2);
    c = await counters(world.dv);
    expect(c.responsesByStatus['400']).toBe(1); // not probed again
    expect(c.requests).toBe(3); // probe + two $batch requests
    expect((await rows(world.dv, 'target', 'dvs_widgets', 'dvs_code')).map((w) => w.dvs_code).sort()).toEqual(['W0', 'W1', 'W2', 'X0', 'X1']);
  });

  it('configured capabilities skip the probe: bulk off → change sets; bulk and change sets off → single requests', async () => {
    const batchOnly = rig(world, [widgetRoute()], { engine: { capabilities: { dvs_widget: { bulk: false } } } });
    await batchOnly.engine.applyChanges(widgets('B', 2).map((w) => batchOnly.msg('widgets', w, 1)));
    const singles = rig(world, [widgetRoute()], { engine: { capabilities: { 'target/dvs_widget': { bulk: false, changeSet: false } } } });
    const result = await singles.engine.applyChanges(widgets('S', 2).map((w) => singles.msg('widgets', w, 1)));
    expect(result.outcomes.map((o) => o.outcome)).toEqual(Array(2).fill(expect.objectContaining({ path: 'single' })));
    const c = await counters(world.dv);
    expect(c.responsesByStatus['400']).toBeUndefined();
    expect(c.operations).toEqual({ 'batch:upsertByKey': 2, 'single:upsertByKey': 2 });
  });

  it('shrinks the bulk batch under execution-time pressure (slow requests) and grows it back after clean ones', async () => {
    // One chunk at a time, so each request sees the size the previous one left (the sizer is what is tested here).
    const r = rig(world, [accountRoute()], { engine: { batchSize: { bulk: 8 }, slowRequestMs: 250, chunksInFlight: 1 } });
    const batch = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => r.msg('accounts', { num: `${prefix}${i}`, name: 'x' }, 1));
    const requestsFor = async (run: () => Promise<unknown>): Promise<number> => {
      const before = (await counters(world.dv)).requests;
      await run();
      return (await counters(world.dv)).requests - before;
    };
    // Every request takes 500 model seconds extra (0.5 s real): 8 → 4 → 2 → 1 → 1 records per request.
    await operator(world.dv, 'PATCH', 'config', { faults: { slowRate: 1, slowMs: 500_000 } });
    let slow: number;
    try {
      slow = await requestsFor(() => r.engine.applyChanges(batch('S', 16)));
    } finally {
      await operator(world.dv, 'PATCH', 'config', { faults: { slowRate: 0 } });
    }
    expect(slow).toBeGreaterThanOrEqual(5);
    // Clean requests grow the size back by a quarter each (1, 2, 3, 4, 5, 7, 8 …), then it stays at 8.
    const recovering = await requestsFor(() => r.engine.applyChanges(batch('R', 30)));
    expect(recovering).toBeLessThan(30);
    const recovered = await requestsFor(() => r.engine.applyChanges(batch('F', 16)));
    expect(recovered).toBeLessThan(recovering);
    expect(recovered).toBeLessThanOrEqual(4);
    expect(await rows(world.dv, 'target', 'accounts', 'accountnumber')).toHaveLength(62);
  });
});
