/** Parses a queue message body into a ChangeMessage, with a precise reason when it is not one. */
import { z } from 'zod';
import { CHANGE_MESSAGE_VERSION, type ChangeMessage } from '../model/change-message';
import { isVersionText } from '../model/version';

/** The text of a JSON number: what ExactDecimal (shared/dataverse/wire-json.ts) writes digit for digit. */
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

const sourceValue: z.ZodType = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.object({ $type: z.literal('reference'), table: z.string(), id: z.string(), name: z.string().nullable().optional(), keys: z.record(z.string(), z.union([z.string(), z.number()])).optional() }),
    z.object({ $type: z.literal('choice'), value: z.number(), label: z.string().optional() }),
    z.object({ $type: z.literal('choices'), values: z.array(z.number()), labels: z.array(z.string()).optional() }),
    z.object({ $type: z.literal('money'), value: z.number(), exact: z.string().regex(JSON_NUMBER, 'exact must be the amount as decimal digits such as "123456789012345.6789"').optional() }),
    z.object({ $type: z.literal('datetime'), iso: z.string() }),
    z.object({ $type: z.literal('decimal'), value: z.string().regex(JSON_NUMBER, 'a decimal value must be decimal digits such as "1234567.8901"') }),
    z.object({ $type: z.literal('collection'), table: z.string(), rows: z.array(z.record(z.string(), sourceValue)) }),
  ]),
);

const changeMessageSchema = z.object({
  v: z.literal(CHANGE_MESSAGE_VERSION),
  route: z.string().min(1),
  origin: z.enum(['webhook', 'ingest', 'import', 'sync']),
  operation: z.enum(['upsert', 'delete']),
  source: z
    .object({
      environment: z.string().optional(),
      table: z.string().min(1),
      id: z.string().optional(),
      message: z.string().optional(),
      correlationId: z.string().optional(),
      operationId: z.string().optional(),
      userId: z.string().optional(),
      initiatingUserId: z.string().optional(),
      tag: z.string().optional(),
      depth: z.number().optional(),
      changedAt: z.string().optional(),
      importId: z.string().optional(),
      line: z.number().optional(),
    })
    .passthrough(),
  version: z.string().refine(isVersionText, 'must be a version such as "rv=123;mt=1700000000000" (see shared/model/version.ts)'),
  values: z.record(z.string(), sourceValue),
  reread: z.boolean().optional(),
  blobRef: z.object({ container: z.string(), name: z.string() }).optional(),
  receivedAt: z.string(),
});

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
      return { ok: false, body, reason: `The message body is not JSON (${(err as Error).message}); expected a ChangeMessage (see shared/model/change-message.ts).` };
    }
  }
  const parsed = changeMessageSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    return { ok: false, body, reason: `The message body is not a valid ChangeMessage v${CHANGE_MESSAGE_VERSION}: ${issues}.` };
  }
  return { ok: true, message: parsed.data as ChangeMessage, body };
}
