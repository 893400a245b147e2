/** Throttle lane options: validated once, defaults here and nowhere else. */
import { z } from 'zod';

/** Dataverse's documented per-user concurrent-request limit. */
export const DATAVERSE_MAX_CONCURRENCY = 52;

export const laneOptionsSchema = z
  .object({
    /** Slow start: concurrency before the server's x-ms-dop-hint is known. */
    initialConcurrency: z.number().int().min(1).max(DATAVERSE_MAX_CONCURRENCY).default(4),
    /** Upper bound regardless of the hint (never above 52). */
    maxConcurrency: z.number().int().min(1).max(DATAVERSE_MAX_CONCURRENCY).default(DATAVERSE_MAX_CONCURRENCY),
    /** Share of the dop hint this instance uses (e.g. 0.5 when two instances share a user). */
    dopShare: z.number().gt(0).max(1).default(1),
    /** Multiplicative decrease on a 429. */
    decreaseFactor: z.number().gt(0).lt(1).default(0.5),
    /** Additive increase: concurrency grows by this much per limit's worth of successes. */
    increaseStep: z.number().gt(0).max(8).default(1),
    /** Rate-limit headers: below these, concurrency is scaled down proportionally. */
    burstLowWater: z.number().int().min(1).default(200),
    timeLowWaterMs: z.number().int().min(1).default(120_000),
    /** Rate-limit header readings older than this are ignored (the server window is 300 s). */
    brakeTtlMs: z.number().int().min(1).default(60_000),
  })
  .strict();

export type LaneOptions = z.infer<typeof laneOptionsSchema>;

export function parseLaneOptions(input: z.input<typeof laneOptionsSchema> = {}): LaneOptions {
  const parsed = laneOptionsSchema.safeParse(input);
  if (!parsed.success) {
    throw new TypeError(`Invalid throttle lane options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ')}`);
  }
  if (parsed.data.initialConcurrency > parsed.data.maxConcurrency) {
    throw new TypeError(
      `Invalid throttle lane options: initialConcurrency (${parsed.data.initialConcurrency}) exceeds maxConcurrency (${parsed.data.maxConcurrency}).`,
    );
  }
  return parsed.data;
}
