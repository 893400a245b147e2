/**
 * Applies one chunk of import messages through the write engine in-process, to completion: changes
 * the engine holds back (missing parent, throttled past its budget) are kept in memory and re-applied
 * after their notBefore, so when applyChunk returns every message of the chunk is final (applied,
 * skipped or failed) and the checkpoint may move past it.
 */
import type { ReschedulePort, ScheduledChange } from '../engine/ports';
import type { BatchResult } from '../engine/outcomes';
import type { IncomingMessage } from '../engine/plan';

export interface ChangeApplier {
  applyChanges(messages: readonly IncomingMessage[]): Promise<BatchResult>;
}

/** The engine's ReschedulePort for an in-process caller: held changes wait here instead of on a queue. */
export class InMemoryRescheduler implements ReschedulePort {
  private readonly held = new Map<string, ScheduledChange>();

  async schedule(changes: readonly ScheduledChange[]): Promise<void> {
    for (const c of changes) this.held.set(c.messageId, c);
  }

  take(messageId: string): ScheduledChange | undefined {
    const c = this.held.get(messageId);
    this.held.delete(messageId);
    return c;
  }
}

/** The engine stopped the route (a systemic error, shared/ledger/circuits.ts): the import stops, resumable once it is fixed. */
export class RouteStoppedError extends Error {
  override name = 'RouteStoppedError';
  readonly retryable = false;
}

export interface ChunkTally {
  applied: number;
  /** No column changed since the ledger's last applied write. */
  skippedUnchanged: number;
  /** The ledger already holds this version or a newer one (e.g. applied by a run that was killed). */
  alreadyApplied: number;
  /** A later line of the same chunk has the same target key. */
  superseded: number;
  failed: number;
  failures: Array<{ messageId: string; reason: string; detail: string }>;
}

export const emptyTally = (): ChunkTally => ({ applied: 0, skippedUnchanged: 0, alreadyApplied: 0, superseded: 0, failed: 0, failures: [] });

export interface ApplyChunkOptions {
  retries: number;
  retryDelayMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function applyChunk(
  engine: ChangeApplier,
  held: InMemoryRescheduler,
  messages: readonly IncomingMessage[],
  options: ApplyChunkOptions,
): Promise<ChunkTally> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const tally = emptyTally();
  let pending = [...messages];
  while (pending.length > 0) {
    const result = await withRetries(() => engine.applyChanges(pending), options, sleep);
    const next: IncomingMessage[] = [];
    let notBefore = 0;
    for (const o of result.outcomes) {
      const out = o.outcome;
      if (out.status === 'applied') tally.applied++;
      else if (out.status === 'failed') {
        tally.failed++;
        tally.failures.push({ messageId: o.messageId, reason: out.reason, detail: out.detail });
      } else if (out.status === 'skipped') {
        if (out.reason === 'identical') tally.skippedUnchanged++;
        else if (out.reason === 'stale') tally.alreadyApplied++;
        else tally.superseded++;
      } else if (out.reason === 'CircuitOpen') {
        // A route-wide fault (privilege, credential, key, column): waiting in memory for a probe would hang the import.
        throw new RouteStoppedError(out.detail ?? `route ${o.route ?? ''} is stopped`);
      } else {
        const change = held.take(out.messageId);
        if (!change)
          throw new Error(
            `The engine rescheduled message ${o.messageId} as ${out.messageId} but handed no change to the rescheduler; cannot finish the chunk.`,
          );
        next.push({
          body: change.body,
          messageId: change.messageId,
          sessionId: change.sessionId,
          correlationId: change.correlationId,
          applicationProperties: change.applicationProperties,
        });
        notBefore = Math.max(notBefore, change.scheduledEnqueueTimeUtc.getTime());
      }
    }
    if (next.length > 0 && notBefore > now()) await sleep(notBefore - now());
    pending = next;
  }
  return tally;
}

async function withRetries<T>(fn: () => Promise<T>, options: ApplyChunkOptions, sleep: (ms: number) => Promise<void>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const retryable = (err as { retryable?: unknown }).retryable === true;
      if (!retryable || attempt >= options.retries) throw err;
      await sleep(options.retryDelayMs * 2 ** attempt);
    }
  }
}
