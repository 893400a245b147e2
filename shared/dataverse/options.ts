/** Client options: validated once, defaults live here and nowhere else. */
import { z } from 'zod';
import type { TokenProvider } from './auth';
import type { ResponseMeta } from './meta';

export const clientSettingsSchema = z
  .object({
    /** Web API base, e.g. https://contoso.crm4.dynamics.com/api/data/v9.2/ (see webApiBase()). */
    baseUrl: z.string().url(),
    /** Appended as `?tag=` to every write so our own changes can be recognised (echo suppression). */
    writeTag: z.string().min(1).max(200).default('dvsync'),
    /** Per-request timeout; a caller's AbortSignal can cut it shorter. */
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(30 * 60_000)
      .default(120_000),
    /** `Prefer: odata.maxpagesize` for queries and change tracking (Dataverse maximum 5,000). */
    pageSize: z.number().int().min(1).max(5000).default(5000),
  })
  .strict();

export type ClientSettings = z.infer<typeof clientSettingsSchema>;

export interface DataverseClientOptions extends z.input<typeof clientSettingsSchema> {
  tokens: TokenProvider;
  /** Called with the metadata of every HTTP exchange (successes and errors): the throttle lane's input. */
  onResponse?: (meta: ResponseMeta) => void;
}

export function parseClientSettings(options: DataverseClientOptions): ClientSettings {
  const { tokens: _tokens, onResponse: _onResponse, ...settings } = options;
  const parsed = clientSettingsSchema.safeParse(settings);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ');
    throw new TypeError(`Invalid Dataverse client options: ${issues}`);
  }
  const baseUrl = parsed.data.baseUrl.endsWith('/') ? parsed.data.baseUrl : `${parsed.data.baseUrl}/`;
  return { ...parsed.data, baseUrl };
}

/** Options every write accepts (Learn: optional-parameters, bypass-custom-business-logic). */
export interface WriteOptions extends RequestOptions {
  /** `MSCRM.BypassCustomPluginExecution: true` (needs prvBypassCustomPlugins). */
  bypassCustomPlugins?: boolean;
  /** `MSCRM.SuppressDuplicateDetection`: false turns duplicate detection on (it is off by default in the Web API). */
  suppressDuplicateDetection?: boolean;
  /** `CallerObjectId`: Entra object id of the user to impersonate. */
  callerObjectId?: string;
  /** Overrides the client's write tag for this call. */
  tag?: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export function writeHeaders(options: WriteOptions | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options?.bypassCustomPlugins) headers['MSCRM.BypassCustomPluginExecution'] = 'true';
  if (options?.suppressDuplicateDetection !== undefined) headers['MSCRM.SuppressDuplicateDetection'] = String(options.suppressDuplicateDetection);
  if (options?.callerObjectId) headers['CallerObjectId'] = options.callerObjectId;
  return headers;
}
