/**
 * Version ordering and per-column merge, as pure logic (planBatch + judge over an in-memory ledger and
 * target row). Property: whatever the delivery order, duplicates (redelivery) and batch boundaries,
 * and whichever events carry a RowVersion (a synchronous Create carries null, an asynchronous Update
 * may carry one), the target ends equal to the source's own history applied in order.
 */
import fc from 'fast-check';
import { judge, planBatch, plannedOp, type IncomingMessage, type PlannedOp } from '../../../shared/engine/plan';
import { mapChange } from '../../../shared/engine/mapping';
import type { LedgerEntry } from '../../../shared/ledger/types';
import type { ChangeMessage } from '../../../shared/model/change-message';
import { compareVersions, dataverseStamps, externalStamp, parseVersion, versionOfChange } from '../../../shared/model/version';
import { routeSchema } from '../../../shared/routes/schema';

const route = routeSchema.parse({
  name: 'accounts',
  source: { environment: 'source', table: 'account' },
  target: { environment: 'target', table: 'account', entitySet: 'accounts', key: ['k'], columns: { k: 'k', a: 'a', b: 'b', c: 'c' }, onDelete: 'delete' },
});
const routes = new Map([[route.name, route]]);
const sets = () => 'accounts';
const COLUMNS = ['a', 'b', 'c'] as const;

interface SourceEvent {
  i: number;
  operation: 'upsert' | 'delete';
  values: Record<string, string>;
  version: string;
}

type Row = Record<string, unknown> | undefined;

/** A source row's history: upserts carry a subset of columns, a Delete only happens to an existing row. */
function history(
  steps: Array<{ del: boolean; cols: boolean[]; rowVersion: boolean }>,
  sameSecond: number,
): { events: SourceEvent[]; truth: Row; current: { values: Row; version: string } } {
  const events: SourceEvent[] = [];
  let truth: Row;
  let last = { rv: undefined as string | undefined, mt: 0 };
  let current = { rv: '0', mt: 0 };
  steps.forEach((s, n) => {
    const i = n + 1;
    // modifiedon has second precision: `sameSecond` consecutive changes share one.
    const mt = 1_700_000_000_000 + Math.floor(i / sameSecond) * 1000;
    const rv = String(i * 10);
    if (s.del && truth) {
      // A Delete carries the row as it was just before: the last change's stamps (pre image).
      events.push({ i, operation: 'delete', values: { k: 'K' }, version: dataverseStamps(s.rowVersion ? last.rv : undefined, last.mt || undefined, 0) });
      truth = undefined;
      current = { rv, mt };
      return;
    }
    const values: Record<string, string> = { k: 'K' };
    COLUMNS.forEach((c, j) => {
      if (s.cols[j] || !truth) values[c] = `${c}${i}`; // a Create carries every column
    });
    events.push({ i, operation: 'upsert', values, version: dataverseStamps(s.rowVersion ? rv : undefined, mt, 0) });
    truth = { ...(truth ?? {}), ...values };
    last = { rv, mt };
    current = { rv, mt };
  });
  return { events, truth, current: { values: truth, version: dataverseStamps(current.rv, current.mt || undefined, 0) } };
}

function message(e: SourceEvent, n: number): IncomingMessage {
  const body: ChangeMessage = {
    v: 1,
    route: 'accounts',
    origin: 'webhook',
    operation: e.operation,
    source: { environment: 'source', table: 'account', id: 'row-1' },
    version: e.version,
    values: e.values,
    receivedAt: '2025-01-01T00:00:00Z',
  };
  return { body, messageId: `m${e.i}-${n}` };
}

/** One batch through planning and judging; writes land on `target` and the ledger as the engine would record them. */
function applyBatch(
  batch: IncomingMessage[],
  ledger: Map<string, LedgerEntry>,
  state: { target: Row; deleted: boolean },
  source: { values: Row; version: string },
): void {
  const stage = planBatch(batch, routes, new Map(), sets);
  expect(stage.rejected).toEqual([]);
  for (const op of stage.ops) {
    let verdict = judge(op, ledger.get(op.lid), { canReread: true });
    if (verdict.type === 'reread') {
      // The source row as it is now: the end of its history.
      const change: ChangeMessage = {
        ...op.change,
        operation: source.values ? 'upsert' : 'delete',
        values: source.values ? (source.values as Record<string, string>) : op.change.values,
        version: source.version,
      };
      const mapped = mapChange(route, change, sets);
      if (mapped.type !== 'write') throw new Error('unexpected ignore');
      const current: PlannedOp = {
        ...plannedOp({
          index: op.index,
          incoming: op.incoming,
          change,
          body: op.body,
          route,
          rank: 0,
          write: mapped.write,
          ledgerKey: op.ledgerKey,
          retries: 0,
          current: true,
        }),
        merged: [op, ...op.merged],
      };
      verdict = judge(current, ledger.get(op.lid), { canReread: false });
    }
    if (verdict.type === 'reread') throw new Error('second re-read');
    if (verdict.type === 'skip') {
      if (verdict.ledger) ledger.set(op.lid, verdict.ledger);
      continue;
    }
    const d = verdict.decision;
    if (d.op.write.kind === 'delete') state.target = undefined;
    else state.target = { ...(state.target ?? {}), ...d.body, k: 'K' };
    ledger.set(op.lid, d.next);
  }
}

