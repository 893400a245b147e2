/**
 * The write engine: applyChanges(batch) plans the batch, writes parents before children through the
 * best write path, handles missing parents, throttling and bad records, then records the ledger
 * (after Dataverse confirmed), failures and re-enqueued changes. See README.md for the guarantees.
 */
import type { Route } from '../routes/schema';
import type { FailureStorePort } from '../ledger/failures';
import type { RecordLedgerPort } from '../ledger/types';
import { truncateBody } from '../ledger/failures';
import { BatchSizer, CapabilityRegistry } from './capabilities';
import { BatchTransientError, MappingError } from './errors';
import { GroupWriter, type EnvironmentState, type ItemResult, type SystemicResult } from './group-writer';
import { MemoryCircuitStore, type Circuit, type CircuitStorePort } from '../ledger/circuits';
import { countOutcomes, type BatchResult } from './outcomes';
import { resolveOptions, type EngineOptions, type ResolvedOptions } from './options';
import { judge, planBatch, plannedOp, type Decision, type IncomingMessage, type LedgerVerdict, type PlannedOp } from './plan';
import { mapBounded } from '../util/bounded';
import { mapChange, type EntitySetResolver } from './mapping';
import type { BlobReadPort, ReschedulePort, ScheduledChange, SourceReadPort } from './ports';
import { DEFAULT_SINK, type Sink, type SinkAction } from './sink';
import type { MissingRow } from './write-failure';
import { compileRoutes } from './compile';
import { nextMessageId, RETRIES_PROPERTY } from './reschedule';
import { Failure } from '../model/failure';
import { rereadSource, resolveMessages, type Unresolved } from './resolve';
import { LedgerBatcher } from './ledger-batcher';
import { OutcomeBook, refOf, type MessageRef } from './outcome-book';

/** What one call of applyChanges may spend. */
export interface BatchRun {
  /**
   * No write is sent after this time; what is left is rescheduled at once (reason `Deadline`, not a record retry).
   * The worker sets it from the changes queue's lock duration, since a batch's locks are not renewed.
   */
  deadline?: Date;
}

/** Outage attempts of a message (application property), for the backoff of holdBatch. */
export const OUTAGES_PROPERTY = 'dvsyncOutages';

export interface EnginePorts {
  /** The sinks routes write to, by name (`target.sink`, default "dataverse"); shared/sinks/index.ts builds them. */
  sinks: Readonly<Record<string, Sink>>;
  ledger: RecordLedgerPort;
  failures: FailureStorePort;
  rescheduler: ReschedulePort;
  /** Re-reads source rows for `reread` messages; without it they fail as RereadUnsupported. */
  sources?: SourceReadPort;
  /** Reads `blobRef` messages; without it they fail as BlobRefUnsupported. */
  blobs?: BlobReadPort;
  /** Circuits of stopped routes, shared by every instance (Table Storage); default: in this process only. */
  circuits?: CircuitStorePort;
}

/** Extra write passes for changes whose parent was missing: a chain of same-table parents resolves one level a pass. */
const MISSING_PARENT_PASSES = 4;

/** What describes each systemic cause to an operator, and what fixes it. */
const CAUSES: Record<SystemicResult['cause'], string> = {
  privilege: 'the application user lacks a privilege on the target table (assign it a security role with the privilege Dataverse names)',
  auth: 'Dataverse refuses the credential (check the application user, its secret or certificate, and that it is enabled)',
  inactiveKey:
    "the target alternate key is not defined or its index is not Active yet (check the key in the table's Keys; a new key becomes Active once its index is built)",
  unknownColumn: 'the target table has no column or navigation property the route writes (fix target.columns / target.lookups, or add the column)',
  unknownTable: "the target entity set does not exist in the environment (fix target.entitySet, or the lookup's entitySet)",
};

function retriesOf(incoming: IncomingMessage): number {
  const n = Number(incoming.applicationProperties?.[RETRIES_PROPERTY] ?? 0);
  return Number.isFinite(n) ? n : 0;
}

export type { IncomingMessage } from './plan';

