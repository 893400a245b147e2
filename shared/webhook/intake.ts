/**
 * POST /api/dataverse/webhook, the core: Dataverse RemoteExecutionContext → routes → changes queue.
 * Answers (Dataverse looks only at the status and retries only 502/503/504, once):
 *   202 accepted (routed to zero or more routes; skipped routes come with their reasons)
 *   400 not UTF-8 / malformed JSON (line, column) / not a RemoteExecutionContext (path)
 *   401 header auth failed   403 organization not configured   413 too large   415 not JSON
 *   503 + Retry-After: the queue (or blob storage) could not take the messages; nothing is half-accepted,
 *       a retry re-sends everything and duplicate detection drops what already arrived.
 */
import type { Telemetry } from '../telemetry/telemetry';
import { emitOutcome } from '../telemetry/outcomes';
import { matchRoute } from '../routes/match';
import { webhookChange } from '../queue/build';
import { MessageTooLargeError, offloadLargeMessages, StorageUnavailableError } from '../queue/large-messages';
import { QueueUnavailableError, type OutgoingChange } from '../queue/outgoing';
import { IntakeRejection } from './errors';
import { readCheckedBody, rejectionResponse, type IntakeHttpRequest, type IntakeHttpResponse } from './http';
import { normalise, type ChangeEvent } from './normalise';
import { parseRemoteContext } from './parse';
import type { RemoteContext } from './remote-context';
import type { IntakeRuntime } from './runtime';
import { buildTriggerOutputs } from './trigger-body';
import type { DataverseTriggerOutputs } from '../conditions';

export const SIZE_EXCEEDED_HEADER = 'x-ms-dynamics-msg-size-exceeded';
export const ORGANIZATION_HEADER = 'x-ms-dynamics-organization';

export interface WebhookAccepted {
  received: true;
  table: string;
  message: string;
  rowId: string;
  routed: Array<{ route: string; messageId: string }>;
  skipped: Array<{ route: string; reason: string }>;
}

export async function handleWebhook(rt: IntakeRuntime, req: IntakeHttpRequest, telemetry: Telemetry): Promise<IntakeHttpResponse> {
  try {
    const bytes = await readCheckedBody(req, rt.auth, rt.settings.intake.maxBodyBytes);
    const context = parseRemoteContext(bytes);
    const environment = resolveEnvironment(rt, context, req.header(ORGANIZATION_HEADER));
    const event = normalise(context, { sizeExceeded: req.header(SIZE_EXCEEDED_HEADER) !== null });
    const accepted = await routeAndEnqueue(rt, event, environment, triggerHeaders(req, rt.auth.headerName), telemetry);
    return { status: 202, headers: { 'content-type': 'application/json; charset=utf-8' }, jsonBody: accepted };
  } catch (e) {
    const rejection = toRejection(e, rt.settings.intake.retryAfterSeconds, telemetry);
    emitOutcome(telemetry, 'webhook.rejected', { reason: rejection.code, status: rejection.status, detail: rejection.message }, 'warn');
    if (rejection.status === 503) telemetry.trace('error', 'webhook answered 503', { reason: rejection.message });
    return rejectionResponse(rejection);
  }
}

/** Maps the event's organization to a configured environment, or refuses it (403: Dataverse does not retry 4xx). */
export function resolveEnvironment(rt: IntakeRuntime, context: RemoteContext, organizationHost: string | null): string {
  const byId = rt.organizations.get(context.OrganizationId.toLowerCase());
  const host = organizationHost?.trim().toLowerCase();
  const byHost = host ? rt.hosts.get(host) : undefined;
  if (byId) {
    // Compared with the environment's own URL (host name, or host:port): emulated environments share one host.
    const own = new URL(rt.settings.environments[byId].url);
    if (host && byHost !== byId && host !== own.host.toLowerCase() && host !== own.hostname.toLowerCase())
      throw refuse(context, `x-ms-dynamics-organization "${host}" does not match environment "${byId}"`);
    return byId;
  }
  // An environment without a configured organizationId is recognised by its host name alone.
  if (byHost && !rt.settings.environments[byHost].organizationId) return byHost;
  throw refuse(context, `organization ${context.OrganizationId}${host ? ` (${host})` : ''} is not a configured environment`);
}

