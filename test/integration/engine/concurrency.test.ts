/**
 * Chunks in flight: one group's bulk chunks go out side by side (up to the pool's parallelism), yet no
 * two requests in flight touch the same row, a chunk binding to a row of an earlier chunk of the same
 * table (self-lookup) waits for it, and child routes still start only after every parent chunk ended.
 * The real adapter is wrapped only to record when each request started and ended.
 */
import type { Sink, SinkAction, WritePath } from '../../../shared/engine/sink';
import { routeSchema } from '../../../shared/routes/schema';
import { accountRoute, contactRoute, counters, operator, rig, rows, useWorld } from './harness';

const world = useWorld();
beforeEach(async () => {
  // Requests must last long enough to overlap visibly: 10 bulk upserts by key ≈ 400 model ms → 40 ms.
  await operator(world.dv, 'PATCH', 'config', { timeScale: 0.1 });
});
afterEach(async () => {
  await operator(world.dv, 'PATCH', 'config', { timeScale: 0.001 });
});

interface Sent {
  table: string;
  rows: string[];
  binds: string[];
  start: number;
  end: number;
}

/** The real sink, recording every bulk request's rows, binds and timing (a logical clock: start/end order). */
function recording(sent: Sent[]): (real: Sink) => Sink {
  let tick = 0;
  return (real) => ({
    parallelism: (env) => real.parallelism?.(env) ?? 4,
    async apply(env: string, path: WritePath, writes: readonly SinkAction[]) {
      if (path !== 'bulk') return real.apply(env, path, writes);
      const entry: Sent = {
        table: writes[0].table,
        rows: writes.map((w) => `${w.entitySet}:${JSON.stringify(w.key)}`),
        binds: writes.flatMap((w) =>
          Object.entries(w.body)
            .filter(([k]) => k.endsWith('@odata.bind'))
            .map(([, v]) => String(v)),
        ),
        start: tick++,
        end: Infinity,
      };
      sent.push(entry);
      try {
        await real.apply(env, path, writes);
      } finally {
        entry.end = tick++;
      }
    },
  });
}

const overlapping = (a: Sent, b: Sent) => a.start < b.end && b.start < a.end;

const selfRoute = () =>
  routeSchema.parse({
    name: 'accounts',
    source: { table: 'account', recordColumns: {} },
    target: {
      environment: 'target',
      table: 'account',
      entitySet: 'accounts',
      key: ['accountnumber'],
      columns: { accountnumber: 'num', name: 'name' },
      lookups: [{ from: 'parent', navigationProperty: 'parentaccountid', targetTable: 'account', key: ['accountnumber'], missingParent: 'fail' }],
    },
  });

describe('chunks in flight', () => {
  it('sends a group in parallel chunks (up to the lane limit) and never two in flight with the same row', async () => {
    const sent: Sent[] = [];
    const r = rig(world, [accountRoute()], { engine: { batchSize: { bulk: 10 } }, dataverse: recording(sent) });
    const result = await r.engine.applyChanges(Array.from({ length: 80 }, (_, i) => r.msg('accounts', { num: `P${i}`, name: `N${i}` }, 1)));
    expect(result.counts.applied).toBe(80);
    expect(sent).toHaveLength(8);
    const maxTogether = Math.max(...sent.map((a) => sent.filter((b) => b.start <= a.start && a.start < b.end).length));
    expect(maxTogether).toBeGreaterThan(1);
    expect(maxTogether).toBeLessThanOrEqual(4); // one user: x-ms-dop-hint 4
    for (const a of sent) for (const b of sent) if (a !== b && overlapping(a, b)) expect(a.rows.filter((x) => b.rows.includes(x))).toEqual([]);
    expect(await rows(world.dv, 'target', 'accounts', 'accountnumber')).toHaveLength(80);
  });

  it('holds a chunk that binds to rows of a running chunk of the same table (self-lookup) until that one ended', async () => {
    const sent: Sent[] = [];
    const r = rig(world, [selfRoute()], { engine: { batchSize: { bulk: 10 } }, dataverse: recording(sent) });
    // Chunks: parents P0-9 | unrelated U0-9 | children of P0-9 | unrelated V0-9.
    const msgs = [
      ...Array.from({ length: 10 }, (_, i) => r.msg('accounts', { num: `P${i}`, name: 'parent' }, 1)),
      ...Array.from({ length: 10 }, (_, i) => r.msg('accounts', { num: `U${i}`, name: 'other' }, 1)),
      ...Array.from({ length: 10 }, (_, i) =>
        r.msg('accounts', { num: `C${i}`, name: 'child', parent: { $type: 'reference', table: 'account', id: `p${i}`, keys: { accountnumber: `P${i}` } } }, 1),
      ),
      ...Array.from({ length: 10 }, (_, i) => r.msg('accounts', { num: `V${i}`, name: 'other' }, 1)),
    ];
    const result = await r.engine.applyChanges(msgs);
    expect(result.outcomes.filter((o) => o.outcome.status !== 'applied')).toEqual([]);
    const parents = sent.find((s) => s.rows.some((x) => x.includes('"P0"'))) as Sent;
    const unrelated = sent.find((s) => s.rows.some((x) => x.includes('"U0"'))) as Sent;
    const children = sent.find((s) => s.rows.some((x) => x.includes('"C0"'))) as Sent;
    expect(overlapping(parents, unrelated)).toBe(true);
    expect(children.start).toBeGreaterThan(parents.end);
    expect((await counters(world.dv)).responsesByStatus['404']).toBeUndefined();
    const stored = await rows(world.dv, 'target', 'accounts', 'accountnumber,_parentaccountid_value');
    const idOf = new Map(stored.map((s) => [s.accountnumber, s.accountid]));
    for (let i = 0; i < 10; i++) expect(stored.find((s) => s.accountnumber === `C${i}`)?._parentaccountid_value).toBe(idOf.get(`P${i}`));
  });

  it('starts child routes only after every parent chunk ended, with parent chunks in parallel', async () => {
    const sent: Sent[] = [];
    const r = rig(world, [accountRoute(), contactRoute()], { engine: { batchSize: { bulk: 10 } }, dataverse: recording(sent) });
    const msgs = [
      ...Array.from({ length: 40 }, (_, i) =>
        r.msg(
          'contacts',
          { email: `c${i}@x.com`, last: `L${i}`, account: { $type: 'reference', table: 'account', id: `a${i % 30}`, keys: { accountnumber: `A${i % 30}` } } },
          1,
        ),
      ),
      ...Array.from({ length: 30 }, (_, i) => r.msg('accounts', { num: `A${i}`, name: `N${i}` }, 1)),
    ];
    const result = await r.engine.applyChanges(msgs);
    expect(result.counts.applied).toBe(70);
    const accountChunks = sent.filter((s) => s.table === 'account');
    const contactChunks = sent.filter((s) => s.table === 'contact');
    expect(accountChunks).toHaveLength(3);
    expect(contactChunks).toHaveLength(4);
    expect(accountChunks.some((a) => accountChunks.some((b) => a !== b && overlapping(a, b)))).toBe(true);
    const lastParentEnd = Math.max(...accountChunks.map((a) => a.end));
    for (const c of contactChunks) expect(c.start).toBeGreaterThan(lastParentEnd);
    expect((await counters(world.dv)).responsesByStatus['404']).toBeUndefined();
  });
});