export class WriteEngine {
  private readonly opts: ResolvedOptions;
  private readonly routes: Map<string, Route>;
  private readonly ranks: Map<string, number>;
  /** The entity set of every table a route writes or looks up (compile.ts); `dvsync import` validates records with it. */
  readonly entitySetOf: EntitySetResolver;
  /** One writer per sink: write paths and batch sizes are learnt per sink. */
  private readonly writers = new Map<string, GroupWriter>();
  /** Concurrent calls share ledger reads and writes (group commit). */
  private readonly ledger: LedgerBatcher;
  private readonly circuits: CircuitStorePort;

  constructor(
    options: EngineOptions,
    private readonly ports: EnginePorts,
  ) {
    this.opts = resolveOptions(options);
    this.circuits = ports.circuits ?? new MemoryCircuitStore();
    const compiled = compileRoutes(this.opts, Object.keys(ports.sinks));
    this.routes = compiled.routes;
    this.ranks = compiled.ranks;
    this.entitySetOf = compiled.entitySetOf;
    this.ledger = new LedgerBatcher(ports.ledger);
    for (const [name, sink] of Object.entries(ports.sinks)) {
      this.writers.set(name, new GroupWriter(sink, new CapabilityRegistry(this.opts.capabilities), new BatchSizer(this.opts.batchSize.min), this.opts));
    }
  }

  /**
   * Applies one batch. With `outage: 'reschedule'` a batch-wide transient failure (storage or Dataverse down)
   * re-enqueues every message of the batch with backoff instead of throwing (see holdBatch).
   */
  async applyChanges(messages: readonly IncomingMessage[], run: BatchRun = {}): Promise<BatchResult> {
    try {
      return await this.applyBatch(messages, run);
    } catch (err) {
      if (this.opts.outage !== 'reschedule' || !(err instanceof Failure) || err.retry !== 'redeliver') throw err;
      return this.holdBatch(messages, err);
    }
  }

  /**
   * Re-enqueues the whole batch (same bodies and sessions, the next message ids, `dvsyncOutages` + 1) after
   * firstMs, doubling to maxMs, with ±20 % jitter so instances spread out. Nothing is counted as a record retry:
   * an outage moves nothing to the failures table or the dead-letter queue, however long it lasts (up to the
   * messages' time to live). Changes already written before the failure are written again, idempotently (the
   * ledger versions skip what was applied). When even the reschedule fails (Service Bus down), this throws and
   * the host abandons the batch: nothing is lost.
   */
  private async holdBatch(messages: readonly IncomingMessage[], failure: Failure): Promise<BatchResult> {
    const now = this.opts.now().getTime();
    const { firstMs, maxMs } = this.opts.outageBackoff;
    const outcomes: BatchResult['outcomes'] = [];
    const scheduled: ScheduledChange[] = [];
    messages.forEach((m, index) => {
      const outages = Number(m.applicationProperties?.[OUTAGES_PROPERTY] ?? 0);
      const attempt = Number.isFinite(outages) && outages > 0 ? outages : 0;
      const delay = Math.min(maxMs, firstMs * 2 ** attempt) * (0.8 + Math.random() * 0.4);
      const notBefore = new Date(now + delay);
      const messageId = nextMessageId(m.messageId);
      const applicationProperties = { ...m.applicationProperties, [OUTAGES_PROPERTY]: attempt + 1 };
      scheduled.push({
        body: bodyText(m.body),
        sessionId: m.sessionId,
        correlationId: m.correlationId,
        messageId,
        scheduledEnqueueTimeUtc: notBefore,
        applicationProperties,
      });
      const detail = `batch-wide outage (${failure.message}); the whole batch comes back at ${notBefore.toISOString()} (outage attempt ${attempt + 1})`;
      outcomes.push({
        index,
        messageId: m.messageId,
        outcome: { status: 'rescheduled', reason: 'Outage', notBefore: notBefore.toISOString(), messageId, detail },
        warnings: [],
      });
    });
    await this.ports.rescheduler.schedule(scheduled);
    return { outcomes, counts: countOutcomes(outcomes) };
  }

