/** Parses a queue message body into a ChangeMessage, with a precise reason when it is not one. */
import { CHANGE_MESSAGE_VERSION, changeMessageSchema, type ChangeMessage } from './change-message';

export type ParseResult = { ok: true; message: ChangeMessage; body: string } | { ok: false; reason: string; body: string };

/** The trigger hands over a parsed object, a string, or bytes; all are accepted. */
export function parseChangeMessage(raw: unknown): ParseResult {
  let body: string;
  let value: unknown = raw;
  if (Buffer.isBuffer(raw) || raw instanceof Uint8Array) body = Buffer.from(raw).toString('utf8');
  else if (typeof raw === 'string') body = raw;
  else body = JSON.stringify(raw) ?? String(raw);
  if (typeof raw === 'string' || Buffer.isBuffer(raw) || raw instanceof Uint8Array) {
    try {
      value = JSON.parse(body);
    } catch (err) {
      const reason = `The message body is not JSON (${(err as Error).message}); expected a ChangeMessage (see shared/model/change-message.ts).`;
      return { ok: false, body, reason };
    }
  }
  const parsed = changeMessageSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
      .join('; ');
    return { ok: false, body, reason: `The message body is not a valid ChangeMessage v${CHANGE_MESSAGE_VERSION}: ${issues}.` };
  }
  return { ok: true, message: parsed.data, body };
}
