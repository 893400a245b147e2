/**
 * Emulator-overhead check: a bulk-upsert load (UpsertMultiple by alternate key, 1,000 per request,
 * as many in flight as x-ms-dop-hint allows, one user) at time scale 0.05. Its measured rate, in
 * model time, must be within 10 % of what the cost model predicts; a larger gap means the emulator's
 * own CPU time (not scaled) distorts the benchmark at that scale.
 */
import { defaultCostModel } from '../emulators/dataverse/cost';
import { mapBounded } from '../shared/util/bounded';
import { benchClient } from './strategies/baselines';
import type { EmulatorProcess } from './emulator';
import type { Workload } from './workload';

export interface OverheadResult {
  timeScale: number;
  requests: number;
  recordsPerRequest: number;
  inFlight: number;
  measuredRecordsPerSecond: number;
  predictedRecordsPerSecond: number;
  ratio: number;
  withinTenPercent: boolean;
}

export async function overheadCheck(
  emulator: EmulatorProcess,
  w: Workload,
  timeScale = 0.05,
  requests = 16,
  recordsPerRequest = 1000,
  inFlight = 4,
): Promise<OverheadResult> {
  await emulator.resetAndSeed({ ...w, seed: { account: [], contact: [] } }, timeScale);
  const client = benchClient(emulator.apiUrl(), 'bench-overhead');
  const table = { entitySet: 'accounts', logicalName: 'account' };
  const t0 = performance.now();
  await mapBounded(
    Array.from({ length: requests }, (_, i) => i),
    inFlight,
    (i) =>
      client.upsertMultiple(
        table,
        Array.from({ length: recordsPerRequest }, (_, j) => ({
          key: { accountnumber: `OV-${i}-${j}` },
          body: { name: `Overhead ${i}-${j}`, numberofemployees: j },
        })),
      ),
  );
  const modelSeconds = (performance.now() - t0) / 1000 / timeScale;
  const c = defaultCostModel;
  // Each request holds a slot for latency + execution (model ms); inFlight requests run side by side.
  const perRequestMs = c.latencyMs + recordsPerRequest * c.bulkRecordMs * c.factors.upsertByKey;
  const predicted = (inFlight * recordsPerRequest * 1000) / perRequestMs;
  const measured = (requests * recordsPerRequest) / modelSeconds;
  return {
    timeScale,
    requests,
    recordsPerRequest,
    inFlight,
    measuredRecordsPerSecond: measured,
    predictedRecordsPerSecond: predicted,
    ratio: measured / predicted,
    withinTenPercent: Math.abs(measured / predicted - 1) <= 0.1,
  };
}
