/**
 * Our write engine in-process, as a worker fleet would run it: the stream cut into calls of one group
 * (its accounts and contacts, parents written first), several calls in flight so every throttle-lane
 * slot stays busy, one lane per application user, the record ledger on Table Storage (Azurite).
 */
import { createEnvironmentPool } from '../../shared/throttle/environment';
import { DataverseSink } from '../../shared/sinks/dataverse';
import { WriteEngine } from '../../shared/engine/engine';
import type { IncomingMessage } from '../../shared/engine/plan';
import { ShardedLedger } from '../sharded-ledger';
import { FailureStore } from '../../shared/ledger/failures';
import { applyChunk, InMemoryRescheduler, type ChunkTally } from '../../shared/import/apply';
import { runKeyOrdered } from './ordered';
import { BENCH_ROUTES, toChangeMessage, type BenchRecord } from '../workload';

export interface EngineRunOptions {
  apiUrl: string;
  storage: string;
  users: number;
  /** Messages per applyChanges call (one Service Bus batch). */
  messagesPerCall: number;
  /** applyChanges calls in flight (function instances × concurrency). */
  callsInFlight: number;
  /** Unique per run so each strategy starts with an empty ledger. */
  ledgerTable: string;
}

export async function runEngine(records: readonly BenchRecord[], o: EngineRunOptions): Promise<ChunkTally> {
  const credentials = Array.from({ length: o.users }, (_, i) => ({ type: 'staticToken' as const, token: `bench-engine-user-${i + 1}` }));
  const pool = createEnvironmentPool('target', { url: o.apiUrl.replace(/\/target\/api\/data\/v9\.2\/$/, ''), apiBaseUrl: o.apiUrl, credentials });
  const held = new InMemoryRescheduler();
  const engine = new WriteEngine(
    { routes: BENCH_ROUTES, retry: { baseDelayMs: 2000, maxDelayMs: 60_000, maxAttempts: 8 } },
    {
      sinks: { dataverse: new DataverseSink(() => pool) },
      ledger: new ShardedLedger(o.storage, o.ledgerTable, 16),
      failures: new FailureStore({ connectionString: o.storage, table: `${o.ledgerTable}f` }),
      rescheduler: held,
    },
  );
  const base = Date.now();
  const calls: Array<{ records: readonly BenchRecord[]; messages: IncomingMessage[] }> = [];
  for (let i = 0; i < records.length; i += o.messagesPerCall) {
    const slice = records.slice(i, i + o.messagesPerCall);
    calls.push({ records: slice, messages: slice.map((r) => ({ body: JSON.stringify(toChangeMessage(r, base)), messageId: `bench:${r.seq}` })) });
  }
  // Rows a call writes and the parents it binds to: a later call touching one waits for it (session order).
  const keysOf = (call: { records: readonly BenchRecord[] }) => call.records.map((r) => (r.kind === 'account' ? `a/${r.number}` : `a/${r.account}`));
  const tallies = await runKeyOrdered(calls, keysOf, o.callsInFlight, (call) => applyChunk(engine, held, call.messages, { retries: 5, retryDelayMs: 1000 }));
  const total: ChunkTally = { applied: 0, skippedUnchanged: 0, alreadyApplied: 0, superseded: 0, failed: 0, failures: [] };
  for (const t of tallies) {
    total.applied += t.applied;
    total.skippedUnchanged += t.skippedUnchanged;
    total.alreadyApplied += t.alreadyApplied;
    total.superseded += t.superseded;
    total.failed += t.failed;
    total.failures.push(...t.failures.slice(0, 3));
  }
  return total;
}
