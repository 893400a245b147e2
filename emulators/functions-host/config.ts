/**
 * The host's configuration, read and validated once: app settings (local.settings.json `Values`,
 * the process environment, programmatic overrides) and host.json (`extensions.serviceBus`,
 * `extensions.http.routePrefix`, `functionTimeout`). Defaults are the ones the real host uses
 * (Azure/azure-sdk-for-net `ServiceBusOptions.cs`); settings the local host cannot give are refused.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/** App setting holding the key for `authLevel: 'function'` routes (any function or host key works there in Azure). */
export const FUNCTION_KEY_SETTING = 'DVSYNC_LOCAL_FUNCTION_KEY';
/** App setting holding the master key, the only key `authLevel: 'admin'` routes accept. */
export const MASTER_KEY_SETTING = 'DVSYNC_LOCAL_MASTER_KEY';

export interface ServiceBusHostOptions {
  autoCompleteMessages: boolean;
  /** Single dispatch, no sessions: invocations at once per function. */
  maxConcurrentCalls: number;
  /** Single dispatch with sessions: sessions processed at once per function. Batch functions ignore it. */
  maxConcurrentSessions: number;
  /** Batch functions: the most messages one invocation gets. */
  maxMessageBatchSize: number;
  /** Batch functions: above 1, messages are held until at least this many are there (or maxBatchWaitTime passed). */
  minMessageBatchSize: number;
  /** How long held messages wait for minMessageBatchSize; used only when minMessageBatchSize > 1. */
  maxBatchWaitTimeMs: number;
  /** Single dispatch: lock renewal (message lock, or session lock with sessions) lasts at most this long. Infinite when negative in host.json. */
  maxAutoLockRenewalDurationMs: number;
  /** How long a session receiver waits for the next message of its session before releasing it; undefined = unset (then clientTryTimeoutMs). */
  sessionIdleTimeoutMs: number | undefined;
  /** `clientRetryOptions.tryTimeout`: the SDK operation timeout, also the receive wait when nothing shorter applies. */
  clientTryTimeoutMs: number;
  prefetchCount: number;
}

export interface HostConfig {
  routePrefix: string;
  functionTimeoutMs: number;
  serviceBus: ServiceBusHostOptions;
}

export interface LocalSettings {
  values: Record<string, string>;
  localHttpPort?: number;
}

/** .NET TimeSpan text as host.json uses it: `[-][d.]hh:mm:ss[.fffffff]`. Negative means infinite. */
export function parseTimeSpanMs(text: string, where: string): number {
  const m = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(text.trim());
  if (!m) throw new Error(`${where}: "${text}" is not a TimeSpan; write hh:mm:ss, e.g. "00:05:00".`);
  const [, neg, days, h, min, s, frac] = m;
  const ms = ((Number(days ?? 0) * 24 + Number(h)) * 60 + Number(min)) * 60_000 + Number(s) * 1000 + Number(`0.${frac ?? '0'}`) * 1000;
  return neg ? Number.POSITIVE_INFINITY : ms;
}

const timeSpan = z.string();
const hostJsonSchema = z.looseObject({
  functionTimeout: timeSpan.optional(),
  extensions: z
    .looseObject({
      http: z.looseObject({ routePrefix: z.string().optional() }).optional(),
      serviceBus: z
        .looseObject({
          // The JS SDK has no prefetch, so the local host cannot give a prefetching receiver's throughput.
          prefetchCount: z
            .literal(0, { error: 'prefetchCount above 0 is not supported by the local host (the JS SDK has no prefetch); set 0 or remove it' })
            .optional(),
          autoCompleteMessages: z.boolean().optional(),
          maxConcurrentCalls: z.number().int().min(1).optional(),
          maxConcurrentSessions: z.number().int().min(1).optional(),
          maxConcurrentCallsPerSession: z
            .literal(1, { error: 'maxConcurrentCallsPerSession above 1 is not supported by the local host; set 1 or remove it' })
            .optional(),
          maxMessageBatchSize: z.number().int().min(1).optional(),
          minMessageBatchSize: z.number().int().min(1).optional(),
          maxBatchWaitTime: timeSpan.optional(),
          maxAutoLockRenewalDuration: timeSpan.optional(),
          sessionIdleTimeout: timeSpan.optional(),
          clientRetryOptions: z.looseObject({ tryTimeout: timeSpan.optional() }).optional(),
        })
        .optional(),
    })
    .optional(),
});

/**
 * Defaults, from the extension source (Azure/azure-sdk-for-net
 * `sdk/servicebus/Microsoft.Azure.WebJobs.Extensions.ServiceBus/src/Config/ServiceBusOptions.cs`) and the SDK's
 * `ServiceBusRetryOptions` (tryTimeout 60 s). sessionIdleTimeout has no default: unset, a session receive waits
 * the try timeout, as in the host.
 */