  private async applyBatch(messages: readonly IncomingMessage[], run: BatchRun): Promise<BatchResult> {
    const now = this.opts.now();
    const resolution = await resolveMessages(messages, this.routes, { sources: this.ports.sources, blobs: this.ports.blobs }, this.opts.singleConcurrency);
    const settled = new Set(resolution.unresolved.map((u) => u.index));
    const stage = planBatch(messages, this.routes, this.ranks, this.entitySetOf, resolution.changes, settled, resolution.current);
    const book = new OutcomeBook(now, this.opts.retry);
    book.outcomes.push(...stage.skipped);

    for (const r of stage.rejected) {
      book.outcomes.push({
        index: r.index,
        messageId: r.incoming.messageId,
        route: r.change?.route,
        outcome: { status: 'failed', reason: r.reason, detail: r.detail },
        warnings: [],
      });
      book.failures.push({
        severity: 'error',
        reason: r.reason,
        detail: r.detail,
        messageId: r.incoming.messageId,
        route: r.change?.route,
        sourceId: r.change?.source.id,
        version: r.change?.version,
        attempt: r.incoming.deliveryCount ?? 1,
        time: now.toISOString(),
        body: truncateBody(r.body),
      });
    }

    let entries;
    try {
      entries = await this.ledger.read(stage.ops.map((o) => o.ledgerKey));
    } catch (err) {
      throw new BatchTransientError(`Reading the record ledger failed (${(err as Error).message}); the batch will be redelivered.`, { cause: err });
    }
    const ctx: RunContext = { book, envs: new Map(), transient: [], stopped: new Map(), closed: [], deadline: run.deadline?.getTime() };
    const decisions: Decision[] = [];
    const rereads: PlannedOp[] = [];
    const canReread = this.ports.sources !== undefined;
    for (const op of stage.ops) {
      const verdict = judge(op, entries.get(op.lid), { canReread });
      if (verdict.type === 'reread') rereads.push(op);
      else this.take(op, verdict, ctx, decisions);
    }
    // Changes that cannot be ordered against what was applied: the source row as it is now decides.
    for (const op of await this.rereadUnordered(rereads, ctx)) this.take(op, judge(op, entries.get(op.lid), { canReread: false }), ctx, decisions);

    for (const u of resolution.unresolved) this.settleUnresolved(u, messages[u.index], ctx);
    const gate = await this.gate(decisions, ctx);
    if (gate.probes.length > 0) {
      await this.execute(gate.probes, ctx);
      // A probe that got any answer but a systemic one shows the cause is gone: close, and write the rest now.
      for (const probe of gate.probes) {
        const route = probe.op.route.name;
        if (ctx.stopped.has(route)) continue;
        await this.circuits.close(route, 'probe', now);
        ctx.closed.push(route);
        gate.normal.push(...(gate.held.get(route) ?? []));
        gate.held.delete(route);
      }
    }
    await this.execute(gate.normal, ctx);
    const opened = await this.openCircuits(ctx);
    for (const [route, held] of gate.held) {
      const until = ctx.stopped.get(route)?.circuit ?? gate.circuits.get(route)!;
      for (const d of held) this.hold(refOf(d.op), ctx, until);
    }

    if (ctx.transient.length > 0 && ctx.book.appliedCount === 0 && ctx.transient.length === gate.normal.length + gate.probes.length) {
      await this.persist(ctx);
      const first = ctx.transient[0];
      throw new BatchTransientError(`Every write of the batch failed transiently (e.g. ${first.result.message}); the batch will be redelivered.`);
    }
    for (const t of ctx.transient) ctx.book.retryLater(refOf(t.decision.op), 'Transient', `Dataverse kept failing transiently: ${t.result.message}`, t.result);
    await this.persist(ctx);
    const outcomes = [...ctx.book.outcomes].sort((a, b) => a.index - b.index);
    const result: BatchResult = { outcomes, counts: countOutcomes(outcomes) };
    if (opened.length > 0 || ctx.closed.length > 0) result.circuits = { opened, closed: ctx.closed };
    return result;
  }

