/**
 * Which emulators the local stack starts, and the app settings it hands the Functions host.
 *
 * Precedence, lowest first:
 *   1. settings computed from the started emulators (emulatorSettings below, plus any `appSettings()` an emulator handle offers);
 *   2. local.settings.json Values;
 *   3. environment variables of the same name (Core Tools' rule: the environment beats Values).
 * Exception: two placeholder values mean "the local emulator" and are replaced by the started
 * emulator's real string: `AzureWebJobsStorage=UseDevelopmentStorage=true` and a `ServiceBusConnection`
 * with `UseDevelopmentEmulator=true` (the ports here are not the defaults those placeholders imply).
 * An emulator is started only when levels 2-3 do not point its setting at a real (non-loopback) resource.
 */
import { KEY_SETTINGS } from '../functions-host/config';

export const STORAGE_SETTING = 'AzureWebJobsStorage';
export const SERVICE_BUS_SETTING = 'ServiceBusConnection';
export const ENVIRONMENTS_SETTING = 'DVSYNC_ENVIRONMENTS';
/** Set by the stack when it runs the Dataverse emulator: its base URL (environments are served under it). */
export const DATAVERSE_EMULATOR_URL_SETTING = 'DVSYNC_DATAVERSE_EMULATOR_URL';

export interface StartedEmulators {
  azurite?: { connectionString: string };
  serviceBus?: { connectionString: string };
  dataverse?: { url: string; appSettings?: Record<string, string> };
}

/** Level 2+3: local.settings.json Values with same-named environment variables applied over them. */
export function configuredSettings(values: Record<string, string>, env: NodeJS.ProcessEnv): Record<string, string> {
  const configured: Record<string, string> = { ...values };
  const watched = [
    STORAGE_SETTING,
    SERVICE_BUS_SETTING,
    ENVIRONMENTS_SETTING,
    `${SERVICE_BUS_SETTING}__fullyQualifiedNamespace`,
    `${STORAGE_SETTING}__accountName`,
    `${STORAGE_SETTING}__tableServiceUri`,
    `${STORAGE_SETTING}__blobServiceUri`,
    'DVSYNC_ROUTES_FILE',
    'DVSYNC_ROUTES',
    ...KEY_SETTINGS,
  ];
  for (const key of new Set([...Object.keys(values), ...watched])) {
    const fromEnv = env[key];
    if (fromEnv !== undefined && fromEnv !== '') configured[key] = fromEnv;
  }
  return configured;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?)$/i;

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

function connectionStringPart(cs: string, key: string): string | undefined {
  const part = cs.split(';').find((p) => p.trim().toLowerCase().startsWith(`${key.toLowerCase()}=`));
  return part?.slice(part.indexOf('=') + 1).trim();
}

export function isStoragePlaceholder(value: string | undefined): boolean {
  return value === undefined || value === '' || /UseDevelopmentStorage\s*=\s*true/i.test(value);
}

export function isServiceBusPlaceholder(value: string | undefined): boolean {
  return value === undefined || value === '' || /UseDevelopmentEmulator\s*=\s*true/i.test(value);
}

/** True when the settings point storage at something other than a local emulator. */
export function usesRealStorage(s: Record<string, string>): boolean {
  if (s[`${STORAGE_SETTING}__accountName`] || s[`${STORAGE_SETTING}__tableServiceUri`] || s[`${STORAGE_SETTING}__blobServiceUri`]) return true;
  const cs = s[STORAGE_SETTING];
  if (isStoragePlaceholder(cs)) return false;
  const endpoints = ['TableEndpoint', 'BlobEndpoint'].map((k) => connectionStringPart(cs, k)).filter((e): e is string => Boolean(e));
  if (endpoints.length > 0) return !endpoints.every((e) => LOOPBACK.test(hostOf(e) ?? ''));
  return connectionStringPart(cs, 'AccountName') !== 'devstoreaccount1';
}

export function usesRealServiceBus(s: Record<string, string>): boolean {
  if (s[`${SERVICE_BUS_SETTING}__fullyQualifiedNamespace`]) return true;
  const cs = s[SERVICE_BUS_SETTING];
  if (isServiceBusPlaceholder(cs)) return false;
  const endpoint = connectionStringPart(cs, 'Endpoint');
  return !LOOPBACK.test(hostOf(endpoint ?? '') ?? '');
}

/** True when DVSYNC_ENVIRONMENTS names at least one environment outside this machine. */
export function usesRealDataverse(s: Record<string, string>): boolean {
  const raw = s[ENVIRONMENTS_SETTING];
  if (!raw) return false;
  const urls = [...raw.matchAll(/"(?:url|apiBaseUrl)"\s*:\s*"([^"]+)"/g)].map((m) => m[1]);
  return urls.some((u) => !LOOPBACK.test(hostOf(u) ?? ''));
}

/** Level 1: what the started emulators contribute. */
export function emulatorSettings(started: StartedEmulators): Record<string, string> {
  const settings: Record<string, string> = {};
  if (started.azurite) settings[STORAGE_SETTING] = started.azurite.connectionString;
  if (started.serviceBus) settings[SERVICE_BUS_SETTING] = started.serviceBus.connectionString;
  if (started.dataverse) {
    settings[DATAVERSE_EMULATOR_URL_SETTING] = started.dataverse.url;
    Object.assign(settings, started.dataverse.appSettings ?? {});
  }
  return settings;
}

/** The settings the Functions host runs with (see the precedence at the top of this file). */
export function hostSettings(started: StartedEmulators, configured: Record<string, string>): Record<string, string> {
  const fromEmulators = emulatorSettings(started);
  const merged = { ...fromEmulators, ...configured };
  // An empty value (as in local.settings.sample.json) means "not configured": the emulator's value stays.
  for (const [key, value] of Object.entries(fromEmulators)) if (configured[key]?.trim() === '') merged[key] = value;
  if (started.azurite && isStoragePlaceholder(configured[STORAGE_SETTING])) merged[STORAGE_SETTING] = started.azurite.connectionString;
  if (started.serviceBus && isServiceBusPlaceholder(configured[SERVICE_BUS_SETTING])) merged[SERVICE_BUS_SETTING] = started.serviceBus.connectionString;
  return merged;
}
