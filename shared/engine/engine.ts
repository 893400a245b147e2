/**
 * The write engine: applyChanges(batch) plans the batch, writes parents before children through the
 * best write path, handles missing parents, throttling and bad records, then records the ledger
 * (after Dataverse confirmed), failures and re-enqueued changes. See README.md for the guarantees.
 */
import type { Route } from '../routes/schema';
import type { FailureRecord, FailureStorePort } from '../ledger/failures';
import type { LedgerWrite, RecordLedgerPort } from '../ledger/types';
import { truncateBody } from '../ledger/failures';
import { BatchSizer, CapabilityRegistry } from './capabilities';
import { routeRanks } from './dependencies';
import { BatchTransientError, EngineConfigError, isDuplicateCode, isMissingRowCode, MappingError } from './errors';
import { GroupWriter, type EnvironmentState, type ItemResult, type SystemicResult } from './group-writer';
import { MemoryCircuitStore, type Circuit, type CircuitStorePort } from '../ledger/circuits';
import { countOutcomes, type BatchResult, type MessageOutcome, type Outcome } from './outcomes';
import { resolveOptions, type EngineOptions, type ResolvedOptions } from './options';
import { judge, planBatch, plannedOp, type Decision, type IncomingMessage, type LedgerVerdict, type PlannedOp } from './plan';
import { mapBounded } from '../util/bounded';
import { mapChange } from './mapping';
import type { BlobReadPort, DataverseWritePort, ReschedulePort, ScheduledChange, SourceReadPort, TargetWrite } from './ports';
import { nextMessageId, RETRIES_PROPERTY, retryDelayMs } from './reschedule';
import { rereadSource, resolveMessages, type Unresolved } from './resolve';
import { LedgerBatcher } from './ledger-batcher';

export interface EnginePorts {
  dataverse: DataverseWritePort;
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

/** What describes each systemic cause to an operator, and what fixes it. */
const CAUSES: Record<SystemicResult['cause'], string> = {
  privilege: 'the application user lacks a privilege on the target table (assign it a security role with the privilege Dataverse names)',
  auth: 'Dataverse refuses the credential (check the application user, its secret or certificate, and that it is enabled)',
  inactiveKey: 'the target alternate key is not defined or its index is not Active yet (check the key in the table\'s Keys; a new key becomes Active once its index is built)',
  unknownColumn: 'the target table has no column or navigation property the route writes (fix target.columns / target.lookups, or add the column)',
  unknownTable: 'the target entity set does not exist in the environment (fix target.entitySet, or the lookup\'s entitySet)',
};

/** What the failure/reschedule helpers need to know about one message, planned or not. */
interface MessageRef {
  index: number;
  incoming: IncomingMessage;
  body: string;
  route: string;
  targetKey?: string;
  environment?: string;
  table?: string;
  sourceId?: string;
  version: string;
  receivedAt: string;
  retries: number;
  /** Messages merged into this one (same target row, same batch): each shares its fate, with its own body. */
  merged?: MessageRef[];
}

function refOf(op: PlannedOp): MessageRef {
  const ref: MessageRef = { index: op.index, incoming: op.incoming, body: op.body, route: op.route.name, targetKey: op.write.keyText, environment: op.write.environment, table: op.write.table, sourceId: op.change.source.id, version: op.change.version, receivedAt: op.change.receivedAt, retries: op.retries };
  if (op.merged.length > 0) ref.merged = op.merged.map(refOf);
  return ref;
}

/** The outcomes of the messages merged into `op`: the same as its own, saying into which message. */
function mergedOutcomes(op: PlannedOp, own: MessageOutcome): MessageOutcome[] {
  const note = `merged into message ${op.incoming.messageId} (same target row, same batch)`;
  return op.merged.map((m) => {
    const outcome: Outcome = own.outcome.status === 'applied' ? { ...own.outcome, detail: own.outcome.detail ? `${own.outcome.detail}; ${note}` : note } : own.outcome.status === 'skipped' ? { ...own.outcome, detail: `${own.outcome.detail}; ${note}` } : own.outcome;
    return { ...own, index: m.index, messageId: m.incoming.messageId, route: m.route.name, outcome };
  });
}

function retriesOf(incoming: IncomingMessage): number {
  const n = Number(incoming.applicationProperties?.[RETRIES_PROPERTY] ?? 0);
  return Number.isFinite(n) ? n : 0;
}

export type { IncomingMessage } from './plan';

export class WriteEngine {
  private readonly opts: ResolvedOptions;
  private readonly routes: Map<string, Route>;
  private readonly ranks: Map<string, number>;
  private readonly entitySets = new Map<string, string>();
  readonly writer: GroupWriter;
  /** Concurrent calls share ledger reads and writes (group commit). */
  private readonly ledger: LedgerBatcher;
  private readonly circuits: CircuitStorePort;