  /**
   * Routes with an open circuit write nothing: their changes are held until the next probe. When the probe
   * time has come, the instance that claims it (ETag) sends one of the route's changes alone as the probe.
   */
  private async gate(
    decisions: Decision[],
    ctx: RunContext,
  ): Promise<{ normal: Decision[]; probes: Decision[]; held: Map<string, Decision[]>; circuits: Map<string, Circuit> }> {
    const routes = new Set(decisions.map((d) => d.op.route.name));
    const none = { normal: decisions, probes: [], held: new Map(), circuits: new Map() };
    if (routes.size === 0) return none;
    let open: Circuit[];
    try {
      open = (await this.circuits.listOpen()).filter((c) => routes.has(c.route));
    } catch (err) {
      throw new BatchTransientError(`Reading the circuits table failed (${(err as Error).message}); the batch will be redelivered.`, { cause: err });
    }
    if (open.length === 0) return none;
    const circuits = new Map<string, Circuit>();
    const probing = new Set<string>();
    for (const c of open) {
      if (Date.parse(c.probeAt) > ctx.book.now.getTime()) {
        circuits.set(c.route, c);
        continue;
      }
      const next = new Date(ctx.book.now.getTime() + this.probeDelayMs(c.probes + 1));
      if (await this.circuits.claimProbe(c, next)) probing.add(c.route);
      circuits.set(c.route, { ...c, probeAt: next.toISOString(), probes: c.probes + 1 });
    }
    const normal: Decision[] = [];
    const probes: Decision[] = [];
    const held = new Map<string, Decision[]>();
    for (const d of decisions) {
      const route = d.op.route.name;
      if (!circuits.has(route)) normal.push(d);
      else if (probing.has(route)) {
        probes.push(d);
        probing.delete(route);
      } else held.set(route, [...(held.get(route) ?? []), d]);
    }
    return { normal, probes, held, circuits };
  }

  /** The wait before the next probe once `probesSent` probes have failed: first, 2×, 4×… up to the maximum. */
  private probeDelayMs(probesSent: number): number {
    return Math.min(this.opts.circuit.maxProbeMs, this.opts.circuit.firstProbeMs * 2 ** probesSent);
  }

  /** Opens the circuit of every route a systemic error stopped in this batch; one failure row when it was not open yet. */
  private async openCircuits(ctx: RunContext): Promise<Circuit[]> {
    const opened: Circuit[] = [];
    for (const [route, stop] of ctx.stopped) {
      const w = stop.first.op.write;
      const fault = {
        route,
        environment: w.environment,
        table: w.table,
        cause: stop.result.cause,
        status: stop.result.status,
        code: stop.result.code,
        message: stop.result.message,
      };
      let r: { created: boolean; circuit: Circuit };
      try {
        r = await this.circuits.open(fault, ctx.book.now, new Date(ctx.book.now.getTime() + this.probeDelayMs(0)));
      } catch (err) {
        throw new BatchTransientError(`Opening the circuit of route "${route}" failed (${(err as Error).message}); the batch will be redelivered.`, {
          cause: err,
        });
      }
      stop.circuit = r.circuit;
      for (const d of stop.ops) this.hold(refOf(d.op), ctx, r.circuit);
      if (!r.created) continue;
      opened.push(r.circuit);
      const detail = `Route "${route}" is stopped: ${CAUSES[fault.cause]}. Dataverse answered ${`${fault.status ?? ''} ${fault.code ?? ''}`.trim()}: ${fault.message} Its changes are held (rescheduled, never failed or dead-lettered); a probe write goes at ${r.circuit.probeAt}, then with backoff up to every ${this.opts.circuit.maxProbeMs / 60_000} min. After fixing the cause, wait for the probe or run "dvsync circuits close ${route}".`;
      ctx.book.failures.push(
        ctx.book.failureRecord(refOf(stop.first.op), 'error', 'CircuitOpen', detail, { status: fault.status, code: fault.code, kind: fault.cause }),
      );
    }
    return opened;
  }

  /** Holds a change of a stopped route until just after the circuit's next probe time (retries not counted). */
  private hold(ref: MessageRef, ctx: RunContext, circuit: Circuit): void {
    const probeAt = Math.max(Date.parse(circuit.probeAt), ctx.book.now.getTime());
    // Spread the held changes over a few seconds after the probe time, so the probe goes before the crowd.
    const notBefore = new Date(probeAt + 1000 + Math.round(Math.random() * 4000));
    ctx.book.reschedule(
      ref,
      notBefore,
      'CircuitOpen',
      ref.retries,
      `route "${ref.route}" is stopped since ${circuit.openedAt} (${circuit.cause}: ${circuit.message}); held until the probe at ${circuit.probeAt}`,
    );
  }

  /** A verdict other than a re-read: a write to make, or a skip (with what the ledger learns from it). */
  private take(op: PlannedOp, verdict: LedgerVerdict, ctx: RunContext, decisions: Decision[]): void {
    if (verdict.type === 'write') return void decisions.push(verdict.decision);
    if (verdict.type === 'reread') throw new Error(`judge asked for a second re-read of ${op.write.keyText}`);
    ctx.book.skipped(op, verdict.outcome, verdict.ledger);
  }