const defaults = {
  routePrefix: 'api',
  functionTimeout: '00:30:00',
  serviceBus: {
    prefetchCount: 0,
    autoCompleteMessages: true,
    maxConcurrentCalls: 16 * cpus().length,
    maxConcurrentSessions: 8,
    maxMessageBatchSize: 1000,
    minMessageBatchSize: 1,
    maxBatchWaitTime: '00:00:30',
    maxAutoLockRenewalDuration: '00:05:00',
    clientTryTimeout: '00:01:00',
  },
};

export function parseHostJson(raw: unknown, source: string): HostConfig {
  const parsed = hostJsonSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}. Fix host.json (see emulators/functions-host/README.md for the keys).`);
  }
  const sb = { ...defaults.serviceBus, ...(parsed.data.extensions?.serviceBus ?? {}) };
  const at = (key: string) => `${source}: extensions.serviceBus.${key}`;
  return {
    routePrefix: (parsed.data.extensions?.http?.routePrefix ?? defaults.routePrefix).replace(/^\/+|\/+$/g, ''),
    functionTimeoutMs: parseTimeSpanMs(parsed.data.functionTimeout ?? defaults.functionTimeout, `${source}: functionTimeout`),
    serviceBus: {
      prefetchCount: sb.prefetchCount,
      autoCompleteMessages: sb.autoCompleteMessages,
      maxConcurrentCalls: sb.maxConcurrentCalls,
      maxConcurrentSessions: sb.maxConcurrentSessions,
      maxMessageBatchSize: sb.maxMessageBatchSize,
      minMessageBatchSize: sb.minMessageBatchSize,
      maxBatchWaitTimeMs: parseTimeSpanMs(sb.maxBatchWaitTime, at('maxBatchWaitTime')),
      maxAutoLockRenewalDurationMs: parseTimeSpanMs(sb.maxAutoLockRenewalDuration, at('maxAutoLockRenewalDuration')),
      sessionIdleTimeoutMs: sb.sessionIdleTimeout === undefined ? undefined : positiveTimeSpanMs(sb.sessionIdleTimeout, at('sessionIdleTimeout')),
      clientTryTimeoutMs: positiveTimeSpanMs(sb.clientRetryOptions?.tryTimeout ?? defaults.serviceBus.clientTryTimeout, at('clientRetryOptions.tryTimeout')),
    },
  };
}

/** A wait the SDK takes as a timeout: finite and above zero (the SDK refuses anything else). */
function positiveTimeSpanMs(text: string, where: string): number {
  const ms = parseTimeSpanMs(text, where);
  if (!(ms > 0) || !Number.isFinite(ms)) throw new Error(`${where}: "${text}" must be a positive duration, e.g. "00:00:01".`);
  return ms;
}

export function readHostJson(appDir: string): HostConfig {
  const file = join(appDir, 'host.json');
  if (!existsSync(file)) return parseHostJson({}, file);
  return parseHostJson(readJson(file), file);
}

const localSettingsSchema = z.looseObject({
  IsEncrypted: z.boolean().optional(),
  Values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  Host: z.looseObject({ LocalHttpPort: z.number().int().min(0).max(65535).optional() }).optional(),
});

/** local.settings.json like Core Tools reads it; a missing file is no error (the settings may come from elsewhere). */
export function readLocalSettings(appDir: string): LocalSettings {
  const file = join(appDir, 'local.settings.json');
  if (!existsSync(file)) return { values: {} };
  const parsed = localSettingsSchema.safeParse(readJson(file));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}. Values must map names to strings.`);
  }
  if (parsed.data.IsEncrypted) throw new Error(`${file}: IsEncrypted is true; decrypt it (func settings decrypt) or set it to false.`);
  const values = Object.fromEntries(Object.entries(parsed.data.Values ?? {}).map(([k, v]) => [k, String(v)]));
  return { values, localHttpPort: parsed.data.Host?.LocalHttpPort };
}

/** The host's own settings: read from the environment even when local.settings.json does not name them. */
export const KEY_SETTINGS = [FUNCTION_KEY_SETTING, MASTER_KEY_SETTING] as const;

/**
 * The effective app settings, lowest precedence first: local.settings.json Values, then variables
 * already in the process environment (Core Tools also skips a Value the environment defines), then
 * the caller's explicit overrides. The environment counts for every Value and for the keys
 * (KEY_SETTINGS), which need no Value: a key set only in the environment is the key. A key that is
 * still empty is generated (random per start).
 */
export function resolveAppSettings(values: Record<string, string>, overrides: Record<string, string>, env: NodeJS.ProcessEnv): Record<string, string> {
  const settings: Record<string, string> = { ...values };
  for (const key of new Set([...Object.keys(values), ...KEY_SETTINGS])) {
    const fromEnv = env[key];
    if (fromEnv !== undefined) settings[key] = fromEnv;
  }
  Object.assign(settings, overrides);
  for (const key of KEY_SETTINGS) if (!settings[key]) settings[key] = generateKey();
  return settings;
}

function generateKey(): string {
  return randomBytes(30).toString('base64url');
}

function readJson(file: string): unknown {
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** The app root: the nearest folder above this file with host.json and package.json (works from source and from dist/). */
export function defaultAppDir(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'host.json')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}
