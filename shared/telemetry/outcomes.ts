/**
 * Outcome records: one `dvsync.event <stage>.<outcome>` line per message or row decision, always with the same
 * dimensions (route, table, reason, correlationId, messageId, environment; empty string when unknown), so one
 * KQL query covers every producer and the worker. Failures, refusals and throttling log at warning level.
 * Names: webhook.routed|skipped|unrouted|rejected, ingest.accepted|skipped|rejected, inbound.accepted|skipped|invalid,
 * sync.enqueued|skipped (counters), circuit.opened|closed, worker.applied|skipped|failed|rescheduled, dataverse.throttled.
 */
import type { ResponseMeta } from '../dataverse/meta';
import type { Telemetry, TelemetryProperties } from './telemetry';

export const OUTCOME_DIMENSIONS = ['route', 'table', 'reason', 'correlationId', 'messageId', 'environment'] as const;

export type OutcomeDimensions = Partial<Record<(typeof OUTCOME_DIMENSIONS)[number], string>> & Record<string, string | number | boolean | undefined>;

/** One outcome line with every standard dimension present. */
export function emitOutcome(telemetry: Telemetry, name: string, dimensions: OutcomeDimensions, level: 'info' | 'warn' = 'info'): void {
  const props: TelemetryProperties = {};
  for (const d of OUTCOME_DIMENSIONS) props[d] = dimensions[d] ?? '';
  for (const [k, v] of Object.entries(dimensions)) if (!(k in props) && v !== undefined) props[k] = v;
  telemetry.event(name, props, level);
}

/** What the worker knows about a received message (functions/apply-changes.ts IncomingMessage fits). */
export interface WorkerMessageFacts {
  messageId: string;
  body: unknown;
  correlationId?: string;
}

/** One engine outcome (shared/engine/outcomes.ts MessageOutcome fits). */
export interface WorkerOutcomeFacts {
  index?: number;
  messageId: string;
  route?: string;
  targetKey?: string;
  outcome: {
    status: 'applied' | 'skipped' | 'failed' | 'rescheduled';
    reason?: string;
    detail?: string;
    path?: string;
    notBefore?: string;
    code?: string;
    httpStatus?: number;
  };
}

interface BodyFacts {
  route?: string;
  source?: { table?: string; environment?: string; correlationId?: string; changedAt?: string };
  receivedAt?: string;
}

/**
 * The worker's outcomes: one line each (`worker.<status>`), with `latencyMs` on applied changes (from the
 * Dataverse change time `source.changedAt`, else the producer's `receivedAt`), plus one counter per route and status.
 */
export function recordWorkerOutcomes(
  telemetry: Telemetry,
  messages: readonly WorkerMessageFacts[],
  outcomes: readonly WorkerOutcomeFacts[],
  now: Date = new Date(),
): void {
  const totals = new Map<string, number>();
  for (const o of outcomes) {
    const m = o.index !== undefined ? messages[o.index] : messages.find((x) => x.messageId === o.messageId);
    const body = (m && typeof m.body === 'object' && m.body !== null ? m.body : {}) as BodyFacts;
    const route = o.route ?? body.route;
    const dims: OutcomeDimensions = {
      route,
      table: body.source?.table,
      reason: o.outcome.reason,
      correlationId: m?.correlationId ?? body.source?.correlationId,
      messageId: o.messageId,
      environment: body.source?.environment,
      targetKey: o.targetKey,
    };
    if (o.outcome.status === 'applied') {
      dims.path = o.outcome.path;
      const since = Date.parse(body.source?.changedAt ?? body.receivedAt ?? '');
      if (!Number.isNaN(since)) dims.latencyMs = Math.max(0, now.getTime() - since);
    }
    if (o.outcome.status === 'rescheduled') {
      dims.notBefore = o.outcome.notBefore;
      if (o.outcome.detail) dims.detail = o.outcome.detail;
    }
    if (o.outcome.status === 'failed') {
      dims.detail = o.outcome.detail;
      // The Dataverse error code (0x…), when the engine reports it; else the first code quoted in the detail.
      dims.code = o.outcome.code ?? /0x[0-9a-fA-F]{8}/.exec(o.outcome.detail ?? '')?.[0];
      dims.httpStatus = o.outcome.httpStatus;
    }
    emitOutcome(telemetry, `worker.${o.outcome.status}`, dims, o.outcome.status === 'failed' ? 'warn' : 'info');
    const key = `${route ?? ''}\u0000${o.outcome.status}`;
    totals.set(key, (totals.get(key) ?? 0) + 1);
  }
  for (const [key, n] of totals) {
    const [route, status] = key.split('\u0000');
    telemetry.count(`worker.${status}`, { route }, n);
  }
}

/** The circuits a batch opened (warn: a route stopped, with its cause) and closed (a probe succeeded). */
export function recordCircuits(
  telemetry: Telemetry,
  circuits:
    | {
        opened: ReadonlyArray<{
          route: string;
          environment: string;
          table: string;
          cause: string;
          status?: number;
          code?: string;
          message: string;
          probeAt: string;
        }>;
        closed: readonly string[];
      }
    | undefined,
): void {
  for (const c of circuits?.opened ?? [])
    emitOutcome(
      telemetry,
      'circuit.opened',
      {
        route: c.route,
        table: c.table,
        environment: c.environment,
        reason: c.cause,
        httpStatus: c.status,
        code: c.code,
        detail: c.message,
        probeAt: c.probeAt,
      },
      'warn',
    );
  for (const route of circuits?.closed ?? []) emitOutcome(telemetry, 'circuit.closed', { route, reason: 'probe succeeded' });
}

/**
 * A DataverseClient `onResponse` observer that reports throttling: every 429 (a lane pause until Retry-After)
 * becomes `dataverse.throttled` with the environment, the application user and the pause. Chain it with the
 * lane's own observer.
 */
export function throttleTelemetry(telemetry: Telemetry, environment: string, user: string): (meta: ResponseMeta) => void {
  return (meta) => {
    if (meta.status !== 429) return;
    emitOutcome(telemetry, 'dataverse.throttled', { environment, user, reason: 'http429', retryAfterMs: meta.retryAfterMs, requestId: meta.requestId }, 'warn');
  };
}