  /**
   * Re-reads the source rows of changes that cannot be ordered (shared/model/version.ts): the row as it
   * is now (or its absence) becomes one current change carrying the originals as merged messages.
   */
  private async rereadUnordered(ops: PlannedOp[], ctx: RunContext): Promise<PlannedOp[]> {
    const out: PlannedOp[] = [];
    await mapBounded(ops, this.opts.singleConcurrency, async (op) => {
      const step = await rereadSource(this.ports.sources, op.change, op.route, op.index, 'delete', this.opts.now);
      const constituents = [{ ...op, merged: [] }, ...op.merged];
      if (step.type === 'unresolved') {
        const u = step.unresolved;
        const ref = refOf(op);
        if (u.type === 'fail') return ctx.book.fail(ref, u.reason, u.detail, u.dv);
        if (u.type === 'retry')
          return u.notBefore ? ctx.book.reschedule(ref, u.notBefore, u.reason, ref.retries) : ctx.book.retryLater(ref, u.reason, u.detail, u.dv);
        return;
      }
      const change = step.change.operation === 'delete' ? { ...step.change, values: op.change.values } : step.change;
      try {
        const mapped = mapChange(op.route, change, this.entitySetOf);
        if (mapped.type === 'ignore') {
          for (const c of constituents)
            ctx.book.outcomes.push({
              index: c.index,
              messageId: c.incoming.messageId,
              route: c.route.name,
              targetKey: c.write.keyText,
              outcome: { status: 'skipped', reason: 'ignoredDelete', detail: `re-read: the source row no longer exists and ${mapped.reason}` },
              warnings: [],
            });
          return;
        }
        const current = plannedOp({
          index: op.index,
          incoming: op.incoming,
          change,
          body: op.body,
          route: op.route,
          rank: op.rank,
          write: mapped.write,
          ledgerKey: op.ledgerKey,
          retries: op.retries,
          current: true,
        });
        out.push({ ...current, merged: constituents.slice(1) });
      } catch (err) {
        if (!(err instanceof MappingError)) throw err;
        ctx.book.fail(refOf(op), 'MappingError', `re-read of the source row: ${err.message}`);
      }
    });
    return out;
  }

  private async persist(ctx: RunContext): Promise<void> {
    try {
      await this.ledger.write(ctx.book.ledgerWrites);
    } catch (err) {
      // Dataverse already has the writes; redelivery re-applies them idempotently (see README).
      throw new BatchTransientError(
        `Writing the record ledger failed after Dataverse confirmed the writes (${(err as Error).message}); the batch will be redelivered and re-applied idempotently.`,
        { cause: err },
      );
    }
    await this.ports.rescheduler.schedule(ctx.book.scheduled);
    await this.ports.failures.record(ctx.book.failures);
  }

  /** Upserts/creates/updates by ascending rank (parents first), then deletes by descending rank (children first). */
  private async execute(decisions: Decision[], ctx: RunContext): Promise<void> {
    const writes = decisions.filter((d) => d.op.write.kind !== 'delete');
    const deletes = decisions.filter((d) => d.op.write.kind === 'delete');
    const missingParent: Decision[] = [];
    const ranksOf = (ds: Decision[]) => [...new Set(ds.map((d) => d.op.rank))];
    for (const rank of ranksOf(writes).sort((a, b) => a - b))
      await this.writeRank(
        writes.filter((d) => d.op.rank === rank),
        ctx,
        missingParent,
      );
    for (const rank of ranksOf(deletes).sort((a, b) => b - a))
      await this.writeRank(
        deletes.filter((d) => d.op.rank === rank),
        ctx,
        missingParent,
      );
    // A parent may have been written later in this batch (same table, or same rank): one more pass, then the policy.
    let pending = missingParent.splice(0);
    for (let pass = 0; pending.length > 0 && pass < MISSING_PARENT_PASSES; pass++) {
      const again: Decision[] = [];
      await this.writeRank(pending, ctx, again, 'policy');
      pending = again;
    }
    for (const d of pending)
      ctx.book.fail(refOf(d.op), 'MissingParent', `parent rows still missing after ${MISSING_PARENT_PASSES} write passes without unresolvable lookups.`);
  }