  constructor(options: EngineOptions, private readonly ports: EnginePorts) {
    this.opts = resolveOptions(options);
    this.circuits = ports.circuits ?? new MemoryCircuitStore();
    this.routes = new Map();
    for (const r of this.opts.routes) {
      if (this.routes.has(r.name)) throw new EngineConfigError(`Two routes are named "${r.name}"; route names must be unique.`);
      this.routes.set(r.name, r);
      this.entitySets.set(`${r.target.environment}/${r.target.table}`, r.target.entitySet);
    }
    for (const r of this.opts.routes) {
      for (const l of r.target.lookups) {
        if (l.entitySet === undefined) continue;
        const tables = Array.isArray(l.targetTable) ? l.targetTable : [l.targetTable];
        for (const t of tables) {
          const set = typeof l.entitySet === 'string' ? (tables.length === 1 ? l.entitySet : undefined) : l.entitySet[t];
          if (set && !this.entitySets.has(`${r.target.environment}/${t}`)) this.entitySets.set(`${r.target.environment}/${t}`, set);
        }
      }
    }
    for (const [env, tables] of Object.entries(this.opts.entitySets)) for (const [t, set] of Object.entries(tables)) this.entitySets.set(`${env}/${t}`, set);
    this.ranks = routeRanks(this.opts.routes);
    for (const r of this.opts.routes) {
      for (const l of r.target.lookups) {
        for (const t of Array.isArray(l.targetTable) ? l.targetTable : [l.targetTable]) {
          if (!this.entitySets.has(`${r.target.environment}/${t}`)) {
            throw new EngineConfigError(`Route "${r.name}": lookup "${l.from}" targets table "${t}", but no route writes "${t}" in environment "${r.target.environment}", the lookup has no entitySet for it and engine option entitySets.${r.target.environment}.${t} is not set, so its entity set is unknown.`);
          }
        }
      }
    }
    this.ledger = new LedgerBatcher(ports.ledger);
    this.writer = new GroupWriter(ports.dataverse, new CapabilityRegistry(this.opts.capabilities), new BatchSizer(this.opts.batchSize.min), this.opts);
  }

  async applyChanges(messages: readonly IncomingMessage[]): Promise<BatchResult> {
    const now = this.opts.now();
    const resolution = await resolveMessages(messages, this.routes, { sources: this.ports.sources, blobs: this.ports.blobs }, this.opts.singleConcurrency);
    const settled = new Set(resolution.unresolved.map((u) => u.index));
    const stage = planBatch(messages, this.routes, this.ranks, this.entitySetOf, resolution.changes, settled, resolution.current);
    const outcomes: MessageOutcome[] = [...stage.skipped];
    const failures: FailureRecord[] = [];
    const ledgerWrites: LedgerWrite[] = [];
    const scheduled: ScheduledChange[] = [];

    for (const r of stage.rejected) {
      outcomes.push({ index: r.index, messageId: r.incoming.messageId, route: r.change?.route, outcome: { status: 'failed', reason: r.reason, detail: r.detail }, warnings: [] });
      failures.push({ severity: 'error', reason: r.reason, detail: r.detail, messageId: r.incoming.messageId, route: r.change?.route, sourceId: r.change?.source.id, version: r.change?.version, attempt: r.incoming.deliveryCount ?? 1, time: now.toISOString(), body: truncateBody(r.body) });
    }

    let entries;
    try {
      entries = await this.ledger.read(stage.ops.map((o) => o.ledgerKey));
    } catch (err) {
      throw new BatchTransientError(`Reading the record ledger failed (${(err as Error).message}); the batch will be redelivered.`, { cause: err });
    }
    const ctx: RunContext = { now, outcomes, failures, ledgerWrites, scheduled, envs: new Map(), applied: 0, transient: [], stopped: new Map(), closed: [] };
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

    if (ctx.transient.length > 0 && ctx.applied === 0 && ctx.transient.length === gate.normal.length + gate.probes.length) {
      await this.persist(ctx);
      const first = ctx.transient[0];
      throw new BatchTransientError(`Every write of the batch failed transiently (e.g. ${first.result.message}); the batch will be redelivered.`);
    }
    for (const t of ctx.transient) this.retryLater(refOf(t.decision.op), ctx, 'Transient', `Dataverse kept failing transiently: ${t.result.message}`, t.result);
    await this.persist(ctx);
    outcomes.sort((a, b) => a.index - b.index);
    const result: BatchResult = { outcomes, counts: countOutcomes(outcomes) };
    if (opened.length > 0 || ctx.closed.length > 0) result.circuits = { opened, closed: ctx.closed };
    return result;
  }

