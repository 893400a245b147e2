/** Import options: validated once, every default here. */
import { z } from 'zod';

export const importOptionsSchema = z
  .object({
    /** Path of the JSON Lines or CSV file. */
    file: z.string().min(1),
    /** Route (from the routes file) the records belong to; it must declare source.recordColumns. */
    route: z.string().min(1),
    /** File format; by default taken from the extension (.csv → csv, anything else → jsonl). */
    format: z.enum(['jsonl', 'csv']).optional(),
    /** Valid records per engine call (one call = one ledger read, bulk requests, one ledger write). */
    chunkSize: z.number().int().min(1).max(5000).default(500),
    /** Engine calls in flight; keep ≥ the throttle lanes' total concurrency so no slot idles. */
    concurrency: z.number().int().min(1).max(64).default(8),
    /** Ignore an existing checkpoint and start from line 1 (the ledger still skips rows already applied). */
    restart: z.boolean().default(false),
    /** Invalid-record reasons kept in the report (all are recorded in the failures table). */
    maxReportedInvalid: z.number().int().min(0).default(50),
    /** Plain progress lines at most this often when not on a TTY. */
    progressIntervalMs: z.number().int().min(100).default(5000),
    /** Engine calls that fail as a whole (storage or Dataverse unreachable) are retried this often before the import stops. */
    chunkRetries: z.number().int().min(0).default(5),
    chunkRetryDelayMs: z.number().int().min(0).default(2000),
  })
  .strict();

export type ImportOptionsInput = z.input<typeof importOptionsSchema>;
export type ImportOptions = z.infer<typeof importOptionsSchema> & { format: 'jsonl' | 'csv' };

export class ImportConfigError extends Error {
  override name = 'ImportConfigError';
}

export function parseImportOptions(input: ImportOptionsInput): ImportOptions {
  const r = importOptionsSchema.safeParse(input);
  if (!r.success)
    throw new ImportConfigError(`Invalid import options: ${r.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ')}`);
  const format = r.data.format ?? (/\.csv$/i.test(r.data.file) ? 'csv' : 'jsonl');
  return { ...r.data, format };
}
