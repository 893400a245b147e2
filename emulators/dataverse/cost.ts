/**
 * The cost model (README "Cost model"): every request costs a latency that is not execution
 * time, plus execution time per operation that counts against the service-protection budget.
 * Derived from Microsoft's sample timings for 100 rows (microsoft/PowerApps-Samples `dataverse/orgsvc/CSharp-NETCore/BulkOperations/` READMEs). All figures are
 * model milliseconds; the server sleeps `ms × timeScale` of real time.
 */
import type { RequestContext, WritePath } from './types';

export type OperationKind = 'create' | 'update' | 'upsert' | 'upsertByKey' | 'delete' | 'read' | 'associate' | 'metadata';

export interface CostModel {
  /** Per HTTP request, not execution time: network and front end. Create loop 100 rows ≈ 10 s → 100 ms each = 60 latency + 40 execution. */
  latencyMs: number;
  /** Execution time of one create sent as its own request. */
  singleOpMs: number;
  /** Per operation inside $batch: ExecuteMultiple 100 rows ≈ 4 s → 40 ms (no per-operation gain, Learn: optimize-performance-create-update). */
  batchOpMs: number;
  /** Per record of a bulk message: CreateMultiple 100 rows ≈ 1 s → (1000 − 60) / 100 ≈ 9.4 ms. */
  bulkRecordMs: number;
  /** Multipliers by operation kind. Update loop 12 s vs create 10 s → update 60 ms = 1.5×; upsert by key ≈ 2.4× upsert by id (P4). */
  factors: Record<OperationKind, number>;
}

export const defaultCostModel: CostModel = {
  latencyMs: 60,
  singleOpMs: 40,
  batchOpMs: 40,
  bulkRecordMs: 9.4,
  factors: { create: 1, update: 1.5, upsert: 1.5, upsertByKey: 3.6, delete: 1, read: 0.25, associate: 1, metadata: 0.25 },
};

/** Execution ms of `count` operations of `kind` on a write path. */
export function operationCost(model: CostModel, path: WritePath, kind: OperationKind, count = 1): number {
  const base = path === 'bulk' ? model.bulkRecordMs : path === 'batch' ? model.batchOpMs : model.singleOpMs;
  return base * model.factors[kind] * count;
}

/** Charge operations to the request: adds execution time and counts them per write path (operator counters). */
export function charge(ctx: RequestContext, kind: OperationKind, count = 1): void {
  ctx.costMs += operationCost(ctx.costModel, ctx.writePath, kind, count);
  const k = `${ctx.writePath}:${kind}`;
  ctx.operations[k] = (ctx.operations[k] ?? 0) + count;
}