  /**
   * Routes with an open circuit write nothing: their changes are held until the next probe. When the probe
   * time has come, the instance that claims it (ETag) sends one of the route's changes alone as the probe.
   */
  private async gate(decisions: Decision[], ctx: RunContext): Promise<{ normal: Decision[]; probes: Decision[]; held: Map<string, Decision[]>; circuits: Map<string, Circuit> }> {
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
      if (Date.parse(c.probeAt) > ctx.now.getTime()) {
        circuits.set(c.route, c);
        continue;
      }
      const next = new Date(ctx.now.getTime() + this.probeDelayMs(c.probes + 1));
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
      const fault = { route, environment: w.environment, table: w.table, cause: stop.result.cause, status: stop.result.status, code: stop.result.code, message: stop.result.message };
      let r: { created: boolean; circuit: Circuit };
      try {
        r = await this.circuits.open(fault, ctx.now, new Date(ctx.now.getTime() + this.probeDelayMs(0)));
      } catch (err) {
        throw new BatchTransientError(`Opening the circuit of route "${route}" failed (${(err as Error).message}); the batch will be redelivered.`, { cause: err });
      }
      stop.circuit = r.circuit;
      for (const d of stop.ops) this.hold(refOf(d.op), ctx, r.circuit);
      if (!r.created) continue;
      opened.push(r.circuit);
      const detail = `Route "${route}" is stopped: ${CAUSES[fault.cause]}. Dataverse answered ${`${fault.status ?? ''} ${fault.code ?? ''}`.trim()}: ${fault.message} Its changes are held (rescheduled, never failed or dead-lettered); a probe write goes at ${r.circuit.probeAt}, then with backoff up to every ${this.opts.circuit.maxProbeMs / 60_000} min. After fixing the cause, wait for the probe or run "dvsync circuits close ${route}".`;
      ctx.failures.push(this.failureRecord(refOf(stop.first.op), ctx, 'error', 'CircuitOpen', detail, { status: fault.status, code: fault.code, kind: fault.cause }));
    }
    return opened;
  }

  /** Holds a change of a stopped route until just after the circuit's next probe time (retries not counted). */
  private hold(ref: MessageRef, ctx: RunContext, circuit: Circuit): void {
    const probeAt = Math.max(Date.parse(circuit.probeAt), ctx.now.getTime());
    // Spread the held changes over a few seconds after the probe time, so the probe goes before the crowd.
    const notBefore = new Date(probeAt + 1000 + Math.round(Math.random() * 4000));
    this.reschedule(ref, ctx, notBefore, 'CircuitOpen', ref.retries, `route "${ref.route}" is stopped since ${circuit.openedAt} (${circuit.cause}: ${circuit.message}); held until the probe at ${circuit.probeAt}`);
  }

  private readonly entitySetOf = (env: string, table: string): string | undefined => this.entitySets.get(`${env}/${table}`);

