/**
 * The outcome book of one batch: every message's outcome, the failure records, the ledger writes and the
 * changes to re-enqueue, kept as the engine decides them and written by the engine at the end (ledger
 * first, then reschedules, then failures). Merged messages share the fate of the write they merged into.
 */
import type { FailureRecord } from '../ledger/failures';
import { truncateBody } from '../ledger/failures';
import type { LedgerWrite } from '../ledger/types';
import type { MessageOutcome, Outcome } from './outcomes';
import type { ResolvedOptions } from './options';
import type { Decision, IncomingMessage, PlannedOp } from './plan';
import type { ScheduledChange } from './ports';
import { nextMessageId, RETRIES_PROPERTY, retryDelayMs } from './reschedule';
import type { WritePath } from './sink';

/** What the failure/reschedule helpers need to know about one message, planned or not. */
export interface MessageRef {
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

export function refOf(op: PlannedOp): MessageRef {
  const ref: MessageRef = {
    index: op.index,
    incoming: op.incoming,
    body: op.body,
    route: op.route.name,
    targetKey: op.write.keyText,
    environment: op.write.environment,
    table: op.write.table,
    sourceId: op.change.source.id,
    version: op.change.version,
    receivedAt: op.change.receivedAt,
    retries: op.retries,
  };
  if (op.merged.length > 0) ref.merged = op.merged.map(refOf);
  return ref;
}

/** The outcomes of the messages merged into `op`: the same as its own, saying into which message. */
export function mergedOutcomes(op: PlannedOp, own: MessageOutcome): MessageOutcome[] {
  const note = `merged into message ${op.incoming.messageId} (same target row, same batch)`;
  return op.merged.map((m) => {
    const outcome: Outcome =
      own.outcome.status === 'applied'
        ? { ...own.outcome, detail: own.outcome.detail ? `${own.outcome.detail}; ${note}` : note }
        : own.outcome.status === 'skipped'
          ? { ...own.outcome, detail: `${own.outcome.detail}; ${note}` }
          : own.outcome;
    return { ...own, index: m.index, messageId: m.incoming.messageId, route: m.route.name, outcome };
  });
}

export class OutcomeBook {
  readonly outcomes: MessageOutcome[] = [];
  readonly failures: FailureRecord[] = [];
  readonly ledgerWrites: LedgerWrite[] = [];
  readonly scheduled: ScheduledChange[] = [];
  /** Warnings per message index (a dropped lookup), attached to the message's outcome. */
  warnings?: Map<number, string[]>;
  appliedCount = 0;

  constructor(
    readonly now: Date,
    private readonly retry: ResolvedOptions['retry'],
  ) {}

  /** A decision that needs no write (stale, identical, unchanged…), with what the ledger learns from it. */
  skipped(op: PlannedOp, outcome: MessageOutcome, ledger?: Omit<LedgerWrite, 'environment' | 'table' | 'key'>): void {
    this.outcomes.push(outcome, ...mergedOutcomes(op, outcome));
    if (ledger) this.ledgerWrites.push({ ...op.ledgerKey, ...ledger });
  }

  warn(index: number, warning: string): void {
    this.warnings ??= new Map();
    this.warnings.set(index, [...(this.warnings.get(index) ?? []), warning]);
  }

  applied(d: Decision, info: { path?: WritePath; detail?: string }): void {
    const op = d.op;
    this.appliedCount++;
    const own: MessageOutcome = {
      index: op.index,
      messageId: op.incoming.messageId,
      route: op.route.name,
      targetKey: op.write.keyText,
      outcome: { status: 'applied', ...info },
      warnings: this.warnings?.get(op.index) ?? [],
    };
    this.outcomes.push(own, ...mergedOutcomes(op, own));
    this.ledgerWrites.push({ ...op.ledgerKey, ...d.next });
  }

  /** A record-level retry (counted, bounded by retry.maxAttempts / maxAgeMs); at `notBefore` or after the backoff. */
  retryLater(ref: MessageRef, reason: string, detail: string, dv?: { status?: number; code?: string }, notBefore?: Date): void {
    const age = this.now.getTime() - Date.parse(ref.receivedAt);
    const policy = this.retry;
    if (ref.retries + 1 >= policy.maxAttempts || (Number.isFinite(age) && age > policy.maxAgeMs)) {
      return this.fail(
        ref,
        reason,
        `${detail}; gave up after ${ref.retries + 1} attempts (${Math.round(age / 1000)} s since the change was accepted; limits: ${policy.maxAttempts} attempts, ${policy.maxAgeMs / 1000} s).`,
        dv,
      );
    }
    this.reschedule(ref, notBefore ?? new Date(this.now.getTime() + retryDelayMs(policy, ref.retries)), reason, ref.retries + 1);
  }

  reschedule(ref: MessageRef, notBefore: Date, reason: string, retries: number, detail?: string): void {
    for (const m of ref.merged ?? []) this.reschedule(m, notBefore, reason, retries, detail);
    const messageId = nextMessageId(ref.incoming.messageId);
    this.scheduled.push({
      body: ref.body,
      sessionId: ref.incoming.sessionId,
      correlationId: ref.incoming.correlationId,
      messageId,
      scheduledEnqueueTimeUtc: notBefore,
      applicationProperties: { ...ref.incoming.applicationProperties, [RETRIES_PROPERTY]: retries },
    });
    this.outcomes.push({
      index: ref.index,
      messageId: ref.incoming.messageId,
      route: ref.route,
      targetKey: ref.targetKey,
      outcome: { status: 'rescheduled', reason, notBefore: notBefore.toISOString(), messageId, ...(detail ? { detail } : {}) },
      warnings: this.warnings?.get(ref.index) ?? [],
    });
  }

  fail(ref: MessageRef, reason: string, detail: string, dv?: { status?: number; code?: string; kind?: string }): void {
    for (const m of ref.merged ?? []) this.fail(m, reason, `${detail} (merged into message ${ref.incoming.messageId}: same target row, same batch)`, dv);
    this.outcomes.push({
      index: ref.index,
      messageId: ref.incoming.messageId,
      route: ref.route,
      targetKey: ref.targetKey,
      outcome: { status: 'failed', reason, detail },
      warnings: this.warnings?.get(ref.index) ?? [],
    });
    this.failures.push(this.failureRecord(ref, 'error', reason, detail, dv));
  }

  failureRecord(
    ref: MessageRef,
    severity: 'error' | 'warning',
    reason: string,
    detail: string,
    dv?: { status?: number; code?: string; kind?: string },
  ): FailureRecord {
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
      time: this.now.toISOString(),
      body: truncateBody(ref.body),
    };
  }
}
