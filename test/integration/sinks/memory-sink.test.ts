/**
 * A new sink is a folder implementing the Sink port plus one registration: the in-memory sink of
 * test/helpers/memory-sink, registered beside Dataverse, driven through the real engine with the real
 * ledger (Azurite), failures table and rescheduler (Service Bus emulator). The engine knows nothing of
 * the sink but the port: paths, chunks, the ledger, record splits, reschedules and circuits work the same.
 */
import { EngineConfigError } from '../../../shared/engine/errors';
import { WriteEngine } from '../../../shared/engine/engine';
import { routeSchema } from '../../../shared/routes/schema';
import { MemorySink } from '../../helpers/memory-sink';
import { accountRoute, rig, rows, useWorld } from '../engine/harness';

const world = useWorld();

const itemRoute = (extra: Record<string, unknown> = {}) =>
  routeSchema.parse({
    name: 'items',
    source: { table: 'item', recordColumns: {} },
    target: {
      sink: 'memory',
      environment: 'shelf',
      table: 'item',
      entitySet: 'items',
      key: ['code'],
      columns: { code: 'code', name: 'name', refuse: 'refuse' },
      ...extra,
    },
  });

describe('a sink registered beside Dataverse', () => {
  it('applies, skips what the ledger already holds, deletes, and writes Dataverse routes of the same batch too', async () => {
    const sink = new MemorySink();
    const r = rig(world, [itemRoute(), accountRoute()], { sinks: { memory: sink } });
    const first = await r.engine.applyChanges([
      r.msg('items', { code: 'A', name: 'Apple' }, 1),
      r.msg('items', { code: 'B', name: 'Banana' }, 1),
      r.msg('accounts', { num: 'MS-1', name: 'Beside the memory sink' }, 1),
    ]);
    expect(first.counts).toEqual({ applied: 3, skipped: 0, failed: 0, rescheduled: 0 });
    expect(sink.rows('item')).toEqual({ '{"code":"A"}': { code: 'A', name: 'Apple' }, '{"code":"B"}': { code: 'B', name: 'Banana' } });
    expect((await rows(world.dv, 'target', 'accounts', 'accountnumber')).map((a) => a.accountnumber)).toContain('MS-1');
    expect(sink.requests.map((q) => q.path)).toEqual(['bulk']);

    // The same change again is identical (ledger), and a newer one writes only what changed.
    const again = await r.engine.applyChanges([r.msg('items', { code: 'A', name: 'Apple' }, 1), r.msg('items', { code: 'B', name: 'Blueberry' }, 2)]);
    expect(again.counts).toMatchObject({ applied: 1, skipped: 1 });
    expect(sink.requests).toHaveLength(2);
    expect(sink.rows('item')['{"code":"B"}']).toMatchObject({ name: 'Blueberry' });

    const deleted = await r.engine.applyChanges([r.msg('items', { code: 'A' }, 3, { operation: 'delete' })]);
    expect(deleted.counts.applied).toBe(1);
    expect(Object.keys(sink.rows('item'))).toEqual(['{"code":"B"}']);
  });

  it('isolates a refused record by splitting the chunk, records it, and applies the rest', async () => {
    const sink = new MemorySink();
    const r = rig(world, [itemRoute()], { sinks: { memory: sink } });
    const batch = ['1', '2', '3', '4', '5'].map((code) => r.msg('items', { code, name: `n${code}`, refuse: code === '4' }, 1));
    const result = await r.engine.applyChanges(batch);
    expect(result.counts).toEqual({ applied: 4, skipped: 0, failed: 1, rescheduled: 0 });
    expect(Object.keys(sink.rows('item')).sort()).toEqual(['{"code":"1"}', '{"code":"2"}', '{"code":"3"}', '{"code":"5"}']);
    const [failure] = await r.failures.list('items');
    expect(failure).toMatchObject({ reason: 'SinkRefused' });
    expect(failure.detail).toMatch(/Sink "memory" refused the upsert of items\(code='4'\)/);
  });

  it('reschedules what the sink says can only succeed later, and retries what may succeed now', async () => {
    const sink = new MemorySink();
    const r = rig(world, [itemRoute()], { sinks: { memory: sink } });
    sink.failNext({ reason: 'transient', message: 'a blip' });
    expect((await r.engine.applyChanges([r.msg('items', { code: 'T', name: 'after a blip' }, 1)])).counts.applied).toBe(1);

    sink.failNext({ reason: 'throttled', message: 'slow down', notBefore: new Date(Date.now() + 60_000) });
    const later = await r.engine.applyChanges([r.msg('items', { code: 'L', name: 'later' }, 1)]);
    expect(later.counts.rescheduled).toBe(1);
    expect(sink.rows('item')['{"code":"L"}']).toBeUndefined();
    expect((await r.queued()).map((m) => JSON.parse(String(m.body)).values.code)).toEqual(['L']);
  });

  it('opens the circuit of a route the sink says cannot succeed, holding its changes', async () => {
    const sink = new MemorySink();
    const r = rig(world, [itemRoute()], { sinks: { memory: sink } });
    sink.failNext({ reason: 'systemic', systemic: 'auth', message: 'the shelf refuses our credential' });
    const result = await r.engine.applyChanges([r.msg('items', { code: 'S', name: 'stopped' }, 1)]);
    expect(result.circuits?.opened.map((c) => c.route)).toEqual(['items']);
    expect(result.counts).toMatchObject({ applied: 0, failed: 0 });
    expect(sink.rows('item')).toEqual({});
  });

  it('refuses at construction a route whose sink is not registered', () => {
    const r = rig(world, [accountRoute()]);
    const ports = { sinks: { dataverse: new MemorySink() }, ledger: r.ledger, failures: r.failures, rescheduler: { schedule: async () => undefined } };
    expect(() => new WriteEngine({ routes: [itemRoute()] }, ports)).toThrow(EngineConfigError);
    expect(() => new WriteEngine({ routes: [itemRoute()] }, ports)).toThrow(
      /Route "items" writes to sink "memory", which this engine does not have \(sinks: dataverse\)/,
    );
  });
});
