/** Webhook delivery options, validated once with every default in one place. */
import { z } from 'zod';

export const webhookOptionsSchema = z.object({
  /** Multiplies the timeout and the retry delay. Unset: the timeScale of the write's request (RequestContext.timeScale). */
  timeScale: z.number().positive().optional(),
  /** Dataverse gives up on an endpoint after 60 s (Learn: use-webhooks). */
  timeoutMs: z.number().positive().default(60_000),
  /** Wait before the single retry of a 502/503/504 (undocumented; model ms). */
  retryDelayMs: z.number().min(0).default(1_000),
  /** The server's time zone, minutes east of UTC: async OperationCreatedOn carries it (fixtures 1, 7 and 8). */
  serverUtcOffsetMinutes: z
    .number()
    .int()
    .min(-14 * 60)
    .max(14 * 60)
    .default(0),
  /** The calling users' time zone for FormattedValues dates. */
  userUtcOffsetMinutes: z
    .number()
    .int()
    .min(-14 * 60)
    .max(14 * 60)
    .default(0),
  /** Payloads over this are stripped and flagged with x-ms-dynamics-msg-size-exceeded (256 KB). */
  maxPayloadBytes: z
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  /** x-ms-dynamics-organization; defaults to the host the write request addressed. */
  organizationHost: z.string().min(1).optional(),
  /** Delivery attempts kept for /_emulator/webhooks/deliveries (oldest dropped first). */
  maxLoggedAttempts: z.number().int().positive().default(10_000),
});
export type WebhookOptions = z.infer<typeof webhookOptionsSchema>;
export type WebhookOptionsInput = z.input<typeof webhookOptionsSchema>;

export function parseWebhookOptions(input: unknown, where: string): WebhookOptions {
  const r = webhookOptionsSchema.safeParse(input ?? {});
  if (!r.success) {
    throw new Error(`${where}: invalid webhook options: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return r.data;
}