  /** A verdict other than a re-read: a write to make, or a skip (with what the ledger learns from it). */
  private take(op: PlannedOp, verdict: LedgerVerdict, ctx: RunContext, decisions: Decision[]): void {
    if (verdict.type === 'write') return void decisions.push(verdict.decision);
    if (verdict.type === 'reread') throw new Error(`judge asked for a second re-read of ${op.write.keyText}`);
    ctx.outcomes.push(verdict.outcome, ...mergedOutcomes(op, verdict.outcome));
    if (verdict.ledger) ctx.ledgerWrites.push({ ...op.ledgerKey, ...verdict.ledger });
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
        if (u.type === 'fail') return this.fail(ref, ctx, u.reason, u.detail, u.dv);
        if (u.type === 'retry') return u.notBefore ? this.reschedule(ref, ctx, u.notBefore, u.reason, ref.retries) : this.retryLater(ref, ctx, u.reason, u.detail, u.dv);
        return;
      }
      const change = step.change.operation === 'delete' ? { ...step.change, values: op.change.values } : step.change;
      try {
        const mapped = mapChange(op.route, change, this.entitySetOf);
        if (mapped.type === 'ignore') {
          for (const c of constituents) ctx.outcomes.push({ index: c.index, messageId: c.incoming.messageId, route: c.route.name, targetKey: c.write.keyText, outcome: { status: 'skipped', reason: 'ignoredDelete', detail: `re-read: the source row no longer exists and ${mapped.reason}` }, warnings: [] });
          return;
        }
        const current = plannedOp({ index: op.index, incoming: op.incoming, change, body: op.body, route: op.route, rank: op.rank, write: mapped.write, ledgerKey: op.ledgerKey, retries: op.retries, current: true });
        out.push({ ...current, merged: constituents.slice(1) });
      } catch (err) {
        if (!(err instanceof MappingError)) throw err;
        this.fail(refOf(op), ctx, 'MappingError', `re-read of the source row: ${err.message}`);
      }
    });
    return out;
  }

  private async persist(ctx: RunContext): Promise<void> {
    try {
      await this.ledger.write(ctx.ledgerWrites);
    } catch (err) {
      // Dataverse already has the writes; redelivery re-applies them idempotently (see README).
      throw new BatchTransientError(`Writing the record ledger failed after Dataverse confirmed the writes (${(err as Error).message}); the batch will be redelivered and re-applied idempotently.`, { cause: err });
    }
    await this.ports.rescheduler.schedule(ctx.scheduled);
    await this.ports.failures.record(ctx.failures);
  }

  /** Upserts/creates/updates by ascending rank (parents first), then deletes by descending rank (children first). */
  private async execute(decisions: Decision[], ctx: RunContext): Promise<void> {
    const writes = decisions.filter((d) => d.op.write.kind !== 'delete');
    const deletes = decisions.filter((d) => d.op.write.kind === 'delete');
    const missingParent: Decision[] = [];
    const ranksOf = (ds: Decision[]) => [...new Set(ds.map((d) => d.op.rank))];
    for (const rank of ranksOf(writes).sort((a, b) => a - b)) await this.writeRank(writes.filter((d) => d.op.rank === rank), ctx, missingParent);
    for (const rank of ranksOf(deletes).sort((a, b) => b - a)) await this.writeRank(deletes.filter((d) => d.op.rank === rank), ctx, missingParent);
    // A parent may have been written later in this batch (same table, or same rank): one more pass, then the policy.
    let pending = missingParent.splice(0);
    for (let pass = 0; pending.length > 0 && pass < 4; pass++) {
      const again: Decision[] = [];
      await this.writeRank(pending, ctx, again, 'policy');
      pending = again;
    }
    for (const d of pending) this.fail(refOf(d.op), ctx, 'MissingParent', `parent rows still missing after ${4} write passes without unresolvable lookups.`);
  }

  private async writeRank(ds: Decision[], ctx: RunContext, missingParent: Decision[], mode?: 'policy'): Promise<void> {
    const groups = new Map<string, Decision[]>();
    for (const d of ds) {
      const id = `${d.op.write.environment}\u0000${d.op.write.table}\u0000${d.op.write.kind}`;
      groups.set(id, [...(groups.get(id) ?? []), d]);
    }
    await Promise.all(
      [...groups.values()].map(async (group) => {
        const { environment, table, kind } = group[0].op.write;
        const state = ctx.envs.get(environment) ?? {};
        ctx.envs.set(environment, state);
        const results = await this.writer.write(environment, table, kind, group.map((d, i) => ({ id: i, write: toTargetWrite(d), route: d.op.route.name })), state);
        group.forEach((d, i) => this.settle(d, results.get(i) as ItemResult, ctx, missingParent, mode));
      }),
    );
  }

  private settle(d: Decision, r: ItemResult, ctx: RunContext, missingParent: Decision[], mode?: 'policy'): void {
    const op = d.op;
    switch (r.type) {
      case 'ok':
        return this.applied(d, ctx, { path: r.path });
      case 'reschedule':
        if (r.throttled) return this.reschedule(refOf(op), ctx, r.notBefore, 'Throttled', op.retries);
        return this.retryLater(refOf(op), ctx, 'Transient', `Dataverse kept failing transiently: ${r.message}`, undefined, r.notBefore);
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
        if (w.kind === 'create' && r.status === 412 && isDuplicateCode(r.code, r.status)) {
          return this.applied(d, ctx, { detail: 'createOnly: the row already exists (an earlier delivery wrote it before the ledger recorded it)' });
        }
        if (r.status === 404 && isMissingRowCode(r.code)) {
          const parentTables = this.missingParentTables(d, r.message);
          if (parentTables.length > 0) {
            if (mode === 'policy') return this.applyMissingParentPolicy(d, ctx, r.message, missingParent);
            missingParent.push(d);
            return;
          }
          if (w.kind === 'delete' || w.deactivate) return this.applied(d, ctx, { detail: 'the target row does not exist (already deleted)' });
        }
        return this.fail(refOf(op), ctx, w.kind === 'update' && r.status === 404 ? 'TargetMissing' : 'DataverseError', `Dataverse refused the ${w.kind} of ${w.entitySet}(${w.keyText}): ${r.status ?? ''} ${r.code ?? ''} ${r.message}`.replace(/\s+/g, ' '), r);
      }
    }
  }

  /** Lookup tables a 404 may refer to: those the message names, else (for writes that cannot miss their own row) all bound ones. */
  private missingParentTables(d: Decision, message: string): string[] {
    const bound = d.op.write.binds.filter((b) => b.url !== null && b.property in d.body);
    const named = bound.filter((b) => new RegExp(`\\b${b.targetTable}\\b`, 'i').test(message));
    if (named.length > 0 && !(d.op.write.kind === 'update' && named.every((b) => b.targetTable === d.op.write.table) && !/With Id/.test(message))) return named.map((b) => b.targetTable);
    if (d.op.write.kind === 'update') return [];
    return bound.map((b) => b.targetTable);
  }

  private applyMissingParentPolicy(d: Decision, ctx: RunContext, message: string | undefined, requeue?: Decision[]): void {
    const tables = new Set(this.missingParentTables(d, message ?? ''));
    const binds = d.op.write.binds.filter((b) => b.url !== null && tables.has(b.targetTable) && b.property in d.body);
    const detail = `parent not found for ${binds.map((b) => `${b.property} → ${b.url}`).join(', ') || 'a lookup'}${message ? ` (${message})` : ''}`;
    if (binds.some((b) => b.missingParent === 'fail') || binds.length === 0) return this.fail(refOf(d.op), ctx, 'MissingParent', `${detail}; lookup policy "fail".`);
    if (binds.some((b) => b.missingParent === 'retry')) return this.retryLater(refOf(d.op), ctx, 'MissingParent', detail);
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
    ctx.warnings ??= new Map();
    ctx.warnings.set(d.op.index, [...(ctx.warnings.get(d.op.index) ?? []), warning]);
    ctx.failures.push(this.failureRecord(refOf(d.op), ctx, 'warning', 'LookupDropped', warning));
    const next: Decision = { op: d.op, body, next: { ...d.next, hashes, ...(Object.keys(columnVersions).length > 0 ? { columnVersions } : { columnVersions: undefined }) } };
    if (Object.keys(body).length === 0 && d.op.write.kind !== 'create' && d.op.write.kind !== 'upsert') return this.applied(next, ctx, {});
    if (requeue) requeue.push(next);
    else this.fail(refOf(d.op), ctx, 'MissingParent', `${detail}; no pass left to write without the lookup.`);
  }

  private applied(d: Decision, ctx: RunContext, info: { path?: 'bulk' | 'changeSet' | 'single'; detail?: string }): void {
    const op = d.op;
    ctx.applied++;
    const own: MessageOutcome = { index: op.index, messageId: op.incoming.messageId, route: op.route.name, targetKey: op.write.keyText, outcome: { status: 'applied', ...info }, warnings: ctx.warnings?.get(op.index) ?? [] };
    ctx.outcomes.push(own, ...mergedOutcomes(op, own));
    ctx.ledgerWrites.push({ ...op.ledgerKey, ...d.next });
  }

  /** A message decided while completing it (blob, re-read): skipped, failed or retried later. */
  private settleUnresolved(u: Unresolved, incoming: IncomingMessage, ctx: RunContext): void {
    const ref: MessageRef = { index: u.index, incoming, body: bodyText(incoming.body), route: u.route.name, sourceId: u.change.source.id, version: u.change.version, receivedAt: u.change.receivedAt, retries: retriesOf(incoming) };
    switch (u.type) {
      case 'skip':
        ctx.outcomes.push({ index: u.index, messageId: incoming.messageId, route: ref.route, outcome: { status: 'skipped', reason: 'sourceDeleted', detail: u.detail }, warnings: [] });
        return;
      case 'fail':
        return this.fail(ref, ctx, u.reason, u.detail, u.dv);
      case 'retry':
        if (u.notBefore) return this.reschedule(ref, ctx, u.notBefore, u.reason, ref.retries);
        return this.retryLater(ref, ctx, u.reason, u.detail, u.dv);
    }
  }

  /** A record-level retry (counted, bounded by retry.maxAttempts / maxAgeMs); at `notBefore` or after the backoff. */
  private retryLater(ref: MessageRef, ctx: RunContext, reason: string, detail: string, dv?: { status?: number; code?: string }, notBefore?: Date): void {
    const age = ctx.now.getTime() - Date.parse(ref.receivedAt);
    const policy = this.opts.retry;
    if (ref.retries + 1 >= policy.maxAttempts || (Number.isFinite(age) && age > policy.maxAgeMs)) {
      return this.fail(ref, ctx, reason, `${detail}; gave up after ${ref.retries + 1} attempts (${Math.round(age / 1000)} s since the change was accepted; limits: ${policy.maxAttempts} attempts, ${policy.maxAgeMs / 1000} s).`, dv);
    }
    this.reschedule(ref, ctx, notBefore ?? new Date(ctx.now.getTime() + retryDelayMs(policy, ref.retries)), reason, ref.retries + 1);
  }

  private reschedule(ref: MessageRef, ctx: RunContext, notBefore: Date, reason: string, retries: number, detail?: string): void {
    for (const m of ref.merged ?? []) this.reschedule(m, ctx, notBefore, reason, retries, detail);
    const messageId = nextMessageId(ref.incoming.messageId);
    ctx.scheduled.push({ body: ref.body, sessionId: ref.incoming.sessionId, correlationId: ref.incoming.correlationId, messageId, scheduledEnqueueTimeUtc: notBefore, applicationProperties: { ...ref.incoming.applicationProperties, [RETRIES_PROPERTY]: retries } });
    ctx.outcomes.push({ index: ref.index, messageId: ref.incoming.messageId, route: ref.route, targetKey: ref.targetKey, outcome: { status: 'rescheduled', reason, notBefore: notBefore.toISOString(), messageId, ...(detail ? { detail } : {}) }, warnings: ctx.warnings?.get(ref.index) ?? [] });
  }

  private fail(ref: MessageRef, ctx: RunContext, reason: string, detail: string, dv?: { status?: number; code?: string; kind?: string }): void {
    for (const m of ref.merged ?? []) this.fail(m, ctx, reason, `${detail} (merged into message ${ref.incoming.messageId}: same target row, same batch)`, dv);
    ctx.outcomes.push({ index: ref.index, messageId: ref.incoming.messageId, route: ref.route, targetKey: ref.targetKey, outcome: { status: 'failed', reason, detail }, warnings: ctx.warnings?.get(ref.index) ?? [] });
    ctx.failures.push(this.failureRecord(ref, ctx, 'error', reason, detail, dv));
  }

  private failureRecord(ref: MessageRef, ctx: RunContext, severity: 'error' | 'warning', reason: string, detail: string, dv?: { status?: number; code?: string; kind?: string }): FailureRecord {
    return {
      severity,
      reason,
      detail,
      messageId: ref.incoming.messageId,
      route: ref.route,
      environment: ref.environment,
      table: ref.table,
      targetKey: ref.targetKey,
      sourceId: ref.sourceId,
      version: ref.version,
      status: dv?.status,
      code: dv?.code,
      kind: dv?.kind,
      attempt: ref.retries + 1,
      time: ctx.now.toISOString(),
      body: truncateBody(ref.body),
    };
  }
}

interface RunContext {
  now: Date;
  outcomes: MessageOutcome[];
  failures: FailureRecord[];
  ledgerWrites: LedgerWrite[];
  scheduled: ScheduledChange[];
  envs: Map<string, EnvironmentState>;
  applied: number;
  transient: Array<{ decision: Decision; result: Extract<ItemResult, { type: 'transient' }> }>;
  warnings?: Map<number, string[]>;
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

function toTargetWrite(d: Decision): TargetWrite {
  const w = d.op.write;
  return { kind: w.kind, entitySet: w.entitySet, table: w.table, key: w.key, body: d.body };
}