describe('version stamps', () => {
  it('compares only on a shared scale: row versions, else modifiedon (equal is unknown), never row version against milliseconds', () => {
    const v = (text: string, id = 'r') => versionOfChange('webhook', { environment: 'source', table: 'account', id }, text);
    expect(compareVersions(v('rv=2000000'), v('mt=1700000000000'))).toBe('unknown');
    expect(compareVersions(v('rv=2000000;mt=1700000001000'), v('mt=1700000000000'))).toBe('newer');
    expect(compareVersions(v('mt=1700000000000'), v('mt=1700000000000'))).toBe('unknown');
    expect(compareVersions(v('rv=5;mt=1'), v('rv=4;mt=9'))).toBe('newer');
    expect(compareVersions(v('rv=5', 'a'), v('rv=4', 'b'))).toBe('unknown');
    expect(compareVersions(v('1700000000000'), v('rv=5'))).toBe('unknown');
    expect(compareVersions(parseVersion('7'), parseVersion('7'))).toBe('same');
    const ext = (ms: number, seq: number, p: string) => versionOfChange('ingest', { table: 'x' }, externalStamp(ms, seq, p));
    expect(compareVersions(ext(5, 0, 'a'), ext(5, 1, 'a'))).toBe('older');
    expect(compareVersions(ext(5, 0, 'a'), ext(5, 0, 'b'))).toBe('unknown');
    expect(compareVersions(ext(6, 0, 'a'), ext(5, 9, 'b'))).toBe('newer');
  });

  it('an Update with a RowVersion after a Create without one is applied, not skipped as stale (the lost update)', () => {
    const ledger = new Map<string, LedgerEntry>();
    const state = { target: undefined as Row, deleted: false };
    const create: SourceEvent = {
      i: 1,
      operation: 'upsert',
      values: { k: 'K', a: 'created', b: 'b1' },
      version: dataverseStamps(undefined, '2025-01-01T10:00:00Z', 0),
    };
    const update: SourceEvent = { i: 2, operation: 'upsert', values: { k: 'K', a: 'updated' }, version: dataverseStamps('2000000', '2025-01-01T10:00:05Z', 0) };
    const source = { values: { k: 'K', a: 'updated', b: 'b1' }, version: update.version };
    applyBatch([message(create, 0)], ledger, state, source);
    applyBatch([message(update, 0)], ledger, state, source);
    expect(state.target).toEqual({ k: 'K', a: 'updated', b: 'b1' });
  });

  it('a partial Update that overtakes its Create keeps the Create columns it did not carry', () => {
    const ledger = new Map<string, LedgerEntry>();
    const state = { target: undefined as Row, deleted: false };
    const create: SourceEvent = { i: 1, operation: 'upsert', values: { k: 'K', a: 'name', b: 'b1', c: 'c1' }, version: 'rv=10;mt=1700000000000' };
    const update: SourceEvent = { i: 2, operation: 'upsert', values: { k: 'K', c: 'phone' }, version: 'rv=20;mt=1700000001000' };
    const source = { values: { k: 'K', a: 'name', b: 'b1', c: 'phone' }, version: update.version };
    applyBatch([message(update, 0)], ledger, state, source);
    applyBatch([message(create, 0)], ledger, state, source);
    expect(state.target).toEqual(source.values);
    // And in one batch.
    const again = { target: undefined as Row, deleted: false };
    applyBatch([message(create, 1), message(update, 1)], new Map(), again, source);
    expect(again.target).toEqual(source.values);
  });

  it('property: any delivery order, redelivery and batching of create/update/delete with partial columns ends at the source state', () => {
    const step = fc.record({ del: fc.boolean(), cols: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), rowVersion: fc.boolean() });
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 7 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.nat(), { minLength: 0, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 10 }),
        fc.infiniteStream(fc.nat()),
        (steps, sameSecond, duplicates, cuts, order) => {
          const { events, truth, current } = history(steps, sameSecond);
          // Delivery: shuffled, with redeliveries of some events.
          const deliveries = [...events, ...duplicates.map((d) => events[d % events.length])];
          const it = order[Symbol.iterator]();
          for (let i = deliveries.length - 1; i > 0; i--) {
            const j = (it.next().value as number) % (i + 1);
            [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
          }
          const ledger = new Map<string, LedgerEntry>();
          const state = { target: undefined as Row, deleted: false };
          let at = 0;
          let c = 0;
          while (at < deliveries.length) {
            const size = cuts[c++ % cuts.length];
            applyBatch(
              deliveries.slice(at, at + size).map((e, n) => message(e, at + n)),
              ledger,
              state,
              current,
            );
            at += size;
          }
          expect(state.target).toEqual(truth);
        },
      ),
      { numRuns: Number(process.env.RUNS ?? 800), seed: Number(process.env.SEED ?? 9) },
    );
  });
});