function refuse(context: RemoteContext, why: string): IntakeRejection {
  return new IntakeRejection(
    403,
    'unknown_organization',
    `Events from this organization are not accepted: ${why}. Add it to DVSYNC_ENVIRONMENTS (organizationId) to accept them.`,
    [{ path: 'OrganizationId', message: context.OrganizationId }],
  );
}

async function routeAndEnqueue(
  rt: IntakeRuntime,
  event: ChangeEvent,
  environment: string,
  headers: Record<string, string>,
  telemetry: Telemetry,
): Promise<WebhookAccepted> {
  let outputs: DataverseTriggerOutputs | undefined;
  const input = { event, environment, writeTag: rt.settings.intake.writeTag, triggerOutputs: () => (outputs ??= buildTriggerOutputs(event, headers)) };
  const receivedAt = rt.now();
  const changes: OutgoingChange[] = [];
  const skipped: WebhookAccepted['skipped'] = [];
  const common = { table: event.table, correlationId: event.correlationId, message: event.message, environment };
  for (const loaded of rt.routes.routes) {
    const decision = matchRoute(loaded, input);
    if (decision.matched) {
      changes.push(webhookChange(event, loaded.route, environment, { sessionBuckets: rt.settings.intake.sessionBuckets, receivedAt }));
    } else if (loaded.route.source.environment === environment && loaded.route.source.table === event.table) {
      // Only routes that listen to this table explain themselves; the rest are noise.
      skipped.push({ route: loaded.route.name, reason: decision.reason });
      emitOutcome(telemetry, 'webhook.skipped', { ...common, route: loaded.route.name, reason: decision.reason });
    }
  }
  for (const s of event.skippedColumns) telemetry.trace('warn', 'webhook value not carried', { ...common, reason: `${s.path}: ${s.message}` });
  if (changes.length) {
    const ready = await offloadLargeMessages(changes, rt.settings.storage.largeMessageThresholdBytes, rt.largeMessages);
    await rt.publisher.publish(ready);
    for (const c of ready)
      emitOutcome(telemetry, 'webhook.routed', {
        ...common,
        route: c.body.route,
        messageId: c.messageId,
        reread: c.body.reread === true,
        blob: c.body.blobRef !== undefined,
      });
  }
  if (changes.length === 0) emitOutcome(telemetry, 'webhook.unrouted', { ...common, reason: skipped.length ? 'no route matched' : 'no route for this table' });
  return {
    received: true,
    table: event.table,
    message: event.message,
    rowId: event.rowId,
    routed: changes.map((c) => ({ route: c.body.route, messageId: c.messageId })),
    skipped,
  };
}

function triggerHeaders(req: IntakeHttpRequest, secretHeader: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of req.headers()) {
    const name = k.toLowerCase();
    if (name === secretHeader || name === 'authorization' || name === 'x-functions-key' || name === 'cookie') continue;
    out[name] = v;
  }
  return out;
}

/**
 * Errors → answers. An unexpected error is a 503 too (logged with its stack): nothing was accepted,
 * and a 500 would make Dataverse give up without its one retry.
 */
export function toRejection(e: unknown, retryAfterSeconds: number, telemetry?: Telemetry): IntakeRejection {
  if (e instanceof IntakeRejection) return e;
  if (e instanceof QueueUnavailableError)
    return new IntakeRejection(503, 'queue_unavailable', 'The changes queue is unavailable; retry later.', [], e.retryAfterSeconds);
  if (e instanceof StorageUnavailableError)
    return new IntakeRejection(503, 'storage_unavailable', 'Blob storage for large messages is unavailable; retry later.', [], retryAfterSeconds);
  if (e instanceof MessageTooLargeError) return new IntakeRejection(413, 'payload_too_large', e.message);
  telemetry?.trace('error', 'unexpected intake error', { reason: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  return new IntakeRejection(503, 'internal_error', 'The request could not be processed; retry later.', [], retryAfterSeconds);
}
