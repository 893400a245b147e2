/**
 * Writes one group (same environment, table and write kind) through the best available path, in
 * chunks of the adaptive batch size. All-or-nothing chunks that fail on a record are split in halves
 * until the bad records are isolated; the rest is applied. A systemic failure (WriteFailure `systemic`)
 * is never split: a chunk of several routes is split by route once, and a route that meets one is
 * stopped for the rest of the batch (its items answer `systemic` without a request). Reports one result per item.
 */
import { mapBounded } from '../util/bounded';
import { type BatchSizer, type CapabilityRegistry } from './capabilities';
import { DEFAULTS, type ResolvedOptions } from './options';
import { bindUrl } from './keys';
import type { ActionKind, Sink, SinkAction, WritePath } from './sink';
import { asWriteFailure, type MissingRow, type RecordKind, type SystemicCause } from './write-failure';

export interface WriteItem {
  id: number;
  write: SinkAction;
  /** The route the write belongs to: the unit a systemic error stops. */
  route: string;
}

export type SystemicResult = { type: 'systemic'; cause: SystemicCause; status?: number; code?: string; message: string };

export type ItemResult =
  | { type: 'ok'; path: WritePath }
  | { type: 'record'; status?: number; code?: string; kind: RecordKind; message: string; missingRow?: MissingRow; rowExists: boolean }
  /** deadline: the batch's time was up before this write was sent (not a retry of the record). */
  | { type: 'reschedule'; notBefore: Date; message: string; throttled: boolean; deadline?: boolean }
  | { type: 'transient'; status?: number; code?: string; message: string }
  | SystemicResult;

/** Per-batch state of one environment: once the throttle says "not before T", nothing more is sent there. */
export interface EnvironmentState {
  /** Epoch ms after which nothing more is sent: the batch's locks end soon after (see WriteEngine.applyChanges). */
  deadline?: number;
  blockedUntil?: Date;
  blockedReason?: string;
  /** Routes stopped by a systemic error in this batch, with the first such error. */
  stoppedRoutes?: Map<string, SystemicResult>;
}

export class GroupWriter {
  /** Requests sent per path, for telemetry and tests. */
  readonly requests = { bulk: 0, changeSet: 0, single: 0 };

  constructor(
    private readonly sink: Sink,
    private readonly caps: CapabilityRegistry,
    private readonly sizer: BatchSizer,
    private readonly opts: ResolvedOptions,
  ) {}

  async write(env: string, table: string, kind: ActionKind, items: readonly WriteItem[], state: EnvironmentState): Promise<Map<number, ItemResult>> {
    const results = new Map<number, ItemResult>();
    await this.writeAll(env, table, kind, items, results, state);
    return results;
  }