  private async writeRank(ds: Decision[], ctx: RunContext, missingParent: Decision[], mode?: 'policy'): Promise<void> {
    const groups = new Map<string, Decision[]>();
    for (const d of ds) {
      const id = JSON.stringify([sinkOf(d.op.route), d.op.write.environment, d.op.write.table, d.op.write.kind]);
      groups.set(id, [...(groups.get(id) ?? []), d]);
    }
    await Promise.all(
      [...groups.values()].map(async (group) => {
        const { environment, table, kind } = group[0].op.write;
        const sink = sinkOf(group[0].op.route);
        // The throttle's "not before" and stopped routes hold per sink and environment.
        const stateId = JSON.stringify([sink, environment]);
        const state = ctx.envs.get(stateId) ?? (ctx.deadline === undefined ? {} : { deadline: ctx.deadline });
        ctx.envs.set(stateId, state);
        const results = await (this.writers.get(sink) as GroupWriter).write(
          environment,
          table,
          kind,
          group.map((d, i) => ({ id: i, write: toAction(d), route: d.op.route.name })),
          state,
        );
        group.forEach((d, i) => this.settle(d, results.get(i) as ItemResult, ctx, missingParent, mode));
      }),
    );
  }

  private settle(d: Decision, r: ItemResult, ctx: RunContext, missingParent: Decision[], mode?: 'policy'): void {
    const op = d.op;
    switch (r.type) {
      case 'ok':
        return ctx.book.applied(d, { path: r.path });
      case 'reschedule':
        if (r.deadline) return ctx.book.reschedule(refOf(op), r.notBefore, 'Deadline', op.retries, r.message);
        if (r.throttled) return ctx.book.reschedule(refOf(op), r.notBefore, 'Throttled', op.retries);
        return ctx.book.retryLater(refOf(op), 'Transient', `Dataverse kept failing transiently: ${r.message}`, undefined, r.notBefore);
      case 'transient':
        ctx.transient.push({ decision: d, result: r });
        return;
      case 'systemic': {
        // Held once the circuit is open (openCircuits), with the circuit's probe time.
        const stop = ctx.stopped.get(op.route.name);
        if (stop) stop.ops.push(d);
        else ctx.stopped.set(op.route.name, { result: r, first: d, ops: [d] });
        return;
      }
      case 'record': {
        const w = op.write;
        if (w.kind === 'create' && r.rowExists) {
          return ctx.book.applied(d, { detail: 'createOnly: the row already exists (an earlier delivery wrote it before the ledger recorded it)' });
        }
        if (r.missingRow) {
          const parentTables = this.missingParentTables(d, r.missingRow);
          if (parentTables.length > 0) {
            if (mode === 'policy') return this.applyMissingParentPolicy(d, ctx, r, missingParent);
            missingParent.push(d);
            return;
          }
          if (w.kind === 'delete' || w.deactivate) return ctx.book.applied(d, { detail: 'the target row does not exist (already deleted)' });
        }
        const dataverse = sinkOf(op.route) === DEFAULT_SINK;
        const reason = w.kind === 'update' && r.kind === 'notFound' ? 'TargetMissing' : dataverse ? 'DataverseError' : 'SinkRefused';
        return ctx.book.fail(
          refOf(op),
          reason,
          `${dataverse ? 'Dataverse' : `Sink "${sinkOf(op.route)}"`} refused the ${w.kind} of ${w.entitySet}(${w.keyText}): ${r.status ?? ''} ${r.code ?? ''} ${r.message}`.replace(
            /\s+/g,
            ' ',
          ),
          r,
        );
      }
    }
  }

  /** Lookup tables a 404 may refer to: those the message names, else (for writes that cannot miss their own row) all bound ones. */
  private missingParentTables(d: Decision, missing: MissingRow): string[] {
    const bound = d.op.write.binds.filter((b) => b.url !== null && b.property in d.body);
    const named = bound.filter((b) => missing.mentions(b.targetTable));
    // An update that names only its own table is about the row itself, unless the row was referenced by id.
    if (named.length > 0 && !(d.op.write.kind === 'update' && named.every((b) => b.targetTable === d.op.write.table) && !missing.byReference))
      return named.map((b) => b.targetTable);
    if (d.op.write.kind === 'update') return [];
    return bound.map((b) => b.targetTable);
  }

