/**
 * The host's configuration, read and validated once: app settings (local.settings.json `Values`,
 * the process environment, programmatic overrides) and host.json (`extensions.serviceBus`,
 * `extensions.http.routePrefix`, `functionTimeout`). Defaults are the ones the real host uses
 * (Azure/azure-sdk-for-net `ServiceBusOptions.cs`), except where this file says why not.
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
  maxConcurrentCalls: number;
  maxConcurrentSessions: number;
  maxMessageBatchSize: number;
  /** How long a batch receive waits to fill a batch before dispatching what it has. */
  maxBatchWaitTimeMs: number;
  maxAutoLockRenewalDurationMs: number;
  /** How long a session receiver waits for the next message of its session before releasing it. */
  sessionIdleTimeoutMs: number;
  /** `clientRetryOptions.tryTimeout`: the SDK operation timeout, which also bounds how long acceptNextSession waits. */
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
          prefetchCount: z.number().int().min(0).optional(),
          autoCompleteMessages: z.boolean().optional(),
          maxConcurrentCalls: z.number().int().min(1).optional(),
          maxConcurrentSessions: z.number().int().min(1).optional(),
          maxMessageBatchSize: z.number().int().min(1).optional(),
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
 * Defaults, from the extension source (Azure/azure-sdk-for-net `ServiceBusOptions.cs`). Two deliberate local differences:
 * maxBatchWaitTime defaults to 1 s (not 30 s) so a local batch does not sit for half a minute, and
 * sessionIdleTimeout, unset in the host (falls back to the client's 60 s try-timeout), is 1 s here so a
 * quiet session frees its slot quickly. A third: clientRetryOptions.tryTimeout defaults to 3 s (SDK: 60 s),
 * because an acceptNextSession waiting on an empty queue ignores abort until the broker answers it
 * after that timeout, and that wait bounds how long the local host takes to shut down. Loopback
 * operations finish in milliseconds, so 3 s (with the SDK's retries) is still generous.
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
    maxBatchWaitTime: '00:00:01',
    maxAutoLockRenewalDuration: '00:05:00',
    sessionIdleTimeout: '00:00:01',
    clientTryTimeout: '00:00:03',
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
      maxBatchWaitTimeMs: parseTimeSpanMs(sb.maxBatchWaitTime, at('maxBatchWaitTime')),
      maxAutoLockRenewalDurationMs: parseTimeSpanMs(sb.maxAutoLockRenewalDuration, at('maxAutoLockRenewalDuration')),
      sessionIdleTimeoutMs: parseTimeSpanMs(sb.sessionIdleTimeout, at('sessionIdleTimeout')),
      clientTryTimeoutMs: parseTimeSpanMs(sb.clientRetryOptions?.tryTimeout ?? defaults.serviceBus.clientTryTimeout, at('clientRetryOptions.tryTimeout')),
    },
  };
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
