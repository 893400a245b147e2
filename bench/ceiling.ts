/**
 * The ceiling: the fastest rate the emulator's published limits and cost model allow for a workload
 * with a number of application users (README "Ceiling formula"). An ideal client sends every record
 * that must change through the cheapest path (bulk UpsertMultiple by alternate key, ≤ 1,000 per
 * request) and skips unchanged repeats; it is then held by the per-user sustained limits:
 *
 *   seconds = max( writes × bulkRecordMs × factor(upsertByKey) / (users × executionMs / window),
 *                  ceil(writes / 1000) / (users × requests / window) )
 *   ceiling = records / seconds           (model seconds, comparable with real Dataverse)
 */
import { defaultCostModel, type CostModel } from '../emulators/dataverse/cost';

export interface Limits {
  requests: number;
  executionMs: number;
  windowSeconds: number;
}

export const DEFAULT_LIMITS: Limits = { requests: 6000, executionMs: 1_200_000, windowSeconds: 300 };
const MAX_BULK = 1000;

export function ceilingRecordsPerSecond(
  records: number,
  writes: number,
  users: number,
  cost: CostModel = defaultCostModel,
  limits: Limits = DEFAULT_LIMITS,
): number {
  const execPerWrite = cost.bulkRecordMs * cost.factors.upsertByKey;
  const execSeconds = (writes * execPerWrite) / ((users * limits.executionMs) / limits.windowSeconds);
  const requestSeconds = Math.ceil(writes / MAX_BULK) / ((users * limits.requests) / limits.windowSeconds);
  return records / Math.max(execSeconds, requestSeconds);
}