  private applyMissingParentPolicy(d: Decision, ctx: RunContext, refusal: RecordRefusal, requeue?: Decision[]): void {
    const message = refusal.message;
    const tables = new Set(refusal.missingRow ? this.missingParentTables(d, refusal.missingRow) : []);
    const binds = d.op.write.binds.filter((b) => b.url !== null && tables.has(b.targetTable) && b.property in d.body);
    const detail = `parent not found for ${binds.map((b) => `${b.property} → ${b.url}`).join(', ') || 'a lookup'}${message ? ` (${message})` : ''}`;
    if (binds.some((b) => b.missingParent === 'fail') || binds.length === 0)
      return ctx.book.fail(refOf(d.op), 'MissingParent', `${detail}; lookup policy "fail".`);
    if (binds.some((b) => b.missingParent === 'retry')) return ctx.book.retryLater(refOf(d.op), 'MissingParent', detail);
    // dropLookup: write the rest without the unresolvable lookups, with a warning.
    const body = { ...d.body };
    const hashes = { ...d.next.hashes };
    const columnVersions = { ...d.next.columnVersions };
    for (const b of binds) {
      delete body[b.property];
      delete hashes[b.property];
      delete columnVersions[b.property];
    }
    const warning = `${detail}; lookup dropped (policy "dropLookup").`;
    ctx.book.warn(d.op.index, warning);
    ctx.book.failures.push(ctx.book.failureRecord(refOf(d.op), 'warning', 'LookupDropped', warning));
    const next: Decision = {
      op: d.op,
      body,
      next: { ...d.next, hashes, ...(Object.keys(columnVersions).length > 0 ? { columnVersions } : { columnVersions: undefined }) },
    };
    if (Object.keys(body).length === 0 && d.op.write.kind !== 'create' && d.op.write.kind !== 'upsert') return ctx.book.applied(next, {});
    if (requeue) requeue.push(next);
    else ctx.book.fail(refOf(d.op), 'MissingParent', `${detail}; no pass left to write without the lookup.`);
  }

  /** A message decided while completing it (blob, re-read): skipped, failed or retried later. */
  private settleUnresolved(u: Unresolved, incoming: IncomingMessage, ctx: RunContext): void {
    const ref: MessageRef = {
      index: u.index,
      incoming,
      body: bodyText(incoming.body),
      route: u.route.name,
      sourceId: u.change.source.id,
      version: u.change.version,
      receivedAt: u.change.receivedAt,
      retries: retriesOf(incoming),
    };
    switch (u.type) {
      case 'skip':
        ctx.book.outcomes.push({
          index: u.index,
          messageId: incoming.messageId,
          route: ref.route,
          outcome: { status: 'skipped', reason: 'sourceDeleted', detail: u.detail },
          warnings: [],
        });
        return;
      case 'fail':
        return ctx.book.fail(ref, u.reason, u.detail, u.dv);
      case 'retry':
        if (u.notBefore) return ctx.book.reschedule(ref, u.notBefore, u.reason, ref.retries);
        return ctx.book.retryLater(ref, u.reason, u.detail, u.dv);
    }
  }
}

/** One batch's state: the outcome book and what the writers learnt (throttled environments, stopped routes). */
interface RunContext {
  book: OutcomeBook;
  /** Epoch ms after which no write is sent (BatchRun.deadline). */
  deadline?: number;
  /** Per sink and environment: the throttle's "not before" and the routes stopped in this batch. */
  envs: Map<string, EnvironmentState>;
  transient: Array<{ decision: Decision; result: Extract<ItemResult, { type: 'transient' }> }>;
  /** Routes a systemic error stopped in this batch: the error, the first change that met it, every change to hold. */
  stopped: Map<string, { result: SystemicResult; first: Decision; ops: Decision[]; circuit?: Circuit }>;
  /** Routes whose circuit a probe closed in this batch. */
  closed: string[];
}

/** The queue body as text, as planning stores it (the replayable original). */
function bodyText(body: unknown): string {
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  return typeof body === 'string' ? body : (JSON.stringify(body) ?? String(body));
}

type RecordRefusal = Extract<ItemResult, { type: 'record' }>;

function sinkOf(route: Route): string {
  return route.target.sink ?? DEFAULT_SINK;
}

function toAction(d: Decision): SinkAction {
  const w = d.op.write;
  return { kind: w.kind, entitySet: w.entitySet, table: w.table, key: w.key, body: d.body };
}
