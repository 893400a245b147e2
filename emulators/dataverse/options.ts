/** Emulator options, validated once with every default in one place. */
import { z } from 'zod';
import { defaultCostModel } from './cost';
import { DEFAULT_CHANGE_RETENTION_MS } from './store/environment';
import { DEFAULT_ROW_VERSION_MODE, ROW_VERSION_MODES } from './webhooks/row-version';

export const limitsSchema = z.object({
  /** Requests per user per window (Learn: api-limits). */
  requests: z.number().int().positive().default(6000),
  /** Combined execution time per user per window, model ms. */
  executionMs: z.number().positive().default(1_200_000),
  windowSeconds: z.number().positive().default(300),
  concurrency: z.number().int().positive().default(52),
  /** Value of x-ms-dop-hint on every response. */
  dopHint: z.number().int().positive().default(4),
});
export type Limits = z.infer<typeof limitsSchema>;

export const faultsSchema = z.object({
  /** Fraction (0–1) of requests answered with a random status from `errorStatuses`. */
  errorRate: z.number().min(0).max(1).default(0),
  errorStatuses: z
    .array(z.union([z.literal(500), z.literal(502), z.literal(503)]))
    .min(1)
    .default([500, 502, 503]),
  /** The next N requests answer 503. */
  burst503: z.number().int().min(0).default(0),
  /** Fraction of requests delayed by `slowMs` extra (model ms). */
  slowRate: z.number().min(0).max(1).default(0),
  slowMs: z.number().min(0).default(10_000),
  /** Fraction of requests whose socket is destroyed without a response. */
  dropRate: z.number().min(0).max(1).default(0),
  /** Every request answers 429 0x80072322 for this many model seconds from now. */
  throttleStormSeconds: z.number().min(0).default(0),
  throttleStormRetryAfterSeconds: z.number().positive().default(30),
});
export type Faults = z.infer<typeof faultsSchema>;

const costSchema = z.object({
  latencyMs: z.number().min(0).default(defaultCostModel.latencyMs),
  singleOpMs: z.number().min(0).default(defaultCostModel.singleOpMs),
  batchOpMs: z.number().min(0).default(defaultCostModel.batchOpMs),
  bulkRecordMs: z.number().min(0).default(defaultCostModel.bulkRecordMs),
  factors: z
    .object(
      Object.fromEntries(Object.entries(defaultCostModel.factors).map(([k, v]) => [k, z.number().min(0).default(v)])) as Record<
        keyof typeof defaultCostModel.factors,
        z.ZodDefault<z.ZodNumber>
      >,
    )
    .prefault({}),
});

const rowVersionMode = z.enum(ROW_VERSION_MODES);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const emulatorOptionsSchema = z.object({
  port: z.number().int().min(0).max(65535).default(7072),
  host: z.string().default('127.0.0.1'),
  /** Path of a schema JSON file; defaults to schemas/default.json. */
  schemaFile: z.string().optional(),
  /** Multiplies every duration and window (latency, execution delay, limit windows, Retry-After). */
  timeScale: z.number().positive().default(1),
  /** Change-tracking retention (real ms; Dataverse's ExpireChangeTrackingInDays, default 7 days): older delta tokens answer 0x80044352 and older change-log entries are dropped. */
  changeTrackingRetentionMs: z.number().min(0).default(DEFAULT_CHANGE_RETENTION_MS),
  /** Refuse `$batch` bodies with bare LF line endings (400 0x80048d19), as Dataverse can (https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors). */
  batchStrictLineEndings: z.boolean().default(false),
  /**
   * What the RowVersion fields of webhook payloads carry (webhooks/README.md "RowVersion"): `published`
   * (async Update Targets carry the row's versionnumber, everything else null, as published payloads
   * show), `always` (every Entity: Targets and images), `never` (all null, like the docs sample).
   */
  webhookRowVersion: rowVersionMode.default(DEFAULT_ROW_VERSION_MODE),
  /** Emulator-only per-registration override of `webhookRowVersion`, keyed by sdkmessageprocessingstepid or serviceendpointid (step wins). */
  webhookRowVersionByRegistration: z
    .record(z.string(), rowVersionMode)
    .default({})
    .superRefine((r, ctx) => {
      for (const k of Object.keys(r))
        if (!GUID.test(k))
          ctx.addIssue({ code: 'custom', path: [k], message: 'key each override by the GUID of an sdkmessageprocessingstep or a serviceendpoint' });
    })
    .transform((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k.toLowerCase(), v]))),
  limits: limitsSchema.prefault({}),
  faults: faultsSchema.prefault({}),
  cost: costSchema.prefault({}),
});
export type EmulatorOptions = z.infer<typeof emulatorOptionsSchema>;
export type EmulatorOptionsInput = z.input<typeof emulatorOptionsSchema>;

export function parseOptions(input: unknown, where: string): EmulatorOptions {
  const r = emulatorOptionsSchema.safeParse(input ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${where}: invalid Dataverse emulator options: ${issues}`);
  }
  return r.data;
}