  /**
   * Chunks in order, up to the environment's parallelism in flight. A chunk waits for every earlier,
   * still running chunk that writes one of its rows or a row it binds to (same-table parents), so
   * parents stay ahead of children and no two requests in flight touch the same target row.
   */
  private async writeAll(
    env: string,
    table: string,
    kind: ActionKind,
    items: readonly WriteItem[],
    results: Map<number, ItemResult>,
    state: EnvironmentState,
  ): Promise<void> {
    const running = new Set<Promise<void>>();
    const rowsInFlight = new Map<string, Promise<void>>();
    let failure: { error: unknown } | undefined;
    let i = 0;
    while (i < items.length && !failure) {
      // Wait for a slot first: path and size then reflect what the finished chunks taught.
      const limit = Math.max(1, this.opts.chunksInFlight ?? this.sink.parallelism?.(env) ?? DEFAULTS.chunksInFlight);
      while (running.size >= limit) await Promise.race(running);
      if (failure) break;
      const path = this.caps.paths(env, table, kind)[0];
      if (path === 'single') {
        await Promise.all(running);
        if (failure) break;
        await mapBounded(items.slice(i), this.opts.singleConcurrency, (item) => this.attempt(env, table, kind, 'single', [item], results, state, 0));
        return;
      }
      const size = this.sizer.current(this.sizeId(env, table, path), this.startSize(env, table, path));
      const chunk = items.slice(i, i + size);
      i += chunk.length;
      const before = new Set<Promise<void>>();
      for (const c of chunk)
        for (const row of touchedRows(c.write)) {
          const p = rowsInFlight.get(row);
          if (p) before.add(p);
        }
      if (before.size > 0) await Promise.all(before);
      const rows = chunk.map((c) => rowOf(c.write));
      const p: Promise<void> = this.attempt(env, table, kind, path, chunk, results, state, 0)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => {
          running.delete(p);
          for (const row of rows) if (rowsInFlight.get(row) === p) rowsInFlight.delete(row);
        });
      running.add(p);
      for (const row of rows) rowsInFlight.set(row, p);
    }
    await Promise.all(running);
    if (failure) throw failure.error;
  }

  private sizeId(env: string, table: string, path: WritePath): string {
    return `${env}/${table}/${path}`;
  }

  private startSize(env: string, table: string, path: WritePath): number {
    if (path === 'bulk') return this.caps.isElastic(env, table) ? this.opts.batchSize.elasticBulk : this.opts.batchSize.bulk;
    return path === 'changeSet' ? this.opts.batchSize.changeSet : 1;
  }

  private async send(env: string, path: WritePath, chunk: readonly WriteItem[], state: EnvironmentState): Promise<void> {
    this.requests[path]++;
    return this.sink.apply(
      env,
      path,
      chunk.map((c) => c.write),
      state.deadline === undefined ? {} : { deadline: state.deadline },
    );
  }

  /** Past the deadline: the chunk is rescheduled to run again at once, in a later batch with fresh locks. */
  private pastDeadline(chunk: readonly WriteItem[], results: Map<number, ItemResult>, state: EnvironmentState, waitMs = 0): boolean {
    if (state.deadline === undefined || Date.now() + waitMs < state.deadline) return false;
    const message = 'the batch reached its deadline (the end of its message locks, less a reserve for the ledger) before this write was sent';
    for (const c of chunk) results.set(c.id, { type: 'reschedule', notBefore: new Date(), message, throttled: false, deadline: true });
    return true;
  }

  private async attempt(
    env: string,
    table: string,
    kind: ActionKind,
    path: WritePath,
    chunk: readonly WriteItem[],
    results: Map<number, ItemResult>,
    state: EnvironmentState,
    transientTry: number,
  ): Promise<void> {
    if (chunk.length === 0) return;
    if (this.pastDeadline(chunk, results, state)) return;
    if (state.blockedUntil) {
      for (const c of chunk)
        results.set(c.id, { type: 'reschedule', notBefore: state.blockedUntil, message: state.blockedReason ?? 'throttled', throttled: true });
      return;
    }
    if (state.stoppedRoutes?.size) {
      const live = chunk.filter((c) => {
        const stopped = state.stoppedRoutes?.get(c.route);
        if (stopped) results.set(c.id, stopped);
        return !stopped;
      });
      if (live.length < chunk.length) return this.attempt(env, table, kind, path, live, results, state, transientTry);
    }
    const sizeId = this.sizeId(env, table, path);
    const start = this.startSize(env, table, path);
    const t0 = Date.now();
    try {
      await this.send(env, path, chunk, state);
      if (Date.now() - t0 > this.opts.slowRequestMs) this.sizer.shrink(sizeId, start);
      else this.sizer.grow(sizeId, start);
      for (const c of chunk) results.set(c.id, { type: 'ok', path });
      return;
    } catch (err) {
      const f = asWriteFailure(err);
      const split = async (): Promise<void> => {
        const mid = Math.ceil(chunk.length / 2);
        await this.attempt(env, table, kind, path, chunk.slice(0, mid), results, state, transientTry);
        await this.attempt(env, table, kind, path, chunk.slice(mid), results, state, transientTry);
      };
      if (f.retry === 'later') {
        const throttled = f.reason === 'throttled';
        const notBefore = f.notBefore ?? new Date();
        // A 429 is the server's verdict on the user: nothing more goes to this environment in this batch.
        if (throttled) {
          state.blockedUntil = notBefore;
          state.blockedReason = f.message;
        }
        for (const item of chunk) results.set(item.id, { type: 'reschedule', notBefore, message: f.message, throttled });
        return;
      }
      const { status, code } = f.vendor;
      switch (f.reason) {
        case 'unsupported':
          this.caps.markUnsupported(env, table, path, kind);
          return this.writeAll(env, table, kind, chunk, results, state);
        case 'systemic': {
          const routes = [...new Set(chunk.map((item) => item.route))];
          // Which route is at fault is unknown in a mixed chunk: one request per route tells.
          if (routes.length > 1) {
            for (const r of routes)
              await this.attempt(
                env,
                table,
                kind,
                path,
                chunk.filter((item) => item.route === r),
                results,
                state,
                transientTry,
              );
            return;
          }
          const result: SystemicResult = { type: 'systemic', cause: f.systemic as SystemicCause, status, code, message: f.message };
          (state.stoppedRoutes ??= new Map()).set(routes[0], result);
          for (const item of chunk) results.set(item.id, result);
          return;
        }
        case 'rejected':
          if (chunk.length > 1) return split();
          results.set(chunk[0].id, {
            type: 'record',
            status,
            code,
            kind: f.kind ?? 'permanent',
            message: f.message,
            rowExists: f.rowExists,
            ...(f.missingRow ? { missingRow: f.missingRow } : {}),
          });
          return;
        default: {
          const pressure = f.reason === 'overloaded';
          if (pressure) this.sizer.shrink(sizeId, start);
          if (pressure && chunk.length > 1) return split();
          if (transientTry < this.opts.transientRetries) {
            const waitMs = f.retryAfterMs ?? this.opts.transientDelayMs * 2 ** transientTry;
            if (this.pastDeadline(chunk, results, state, waitMs)) return;
            await this.opts.sleep(waitMs);
            return this.attempt(env, table, kind, path, chunk, results, state, transientTry + 1);
          }
          for (const item of chunk) results.set(item.id, { type: 'transient', status, code, message: f.message });
          return;
        }
      }
    }
  }
}

/** The row a write addresses, in `@odata.bind` form so it compares with the binds of other writes. */
function rowOf(w: SinkAction): string {
  return bindUrl(w.entitySet, w.key);
}

/** The row itself and every row it binds to. */
function touchedRows(w: SinkAction): string[] {
  const out = [rowOf(w)];
  for (const [k, v] of Object.entries(w.body)) if (typeof v === 'string' && k.endsWith('@odata.bind')) out.push(v);
  return out;
}
