/**
 * Service Bus batch worker for `dvsync-changes` (sessions on). Translation only: trigger metadata →
 * IncomingMessage[], then the write engine. Throwing abandons the whole batch (redelivered), so only
 * batch-wide transient failures throw; per-record failures are in the failures table.
 */
import type { InvocationContext } from '@azure/functions';
import { serviceBusQueueFunction } from './definition';
import type { IncomingMessage } from '../shared/engine/plan';
import { queueNamesFrom } from '../shared/config/settings';
import { appRoot, workerDeadline } from '../shared/app';
import { contextTelemetry } from '../shared/telemetry/telemetry';
import { recordCircuits, recordWorkerOutcomes } from '../shared/telemetry/outcomes';
import { runWithTelemetry } from '../shared/telemetry/scope';

const QUEUE = queueNamesFrom(process.env).changes;

/** The library camel-cases metadata keys and JSON-parses string values, so ids may arrive as numbers. */
export function toIncomingMessages(bodies: unknown[], meta: Record<string, unknown> | undefined): IncomingMessage[] {
  const arr = (name: string): unknown[] => (Array.isArray(meta?.[name]) ? (meta?.[name] as unknown[]) : []);
  const ids = arr('messageIdArray');
  const sessions = arr('sessionIdArray');
  const correlations = arr('correlationIdArray');
  const deliveries = arr('deliveryCountArray');
  const enqueued = arr('enqueuedTimeUtcArray');
  const props = arr('applicationPropertiesArray');
  return bodies.map((body, i) => ({
    body,
    messageId: ids[i] === undefined || ids[i] === null ? `(no message id #${i})` : String(ids[i]),
    sessionId: sessions[i] === undefined || sessions[i] === null ? undefined : String(sessions[i]),
    correlationId: correlations[i] === undefined || correlations[i] === null ? undefined : String(correlations[i]),
    deliveryCount: typeof deliveries[i] === 'number' ? (deliveries[i] as number) : undefined,
    enqueuedTimeUtc: enqueued[i] === undefined ? undefined : String(enqueued[i]),
    applicationProperties: typeof props[i] === 'object' && props[i] !== null ? (props[i] as Record<string, unknown>) : undefined,
  }));
}

export async function applyChangesHandler(messages: unknown, context: InvocationContext): Promise<void> {
  const startedAt = Date.now();
  const bodies = Array.isArray(messages) ? messages : [messages];
  const root = appRoot();
  const engine = root.workerEngine();
  const deadline = workerDeadline(root.settings.serviceBus.changesLockMs, startedAt);
  const incoming = toIncomingMessages(bodies, context.triggerMetadata as Record<string, unknown> | undefined);
  const telemetry = contextTelemetry(context);
  // Throttle events (dataverse.throttled) raised while this batch's requests run are logged on this invocation.
  const result = await runWithTelemetry(telemetry, () => engine.applyChanges(incoming, { deadline }));
  // One structured outcome line per message (route, reason, latency) for Application Insights; see shared/telemetry/README.md.
  recordWorkerOutcomes(telemetry, incoming, result.outcomes);
  recordCircuits(telemetry, result.circuits);
  context.log(
    `apply-changes: ${bodies.length} messages → applied ${result.counts.applied}, skipped ${result.counts.skipped}, failed ${result.counts.failed}, rescheduled ${result.counts.rescheduled}`,
  );
}

export const applyChanges = serviceBusQueueFunction('apply-changes', {
  connection: 'ServiceBusConnection',
  queueName: QUEUE,
  isSessionsEnabled: true,
  cardinality: 'many',
  handler: applyChangesHandler,
});
