/**
 * Queue configuration: our Bicep-shaped `{ queues: [...] }` (camelCase, ISO-8601 durations) or the
 * official Service Bus emulator's Config.json (`UserConfig.Namespaces[].Queues[].Properties`).
 * Validated once here; the rest of the emulator only sees `QueueSettings` with defaults applied.
 */
import { readFileSync } from 'fs';
import { z } from 'zod';
import defaultQueuesJson from './queues.json';

/** One queue as our Bicep declares it. Omitted properties take the Azure defaults. */
export interface QueueConfig {
  name: string;
  requiresSession?: boolean;
  requiresDuplicateDetection?: boolean;
  duplicateDetectionHistoryTimeWindow?: string;
  maxDeliveryCount?: number;
  lockDuration?: string;
  defaultMessageTimeToLive?: string;
  deadLetteringOnMessageExpiration?: boolean;
}

/** A queue after validation: durations in milliseconds, every field set. */
export interface QueueSettings {
  name: string;
  requiresSession: boolean;
  /** undefined when duplicate detection is off. */
  duplicateDetectionWindowMs: number | undefined;
  maxDeliveryCount: number;
  lockDurationMs: number;
  /** Infinity when the queue keeps messages forever (Azure's TimeSpan.MaxValue default). */
  defaultTtlMs: number;
  deadLetterOnExpiry: boolean;
}

/** Our two queues, mirroring infra/ (emulators/servicebus/queues.json). */
export function defaultQueues(): QueueSettings[] {
  return resolveQueues(defaultQueuesJson.queues, 'emulators/servicebus/queues.json');
}

const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Parses an ISO-8601 duration (weeks, days, hours, minutes, seconds) to milliseconds; undefined if malformed. */
export function parseIsoDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [w, d, h, min, s] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
  return ((((w * 7 + d) * 24 + h) * 60 + min) * 60 + s) * 1000;
}

const duration = z.string().refine((s) => parseIsoDuration(s) !== undefined, {
  message: 'expected an ISO-8601 duration such as "PT1M", "PT30S" or "P14D" (Y and M-month units are not supported)',
});

const queueSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,259}$/, 'expected letters, digits, ".", "_" or "-"'),
  requiresSession: z.boolean().optional(),
  requiresDuplicateDetection: z.boolean().optional(),
  duplicateDetectionHistoryTimeWindow: duration.optional(),
  maxDeliveryCount: z.number().int().min(1).max(2000).optional(),
  lockDuration: duration.optional(),
  defaultMessageTimeToLive: duration.optional(),
  deadLetteringOnMessageExpiration: z.boolean().optional(),
});

const ourFileSchema = z.strictObject({ queues: z.array(queueSchema) });

const officialQueueSchema = z.object({
  Name: z.string(),
  Properties: z
    .object({
      RequiresSession: z.boolean().optional(),
      RequiresDuplicateDetection: z.boolean().optional(),
      DuplicateDetectionHistoryTimeWindow: z.string().optional(),
      MaxDeliveryCount: z.number().optional(),
      LockDuration: z.string().optional(),
      DefaultMessageTimeToLive: z.string().optional(),
      DeadLetteringOnMessageExpiration: z.boolean().optional(),
    })
    .optional(),
});
const officialFileSchema = z.object({
  UserConfig: z.object({ Namespaces: z.array(z.object({ Queues: z.array(officialQueueSchema).optional() })) }),
});

/** Thrown for any invalid configuration; the message names the source, the queue and the property. */
export class QueueConfigError extends Error {
  override name = 'QueueConfigError';
}

function fromOfficial(file: z.infer<typeof officialFileSchema>): unknown[] {
  return file.UserConfig.Namespaces.flatMap((ns) =>
    (ns.Queues ?? []).map((q) => {
      const p = q.Properties ?? {};
      return {
        name: q.Name,
        requiresSession: p.RequiresSession,
        requiresDuplicateDetection: p.RequiresDuplicateDetection,
        duplicateDetectionHistoryTimeWindow: p.DuplicateDetectionHistoryTimeWindow,
        maxDeliveryCount: p.MaxDeliveryCount,
        lockDuration: p.LockDuration,
        defaultMessageTimeToLive: p.DefaultMessageTimeToLive,
        deadLetteringOnMessageExpiration: p.DeadLetteringOnMessageExpiration,
      };
    }),
  );
}

/** Validates queue configs (from code or a file) and applies Azure's defaults. */
export function resolveQueues(queues: unknown[], source: string): QueueSettings[] {
  const seen = new Set<string>();
  return queues.map((raw, index) => {
    const label = typeof (raw as { name?: unknown })?.name === 'string' ? `queue "${(raw as { name: string }).name}"` : `queue #${index}`;
    const parsed = queueSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const prop = issue.path.length ? `property "${issue.path.join('.')}"` : 'the queue object';
      throw new QueueConfigError(`${source}: ${label}, ${prop}: ${issue.message}`);
    }
    const q = parsed.data;
    const key = q.name.toLowerCase();
    if (seen.has(key)) throw new QueueConfigError(`${source}: ${label} is declared twice (queue names are case-insensitive)`);
    seen.add(key);
    const ms = (v: string | undefined, fallback: number) => (v === undefined ? fallback : (parseIsoDuration(v) as number));
    const lockDurationMs = ms(q.lockDuration, 60_000);
    if (lockDurationMs < 1000 || lockDurationMs > 300_000) {
      throw new QueueConfigError(`${source}: ${label}, property "lockDuration": must be between PT1S and PT5M, got ${q.lockDuration}`);
    }
    return {
      name: q.name,
      requiresSession: q.requiresSession ?? false,
      duplicateDetectionWindowMs: q.requiresDuplicateDetection ? ms(q.duplicateDetectionHistoryTimeWindow, 600_000) : undefined,
      maxDeliveryCount: q.maxDeliveryCount ?? 10,
      lockDurationMs,
      defaultTtlMs: ms(q.defaultMessageTimeToLive, Infinity),
      deadLetterOnExpiry: q.deadLetteringOnMessageExpiration ?? false,
    };
  });
}

/** Reads a config file in either supported shape. */
export function loadQueuesFile(file: string): QueueSettings[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new QueueConfigError(`${file}: cannot read queue config: ${(err as Error).message}`);
  }
  const official = officialFileSchema.safeParse(json);
  if (official.success) return resolveQueues(fromOfficial(official.data), file);
  const ours = ourFileSchema.safeParse(json);
  if (!ours.success && !(json && typeof json === 'object' && Array.isArray((json as { queues?: unknown }).queues))) {
    throw new QueueConfigError(`${file}: expected {"queues": [...]} (Bicep-style properties) or the official emulator's {"UserConfig": {"Namespaces": [...]}}`);
  }
  return resolveQueues((json as { queues: unknown[] }).queues, file);
}
