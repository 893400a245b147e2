/**
 * The dvsync-inbound queue (`{route, record | records}` → ChangeMessages), the core behind functions/inbound.ts.
 *
 * A message that can never succeed (not JSON, not that shape, unknown route, invalid records, too large
 * without blob storage) is recorded in the `failures` table, with the specific reason and the message as
 * received, and then completed. Why not dead-letter it: the Functions binding can dead-letter explicitly only
 * through the pre-GA SDK binding (Azure/azure-functions-nodejs-extensions); throwing instead makes the host abandon it until
 * maxDeliveryCount, which costs 10 deliveries and leaves only the generic `MaxDeliveryCountExceeded` in the
 * dead-letter queue. The failures table is where operators already look (`dvsync failures list`).
 * If the failure cannot be recorded (storage down, or no storage configured) the function throws: the host
 * abandons the message and Service Bus redelivers it, and at maxDeliveryCount dead-letters it; nothing is dropped.
 * Transient problems (queue or blob storage down) also throw and are redelivered.
 */
import type { FailureRecord } from '../ledger/failures';
import { MessageTooLargeError } from '../queue/large-messages';
import type { Telemetry } from '../telemetry/telemetry';
import { emitOutcome } from '../telemetry/outcomes';
import { IntakeRejection } from './errors';
import { enqueueRecords, type RecordsOutcome } from './ingest';
import type { JsonValue } from '../util/json';
import { parseJsonBody } from './parse';
import type { IntakeRuntime } from './runtime';

export const INBOUND_FAILURE_REASON = 'InvalidInboundMessage';

/** A message on dvsync-inbound that can never succeed; `code` is stable (telemetry dimension), `message` says what to fix. */
export class InvalidInboundMessageError extends Error {
  readonly transient = false;
  constructor(
    readonly code: string,
    message: string,
    readonly route?: string,
  ) {
    super(message);
    this.name = 'InvalidInboundMessageError';
  }
}

const SHAPE = 'The inbound message must be JSON {"route": "<route name>", "record": {...}} or {"route": "...", "records": [...]}.';

/** The host hands over a JSON-parsed body when it parses; text (or bytes) is parsed here with the exact-number parser. */
function messageJson(message: unknown): unknown {
  if (typeof message !== 'string' && !(message instanceof Uint8Array)) return message;
  try {
    return parseJsonBody(typeof message === 'string' ? Buffer.from(message, 'utf8') : message);
  } catch (e) {
    if (e instanceof IntakeRejection)
      throw new InvalidInboundMessageError(
        'not_json',
        `The inbound message is not JSON (${e.problems.map((p) => `${p.path}: ${p.message}`).join('; ') || e.message}). ${SHAPE}`,
      );
    throw e;
  }
}

/** `{route, record}` or `{route, records}` → ChangeMessages on the changes queue (records the route's filters exclude are skipped). */
export async function handleInbound(rt: IntakeRuntime, message: unknown): Promise<RecordsOutcome & { route: string }> {
  const m = messageJson(message) as { route?: unknown; record?: JsonValue; records?: JsonValue[] } | null;
  if (m === null || typeof m !== 'object' || Array.isArray(m) || typeof m.route !== 'string') throw new InvalidInboundMessageError('invalid_shape', SHAPE);
  const records = Array.isArray(m.records) ? m.records : m.record !== undefined ? [m.record] : [];
  try {
    return { route: m.route, ...(await enqueueRecords(rt, m.route, records)) };
  } catch (e) {
    if (e instanceof IntakeRejection && !e.transient) {
      const problems = e.problems.length ? ` Problems: ${e.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}` : '';
      throw new InvalidInboundMessageError(e.code, `${e.message}${problems}`, m.route);
    }
    if (e instanceof MessageTooLargeError) throw new InvalidInboundMessageError('payload_too_large', e.message, m.route);
    throw e;
  }
}

/** Service Bus facts about the delivery (from the trigger metadata). */
export interface InboundDelivery {
  messageId: string;
  deliveryCount?: number;
}

export type InboundOutcome = { status: 'accepted'; records: number; skipped: RecordsOutcome['skipped'] } | { status: 'rejected'; code: string; detail: string };

function bodyText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message instanceof Uint8Array) return Buffer.from(message).toString('utf8');
  return JSON.stringify(message) ?? String(message);
}

/**
 * One inbound message: accepted (forwarded), or rejected and recorded in the failures table (complete it).
 * Throws when the message should be redelivered: a transient failure, or a rejection that could not be recorded.
 */
export async function processInboundMessage(rt: IntakeRuntime, message: unknown, delivery: InboundDelivery, telemetry: Telemetry): Promise<InboundOutcome> {
  try {
    const { route, accepted, skipped } = await handleInbound(rt, message);
    emitOutcome(telemetry, 'inbound.accepted', { messageId: delivery.messageId, route, records: accepted, skipped: skipped.length });
    for (const s of skipped) emitOutcome(telemetry, 'inbound.skipped', { messageId: delivery.messageId, route, index: s.index, reason: s.reason });
    return { status: 'accepted', records: accepted, skipped };
  } catch (e) {
    if (!(e instanceof InvalidInboundMessageError)) throw e;
    const route = e.route !== undefined && rt.routes.byName.has(e.route) ? e.route : undefined;
    emitOutcome(telemetry, 'inbound.invalid', { messageId: delivery.messageId, route, reason: e.code, detail: e.message }, 'warn');
    if (!rt.failures) {
      telemetry.trace(
        'error',
        'inbound message refused and no failures table is configured (set DVSYNC_STORAGE or AzureWebJobsStorage); the host abandons it until Service Bus dead-letters it',
        { messageId: delivery.messageId, reason: e.code, detail: e.message },
      );
      throw e;
    }
    const failure: FailureRecord = {
      severity: 'error',
      reason: INBOUND_FAILURE_REASON,
      detail: `${e.code}: ${e.message}`,
      messageId: delivery.messageId,
      ...(route ? { route } : {}),
      attempt: delivery.deliveryCount ?? 1,
      time: rt.now().toISOString(),
      body: bodyText(message),
    };
    await rt.failures.record([failure]); // a storage failure throws: the message is redelivered, not lost
    return { status: 'rejected', code: e.code, detail: e.message };
  }
}
