/**
 * The demo's live view: webhook deliveries seen by the emulated source and target (if the emulator logs
 * them), the changes queue depth, Dataverse write counters and the failures table, polled together.
 * Every probe is best effort: a missing piece shows as "n/a" rather than stopping the demo.
 */
import type { ServiceBusClient } from '@azure/service-bus';
import type { FailureRecord, FailureStore } from '../shared/ledger/failures';
import { queueDepth } from './queue-depth';

export interface Snapshot {
  queue?: number;
  /** Delivery attempts answered 2xx / otherwise, since the demo started. */
  delivered?: { ok: number; failed: number };
  /** Target-side write operations and 429 answers since the demo started (emulator counters). */
  writes?: number;
  throttled?: number;
  /** Failures recorded since the demo started, newest first. */
  failures?: FailureRecord[];
}

export interface WatchSources {
  /** e.g. http://127.0.0.1:7072/_emulator/ */
  operatorUrl: string;
  serviceBus?: ServiceBusClient;
  queue: string;
  failures?: FailureStore;
  since: Date;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.json();
}

const sum = (o: unknown, test: (key: string) => boolean): number =>
  o && typeof o === 'object' ? Object.entries(o as Record<string, unknown>).reduce((n, [k, v]) => n + (test(k) && typeof v === 'number' ? v : 0), 0) : 0;

/** Write operations in emulator counters (`operations` keyed `<writePath>:<kind>`). */
export function writeOperations(counters: Record<string, unknown>): number {
  return sum(counters.operations, (k) => /:(create|update|upsert|upsertByKey|delete|associate)$/.test(k));
}

export function throttledResponses(counters: Record<string, unknown>): number {
  return sum(counters.responsesByStatus, (k) => k === '429');
}

export class Watcher {
  private baseline?: { writes: number; throttled: number };

  constructor(private readonly s: WatchSources) {}

  async snapshot(): Promise<Snapshot> {
    const [queue, counters, deliveries, failures] = await Promise.all([
      this.s.serviceBus ? queueDepth(this.s.serviceBus, this.s.queue).catch(() => undefined) : undefined,
      getJson(new URL('counters', this.s.operatorUrl).toString()).catch(() => undefined) as Promise<Record<string, unknown> | undefined>,
      this.deliveries(),
      this.s.failures
        ?.list()
        .then((all) => all.filter((f) => Date.parse(f.time) >= this.s.since.getTime()))
        .catch(() => undefined),
    ]);
    const snap: Snapshot = {};
    if (queue !== undefined) snap.queue = queue;
    if (counters) {
      const now = { writes: writeOperations(counters), throttled: throttledResponses(counters) };
      this.baseline ??= now;
      snap.writes = now.writes - this.baseline.writes;
      snap.throttled = now.throttled - this.baseline.throttled;
    }
    if (deliveries) snap.delivered = deliveries;
    if (failures) snap.failures = failures;
    return snap;
  }

  /** Counts attempts from the emulator's delivery log (`GET /_emulator/webhooks/deliveries`) since the start. */
  private async deliveries(): Promise<{ ok: number; failed: number } | undefined> {
    const body = (await getJson(new URL('webhooks/deliveries', this.s.operatorUrl).toString()).catch(() => undefined)) as
      { environments?: Array<{ attempts?: unknown[] }> } | undefined;
    if (!Array.isArray(body?.environments)) return undefined;
    const since = this.s.since.getTime();
    let ok = 0;
    let failed = 0;
    for (const env of body.environments) {
      for (const a of (env.attempts ?? []) as Array<{ status?: number; startedAt?: string }>) {
        if (a.startedAt && Date.parse(a.startedAt) < since) continue;
        if (a.status !== undefined && a.status >= 200 && a.status < 300) ok++;
        else failed++;
      }
    }
    return { ok, failed };
  }
}

export function formatSnapshot(elapsedMs: number, s: Snapshot): string {
  const na = (v: number | undefined) => (v === undefined ? 'n/a' : String(v));
  const parts = [
    `webhooks delivered ${s.delivered ? `${s.delivered.ok}${s.delivered.failed ? ` (+${s.delivered.failed} refused)` : ''}` : 'n/a'}`,
    `queue ${na(s.queue)}`,
    `Dataverse writes ${na(s.writes)}${s.throttled ? ` (${s.throttled}×429)` : ''}`,
    `failures ${na(s.failures?.length)}`,
  ];
  return `[${(elapsedMs / 1000).toFixed(1).padStart(5)} s] ${parts.join(' · ')}`;
}
