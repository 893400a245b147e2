/**
 * `$management` request/response operations (AMQP request-response, Microsoft docs
 * "service-bus-amqp-request-response"). Replies carry `statusCode` (camelCase: the SDK's peek
 * reads that key to spot 204) and `errorCondition` on failure.
 */
import { parseBareMessage, typed, types, uuidString } from './codec';
import { type AmqpError, errors } from './errors';
import { renderMessage } from './message';
import { type Outcome, type Queue } from './queue';

export interface ManagementReply {
  status: number;
  description: string;
  condition?: string;
  body: unknown;
}

type Body = Record<string, unknown>;

const ok = (body: Body | undefined = {}, status = 200): ManagementReply => ({
  status,
  description: status === 204 ? 'No Content' : 'OK',
  body: types.wrap_map(body),
});
const fail = (e: AmqpError): ManagementReply => ({ status: e.status, description: e.description, condition: e.condition, body: types.wrap_map({}) });
const isError = (v: unknown): v is AmqpError => typeof v === 'object' && v !== null && 'condition' in v && 'status' in v;

function toNumber(v: unknown): number {
  if (Buffer.isBuffer(v)) return Number(v.readBigInt64BE(0));
  return Number(v);
}

/** Lock tokens arrive as uuids in standard byte order: the same string the SDK showed the caller. */
function tokenStrings(v: unknown): string[] {
  return (Array.isArray(v) ? v : [v]).map((t) => (Buffer.isBuffer(t) ? uuidString(t) : String(t)));
}

export function handleManagement(queue: Queue, operation: string, body: Body): ManagementReply {
  switch (operation) {
    case 'com.microsoft:renew-lock': {
      const expirations: number[] = [];
      for (const token of tokenStrings(body['lock-tokens'])) {
        const until = queue.renewLock(token);
        if (isError(until)) return fail(until);
        expirations.push(until);
      }
      return ok({
        expirations: types.wrap_array(
          expirations.map((t) => new Date(t)),
          0x83,
        ),
      });
    }
    case 'com.microsoft:peek-message': {
      const from = toNumber(body['from-sequence-number'] ?? 1);
      const count = toNumber(body['message-count'] ?? 1);
      const sessionId = body['session-id'] as string | undefined;
      const found = queue.peek(from, count, sessionId ?? undefined);
      if (found.length === 0) return ok({}, 204);
      return ok({ messages: found.map((m) => types.wrap_map({ message: typed.binary(renderMessage(m, false)) })) });
    }
    case 'com.microsoft:schedule-message': {
      const entries = (body.messages as Body[]) ?? [];
      const items = entries.map((e) => {
        const raw = e.message as Buffer;
        const bare = parseBareMessage(raw);
        const at = bare.annotations.get('x-opt-scheduled-enqueue-time')?.value;
        return { bare, size: raw.length, at: at instanceof Date ? at.getTime() : Date.now() };
      });
      const seqs = queue.schedule(items);
      if (isError(seqs)) return fail(seqs);
      return ok({ 'sequence-numbers': types.wrap_array(seqs, 0x81) });
    }
    case 'com.microsoft:cancel-scheduled-message': {
      const seqs = (body['sequence-numbers'] as unknown[]) ?? [];
      queue.cancelScheduled(seqs.map(toNumber));
      return ok();
    }
    case 'com.microsoft:receive-by-sequence-number': {
      const seqs = ((body['sequence-numbers'] as unknown[]) ?? []).map(toNumber);
      const receiveAndDelete = toNumber(body['receiver-settle-mode']) === 0;
      const sessionId = (body['session-id'] as string | undefined) ?? undefined;
      const found = queue.receiveDeferred(seqs, receiveAndDelete, sessionId);
      if (isError(found)) return fail(found);
      return ok({
        messages: found.map(({ msg, token }) => {
          const entry: Body = { message: typed.binary(renderMessage(msg, false)) };
          if (token) entry['lock-token'] = typed.uuid(token);
          return types.wrap_map(entry);
        }),
      });
    }
    case 'com.microsoft:update-disposition': {
      const status = String(body['disposition-status']);
      const props = (body['properties-to-modify'] as Record<string, unknown>) ?? undefined;
      const outcomes: Record<string, Outcome> = {
        completed: { kind: 'complete' },
        abandoned: { kind: 'abandon', properties: props },
        defered: { kind: 'defer', properties: props },
        suspended: {
          kind: 'deadLetter',
          reason: body['deadletter-reason'] as string | undefined,
          description: body['deadletter-description'] as string | undefined,
          properties: props,
        },
      };
      const outcome = outcomes[status];
      if (!outcome) return fail(errors.badRequest(`Unknown disposition-status "${status}"; expected completed, abandoned, defered or suspended.`));
      for (const token of tokenStrings(body['lock-tokens'])) {
        const e = queue.settle(token, outcome);
        if (e) return fail(e);
      }
      return ok();
    }
    case 'com.microsoft:renew-session-lock': {
      const until = queue.sessions.renew(String(body['session-id']));
      if (isError(until)) return fail(until);
      return ok({ expiration: typed.timestamp(until) });
    }
    case 'com.microsoft:get-session-state': {
      const state = queue.sessions.getState(String(body['session-id']));
      if (isError(state)) return fail(state);
      return ok({ 'session-state': state === null ? null : typed.binary(state) });
    }
    case 'com.microsoft:set-session-state': {
      const raw = body['session-state'];
      const e = queue.sessions.setState(String(body['session-id']), raw === null || raw === undefined ? null : Buffer.from(raw as Buffer));
      return e ? fail(e) : ok();
    }
    case 'com.microsoft:get-message-sessions': {
      const skip = toNumber(body.skip ?? 0);
      const top = toNumber(body.top ?? 100);
      const ids = queue.sessions.list().slice(skip, skip + top);
      if (ids.length === 0) return ok({}, 204);
      return ok({ skip: typed.int(skip), 'sessions-ids': ids });
    }
    default:
      return fail(errors.notImplemented(`the management operation "${operation}"`));
  }
}
