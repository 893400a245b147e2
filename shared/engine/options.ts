/** Engine options, validated once; every default lives here. */
import type { Route } from '../routes/schema';
import { EngineConfigError } from './errors';

export interface TableCapabilities {
  /** The table accepts CreateMultiple/UpdateMultiple/UpsertMultiple (false: never try; true: try, fall back if refused). */
  bulk: boolean;
  /** Elastic table: bulk batches start at 100 instead of 1,000. */
  elastic: boolean;
  /** `$batch` change sets may be used. */
  changeSet: boolean;
}

export interface RetryPolicy {
  /** Reschedules for a record (missing parent, repeated transient failure) before it is recorded as failed. */
  maxAttempts: number;
  /** Age (since the producer accepted the change) after which it is no longer retried. */
  maxAgeMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface EngineOptions {
  routes: readonly Route[];
  /** Entity sets of lookup target tables no route writes to: environment → table → entity set. */
  entitySets?: Record<string, Record<string, string>>;
  /** Per table (`<env>/<table>` or `<table>`) write capabilities; unknown tables default to all paths on. */
  capabilities?: Record<string, Partial<TableCapabilities>>;
  batchSize?: Partial<{ bulk: number; elasticBulk: number; changeSet: number; min: number }>;
  retry?: Partial<RetryPolicy>;
  /** In-call retries of a transient failure (with backoff) before the records are rescheduled. */
  transientRetries?: number;
  transientDelayMs?: number;
  /** Requests slower than this shrink the batch size (execution-time pressure). */
  slowRequestMs?: number;
  /** Parallel requests for the single-request path. */
  singleConcurrency?: number;
  /** Bulk / change-set chunks of one group in flight; default: the Dataverse port's parallelism (every user's lane limit), else 4. */
  chunksInFlight?: number;
  /** Circuits (shared/ledger/circuits.ts): the first probe after this long, then doubling up to maxProbeMs. */
  circuit?: Partial<CircuitPolicy>;
  /**
   * A batch-wide transient failure (ledger or Dataverse outage): `throw` (the caller redelivers; the default) or
   * `reschedule` every message of the batch with backoff (the worker: a thrown batch is redelivered at once by the
   * host, so an outage of a few minutes would use up maxDeliveryCount and dead-letter the batch).
   */
  outage?: 'throw' | 'reschedule';
  /** Backoff of rescheduled outage batches: firstMs, doubling per attempt up to maxMs. */
  outageBackoff?: Partial<OutageBackoff>;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

export interface OutageBackoff {
  firstMs: number;
  maxMs: number;
}

export interface CircuitPolicy {
  firstProbeMs: number;
  maxProbeMs: number;
}

export interface ResolvedOptions {
  routes: readonly Route[];
  entitySets: Record<string, Record<string, string>>;
  capabilities: Record<string, Partial<TableCapabilities>>;
  batchSize: { bulk: number; elasticBulk: number; changeSet: number; min: number };
  retry: RetryPolicy;
  transientRetries: number;
  transientDelayMs: number;
  slowRequestMs: number;
  singleConcurrency: number;
  /** Undefined: follow the Dataverse port's parallelism. */
  chunksInFlight?: number;
  circuit: CircuitPolicy;
  outage: 'throw' | 'reschedule';
  outageBackoff: OutageBackoff;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
}

/** Microsoft's starting points: 1,000 per bulk request (standard), 100 (elastic), 1,000 max per $batch change set. */
export const DEFAULTS = {
  batchSize: { bulk: 1000, elasticBulk: 100, changeSet: 100, min: 1 },
  retry: { maxAttempts: 8, maxAgeMs: 24 * 3600_000, baseDelayMs: 30_000, maxDelayMs: 15 * 60_000 },
  transientRetries: 2,
  transientDelayMs: 1000,
  slowRequestMs: 60_000,
  singleConcurrency: 8,
  /** Chunks in flight when the sink cannot tell its parallelism: Microsoft's usual x-ms-dop-hint for one user. */
  chunksInFlight: 4,
  /** A stopped route is probed after 30 s, then 1, 2, 4… min, at most every 15 min. */
  circuit: { firstProbeMs: 30_000, maxProbeMs: 15 * 60_000 },
  /** An outage batch comes back after 5 s, 10 s, 20 s… at most every 5 min, until the message's time to live. */
  outageBackoff: { firstMs: 5_000, maxMs: 5 * 60_000 },
} as const;

export function resolveOptions(o: EngineOptions): ResolvedOptions {
  const batchSize = { ...DEFAULTS.batchSize, ...o.batchSize };
  for (const [name, v] of Object.entries(batchSize)) positiveInt(`batchSize.${name}`, v);
  if (batchSize.bulk > 1000 || batchSize.changeSet > 1000)
    throw new EngineConfigError(
      `batchSize: at most 1000 per bulk request or change set (Dataverse limit); got bulk ${batchSize.bulk}, changeSet ${batchSize.changeSet}.`,
    );
  const retry = { ...DEFAULTS.retry, ...o.retry };
  for (const [name, v] of Object.entries(retry)) nonNegative(`retry.${name}`, v);
  const circuit = { ...DEFAULTS.circuit, ...o.circuit };
  for (const [name, v] of Object.entries(circuit)) positiveInt(`circuit.${name}`, v);
  const outageBackoff = { ...DEFAULTS.outageBackoff, ...o.outageBackoff };
  for (const [name, v] of Object.entries(outageBackoff)) positiveInt(`outageBackoff.${name}`, v);
  const outage = o.outage ?? 'throw';
  if (outage !== 'throw' && outage !== 'reschedule') throw new EngineConfigError(`outage must be "throw" or "reschedule"; got ${JSON.stringify(outage)}.`);
  const r: ResolvedOptions = {
    circuit,
    outage,
    outageBackoff,
    routes: o.routes,
    entitySets: o.entitySets ?? {},
    capabilities: o.capabilities ?? {},
    batchSize,
    retry,
    transientRetries: nonNegative('transientRetries', o.transientRetries ?? DEFAULTS.transientRetries),
    transientDelayMs: nonNegative('transientDelayMs', o.transientDelayMs ?? DEFAULTS.transientDelayMs),
    slowRequestMs: positiveInt('slowRequestMs', o.slowRequestMs ?? DEFAULTS.slowRequestMs),
    singleConcurrency: positiveInt('singleConcurrency', o.singleConcurrency ?? DEFAULTS.singleConcurrency),
    chunksInFlight: o.chunksInFlight === undefined ? undefined : positiveInt('chunksInFlight', o.chunksInFlight),
    now: o.now ?? (() => new Date()),
    sleep: o.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
  return r;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new EngineConfigError(`Engine option ${name} must be a positive integer; got ${v}.`);
  return v;
}

function nonNegative(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new EngineConfigError(`Engine option ${name} must be a number ≥ 0; got ${v}.`);
  return v;
}
