/**
 * The write engine's dependencies, built in one place for every door that runs the engine: the worker
 * (functions/apply-changes.ts) and `dvsync import`. The sinks and the source reader bind the engine to
 * Dataverse (shared/sinks) through the root's shared pools.
 */
import { WriteEngine, type EnginePorts } from '../engine/engine';
import type { ReschedulePort } from '../engine/ports';
import { buildSinks } from '../sinks';
import { DataverseSourceReader } from '../sinks/dataverse';
import type { SharedParts } from './parts';

export interface EngineDoor {
  rescheduler: ReschedulePort;
  /** The worker also re-reads source rows, reads offloaded messages and shares circuits in Table Storage; the import only writes. */
  worker: boolean;
}

export function engineDependencies(parts: SharedParts, door: EngineDoor): EnginePorts {
  const pools = parts.pools();
  const writes: EnginePorts = { sinks: buildSinks({ pools }), ledger: parts.recordLedger(), failures: parts.failures(), rescheduler: door.rescheduler };
  if (!door.worker) return writes;
  return { ...writes, sources: new DataverseSourceReader(pools), blobs: parts.blobReader(), circuits: parts.circuits() };
}

/**
 * The apply-changes worker's engine: every route, held changes rescheduled on the changes queue, and a
 * batch-wide outage rescheduled with backoff (the host would redeliver a thrown batch at once, without backoff,
 * and dead-letter it at maxDeliveryCount).
 */
export function workerEngineOf(parts: SharedParts): WriteEngine {
  const routes = parts.configuration().routes.routes.map((r) => r.route);
  return new WriteEngine({ routes, outage: 'reschedule' }, engineDependencies(parts, { rescheduler: parts.rescheduler(), worker: true }));
}

/**
 * When a batch received at `startedAt` must stop writing: a batch's message and session locks are not renewed
 * (Service Bus extension: no auto-renewal for batch functions), so the writes end at the lock's end less a
 * reserve for the ledger, the reschedules and the failures (a fifth of the lock, at least 15 s).
 */
export function workerDeadline(lockMs: number, startedAt: number): Date {
  return new Date(startedAt + lockMs - Math.max(15_000, lockMs / 5));
}
