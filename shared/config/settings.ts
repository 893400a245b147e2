/**
 * Every app setting of the whole app, validated once at startup: `loadSettings(env = process.env)`.
 * Settings are split by concern (one function per section below); defaults live here and nowhere else.
 * On any problem it throws SettingsError listing EVERY missing or invalid setting with what to put there.
 * Extension point: add a section (a function taking a SettingsReader) and one line in `loadSettings`.
 * Documentation: `settingsCatalogue()` lists every setting read; local.settings.sample.json must match it.
 */
import { environmentsSchema, type Environments } from './environments';
import { SettingsError, SettingsReader, type Env, type SettingDoc, type SettingIssue } from './reader';
import { identityConnectionString } from './storage-identity';
import { syncSettings, type SyncSettings } from './sync';

export { SettingsError, type Env, type SettingDoc, type SettingIssue } from './reader';

export interface ServiceBusSettings {
  /** ServiceBusConnection: a connection string. */
  connectionString?: string;
  /** ServiceBusConnection__fullyQualifiedNamespace: managed identity (DefaultAzureCredential). */
  fullyQualifiedNamespace?: string;
  /** ServiceBusConnection__clientId: a user-assigned identity's client id. */
  managedIdentityClientId?: string;
  changesQueue: string;
  inboundQueue: string;
  /** The changes queue's lockDuration: the worker finishes or reschedules a batch before its locks end. */
  changesLockMs: number;
  /** Per-attempt timeout of a send; the webhook must answer Dataverse within 60 s. */
  sendTimeoutMs: number;
  sendRetries: number;
}

export interface IntakeSettings {
  writeTag: string;
  sessionBuckets: number;
  maxBodyBytes: number;
  headerName: string;
  /** DVSYNC_WEBHOOK_SECRET plus every DVSYNC_WEBHOOK_SECRET_<suffix> (rotation). Empty: header auth off. */
  headerSecrets: string[];
  /** Retry-After (seconds) on 503 answers. */
  retryAfterSeconds: number;
}

export interface StorageSettings {
  /** DVSYNC_STORAGE, else AzureWebJobsStorage (connection strings). */
  connectionString?: string;
  /** DVSYNC_STORAGE__blobServiceUri / AzureWebJobsStorage__blobServiceUri: managed identity. */
  blobServiceUri?: string;
  /**
   * The account of the tables (ledger, failures, checkpoints, circuits) and of the worker's blob reads: the
   * connection string, else the keyless identity connection from `__accountName` / `__tableServiceUri` / `__blobServiceUri`.
   */
  accountConnection?: string;
  largeMessageContainer: string;
  /** A change message body above this many bytes goes to blob storage (Service Bus Standard allows 256 KB per message). */
  largeMessageThresholdBytes: number;
}

export interface RoutesSettings {
  file?: string;
  inline?: string;
  /** Base for a relative DVSYNC_ROUTES_FILE: AzureWebJobsScriptRoot (set by the Functions host), else the working directory. */
  appRoot: string;
}

export interface Settings {
  environments: Environments;
  /** The value of every setting a clientSecret credential names (`clientSecretSetting`), for the token providers. */
  credentialSecrets: Readonly<Record<string, string>>;
  routes: RoutesSettings;
  serviceBus: ServiceBusSettings;
  intake: IntakeSettings;
  storage: StorageSettings;
  telemetry: { appInsightsConnectionString?: string };
  sync: SyncSettings;
}

const ENVIRONMENTS_EXAMPLE = '{"source":{"url":"https://contoso.crm4.dynamics.com","organizationId":"<guid>","credentials":[{"type":"managedIdentity"}]}}';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A Key Vault reference the platform could not resolve stays in the setting as its own text (Learn: app-service-key-vault-references, "Troubleshooting"). */
const UNRESOLVED_KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\(/i;

function environments(r: SettingsReader): Environments {
  const envs = r.json('DVSYNC_ENVIRONMENTS', environmentsSchema, {
    description: 'Dataverse environments (JSON): name → {url, organizationId, credentials}. Webhook events from any other organization are refused.',
    required: true,
    example: ENVIRONMENTS_EXAMPLE,
  });
  const appIdentity = r.string('AZURE_CLIENT_ID', {
    description:
      "Client id of the app's user-assigned managed identity (infra sets it). A managedIdentity credential without clientId uses it; unset: the system-assigned identity.",
    example: '<guid>',
    pattern: GUID,
    fix: 'the client id (a GUID) of a user-assigned identity of the app, or nothing for the system-assigned identity',
  });
  for (const [name, env] of Object.entries(envs ?? {})) {
    for (const c of env.credentials) {
      if (c.type === 'clientSecret' && r.raw(c.clientSecretSetting) === undefined)
        r.issue(
          c.clientSecretSetting,
          `is missing (environment "${name}" names it as clientSecretSetting)`,
          'the client secret (in Azure: a Key Vault reference)',
        );
      else if (c.type === 'clientSecret' && UNRESOLVED_KEY_VAULT_REFERENCE.test(r.raw(c.clientSecretSetting)!.trim()))
        r.issue(
          c.clientSecretSetting,
          `is a Key Vault reference the platform could not resolve (environment "${name}" names it as clientSecretSetting)`,
          "a reference the app's identity can read: the secret exists, the URI is right, the identity has Key Vault Secrets User (see the app's Key Vault reference status)",
        );
    }
  }
  return withAppIdentity(envs ?? {}, appIdentity);
}

/**
 * The one rule for a `managedIdentity` credential without `clientId`: it is the app's user-assigned identity named
 * by AZURE_CLIENT_ID when that is set (infra/modules/functionapp.bicep sets it; the app has no system-assigned
 * identity there), else the system-assigned identity. Resolved here, once, so the token providers, the lane labels
 * and `dvsync settings check` all see the identity that is used.
 */
export function withAppIdentity(envs: Environments, appIdentity: string | undefined): Environments {
  if (!appIdentity) return envs;
  return Object.fromEntries(
    Object.entries(envs).map(([name, env]) => [
      name,
      { ...env, credentials: env.credentials.map((c) => (c.type === 'managedIdentity' && !c.clientId ? { ...c, clientId: appIdentity } : c)) },
    ]),
  );
}

function routes(r: SettingsReader): RoutesSettings {
  const file = r.string('DVSYNC_ROUTES_FILE', { description: 'Path of the routes file (relative to the app root), e.g. routes.json.', example: 'routes.json' });
  const inline = r.string('DVSYNC_ROUTES', {
    description: 'The routes file inline (JSON); used when DVSYNC_ROUTES_FILE is not set.',
    example: '{"routes":[...]}',
  });
  if (!file && !inline) r.issue('DVSYNC_ROUTES_FILE', 'is missing (and DVSYNC_ROUTES is not set either)', 'the path of your routes file, e.g. routes.json');
  const appRoot = r.raw('AzureWebJobsScriptRoot') ?? process.cwd();
  return { ...(file ? { file } : {}), ...(inline && !file ? { inline } : {}), appRoot };
}

export const QUEUE_DEFAULTS = { changes: 'dvsync-changes', inbound: 'dvsync-inbound' } as const;

/**
 * The queues the Service Bus triggers listen on, for their registration (the host needs literal names when it
 * loads the app, before or without a valid configuration): the same settings, rule and defaults as loadSettings.
 */
export function queueNamesFrom(env: Env): { changes: string; inbound: string } {
  return { changes: env.DVSYNC_CHANGES_QUEUE?.trim() || QUEUE_DEFAULTS.changes, inbound: env.DVSYNC_INBOUND_QUEUE?.trim() || QUEUE_DEFAULTS.inbound };
}

function serviceBus(r: SettingsReader): ServiceBusSettings {
  const connectionString = r.string('ServiceBusConnection', {
    description:
      'Service Bus connection string (Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…). Or use ServiceBusConnection__fullyQualifiedNamespace.',
    example: 'Endpoint=sb://<ns>.servicebus.windows.net/;SharedAccessKeyName=…;SharedAccessKey=…',
    pattern: /^Endpoint=sb:\/\//i,
    fix: 'a connection string starting with Endpoint=sb://',
    secret: true,
  });
  const fullyQualifiedNamespace = r.string('ServiceBusConnection__fullyQualifiedNamespace', {
    description: 'Service Bus namespace host for managed identity, e.g. <ns>.servicebus.windows.net.',
    example: '<ns>.servicebus.windows.net',
    pattern: /^[A-Za-z0-9.-]+(:\d+)?$/,
    fix: 'a host name like <ns>.servicebus.windows.net',
  });
  const managedIdentityClientId = r.string('ServiceBusConnection__clientId', {
    description: 'Client id of a user-assigned managed identity for Service Bus (optional).',
    example: '<guid>',
  });
  if (!connectionString && !fullyQualifiedNamespace)
    r.issue(
      'ServiceBusConnection',
      'is missing (and ServiceBusConnection__fullyQualifiedNamespace is not set either)',
      'a Service Bus connection string, or set ServiceBusConnection__fullyQualifiedNamespace for managed identity',
    );
  return {
    ...(connectionString ? { connectionString } : {}),
    ...(fullyQualifiedNamespace && !connectionString ? { fullyQualifiedNamespace } : {}),
    ...(managedIdentityClientId ? { managedIdentityClientId } : {}),
    changesQueue: r
      .string('DVSYNC_CHANGES_QUEUE', { description: 'Queue of ChangeMessages (session-enabled, duplicate detection on).', default: QUEUE_DEFAULTS.changes })
      .trim(),
    changesLockMs:
      1000 *
      r.integer('DVSYNC_CHANGES_LOCK_SECONDS', {
        description:
          "The changes queue's lockDuration in seconds (infra: PT5M). A batch's locks are not renewed, so the worker writes until this less a reserve and reschedules the rest.",
        default: 300,
        min: 10,
        max: 300,
      }),
    inboundQueue: r
      .string('DVSYNC_INBOUND_QUEUE', { description: 'Queue external systems send records to (forwarded as ChangeMessages).', default: QUEUE_DEFAULTS.inbound })
      .trim(),
    sendTimeoutMs: r.integer('DVSYNC_QUEUE_SEND_TIMEOUT_MS', {
      description: 'Timeout of one Service Bus send attempt (ms).',
      default: 10_000,
      min: 100,
      max: 50_000,
    }),
    sendRetries: r.integer('DVSYNC_QUEUE_SEND_RETRIES', { description: 'Retries of a failed send before answering 503.', default: 2, min: 0, max: 5 }),
  };
}

function intake(r: SettingsReader): IntakeSettings {
  const headerSecrets = Object.keys(r.env)
    .filter((k) => k === 'DVSYNC_WEBHOOK_SECRET' || k.startsWith('DVSYNC_WEBHOOK_SECRET_'))
    .sort()
    .map((k) => r.raw(k))
    .filter((v): v is string => v !== undefined);
  r.string('DVSYNC_WEBHOOK_SECRET', {
    description: 'Optional HttpHeader auth secret; add DVSYNC_WEBHOOK_SECRET_<suffix> (e.g. _NEXT) to accept several during rotation.',
    example: '<random 32+ chars>',
  });
  for (const s of headerSecrets)
    if (s.length < 16)
      r.issue('DVSYNC_WEBHOOK_SECRET', 'a webhook secret is shorter than 16 characters', 'a random secret of at least 16 (better 32) characters');
  return {
    writeTag: r.string('DVSYNC_WRITE_TAG', {
      description: 'Tag our own Dataverse writes carry (?tag=…); events with it are echo and skipped.',
      default: 'dvsync',
      pattern: /^[\w.-]{1,64}$/,
      fix: 'letters, digits, "_", "." or "-" (1-64)',
    }),
    sessionBuckets: r.integer('DVSYNC_SESSION_BUCKETS', {
      description: 'Ordering buckets (Service Bus sessions) per target environment.',
      default: 64,
      min: 1,
      max: 4096,
    }),
    maxBodyBytes: r.integer('DVSYNC_WEBHOOK_MAX_BODY_BYTES', {
      description: 'Largest webhook/ingest body accepted (bytes); larger → 413.',
      default: 1_048_576,
      min: 65_536,
      max: 104_857_600,
    }),
    headerName: r
      .string('DVSYNC_WEBHOOK_HEADER', {
        description: 'Header carrying the HttpHeader auth secret.',
        default: 'x-dvsync-secret',
        pattern: /^[A-Za-z0-9-]{1,64}$/,
        fix: 'a header name (letters, digits, -)',
      })
      .toLowerCase(),
    headerSecrets,
    retryAfterSeconds: r.integer('DVSYNC_RETRY_AFTER_SECONDS', { description: 'Retry-After on 503 answers (seconds).', default: 30, min: 1, max: 3600 }),
  };
}

function storage(r: SettingsReader): StorageSettings {
  const own = r.string('DVSYNC_STORAGE', {
    description: 'Storage connection string for large messages; defaults to AzureWebJobsStorage.',
    example: 'UseDevelopmentStorage=true',
  });
  const jobs = r.string('AzureWebJobsStorage', {
    description: 'The Functions host storage (connection string); also used for large messages unless DVSYNC_STORAGE is set.',
    example: 'UseDevelopmentStorage=true',
  });
  const uri =
    r.string('DVSYNC_STORAGE__blobServiceUri', {
      description: 'Blob endpoint for managed identity (large messages).',
      example: 'https://<account>.blob.core.windows.net',
    }) ?? r.raw('AzureWebJobsStorage__blobServiceUri');
  const connectionString = own ?? jobs;
  const accountConnection = connectionString ?? identityConnectionString(r.env);
  return {
    ...(connectionString ? { connectionString } : {}),
    ...(uri && !connectionString ? { blobServiceUri: uri } : {}),
    ...(accountConnection ? { accountConnection } : {}),
    largeMessageContainer: r.string('DVSYNC_LARGE_MESSAGE_CONTAINER', {
      description: 'Blob container for change messages too large for Service Bus.',
      default: 'dvsync-large-messages',
      pattern: /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/,
      fix: 'a blob container name (3-63 lower-case letters, digits, -)',
    }),
    largeMessageThresholdBytes: r.integer('DVSYNC_LARGE_MESSAGE_BYTES', {
      description: 'Change message bodies above this size go to blob storage.',
      default: 200_000,
      min: 1_024,
      max: 100_000_000,
    }),
  };
}

function telemetry(r: SettingsReader): Settings['telemetry'] {
  const cs = r.string('APPLICATIONINSIGHTS_CONNECTION_STRING', {
    description: 'Application Insights; the Functions host ships our logs there when set.',
    example: 'InstrumentationKey=…;IngestionEndpoint=…',
  });
  return cs ? { appInsightsConnectionString: cs } : {};
}

/** Checked present by `environments` (a missing one is reported there). */
function credentialSecrets(env: Env, environments: Environments): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const environment of Object.values(environments)) {
    for (const c of environment.credentials) {
      const value = c.type === 'clientSecret' ? env[c.clientSecretSetting] : undefined;
      if (c.type === 'clientSecret' && value !== undefined && value.trim() !== '') secrets[c.clientSecretSetting] = value;
    }
  }
  return secrets;
}

const catalogue: SettingDoc[] = [];

/** The sections of the settings, by their key in Settings. */
export type SettingsSection = Exclude<keyof Settings, 'credentialSecrets'>;

export const SETTINGS_SECTIONS: readonly SettingsSection[] = ['environments', 'routes', 'serviceBus', 'intake', 'storage', 'telemetry', 'sync'];

export interface LoadSettingsOptions {
  /**
   * Sections a caller does not use, whose problems do not stop it: `dvsync import` writes in-process and
   * never touches Service Bus; `dvsync circuits` needs only storage. Their values are still read (defaults
   * applied) so the shape stays whole.
   */
  unused?: readonly SettingsSection[];
}

export function loadSettings(env: Env = process.env, options: LoadSettingsOptions = {}): Settings {
  const issues: SettingIssue[] = [];
  const unused = new Set<string>(options.unused ?? []);
  const section = <T>(name: string, read: (r: SettingsReader) => T, key: SettingsSection): T => {
    const r = new SettingsReader(env, name, catalogue);
    const v = read(r);
    if (!unused.has(key)) issues.push(...r.issues);
    return v;
  };
  const environmentsRead = section('Dataverse environments', environments, 'environments');
  const settings: Settings = {
    environments: environmentsRead,
    credentialSecrets: credentialSecrets(env, environmentsRead),
    routes: section('Routes', routes, 'routes'),
    serviceBus: section('Service Bus', serviceBus, 'serviceBus'),
    intake: section('Webhook and ingest', intake, 'intake'),
    storage: section('Storage (large messages)', storage, 'storage'),
    telemetry: section('Telemetry', telemetry, 'telemetry'),
    sync: section('Incremental sync', syncSettings, 'sync'),
  };
  if (issues.length) throw new SettingsError(issues);
  return settings;
}

/** Every setting `loadSettings` reads, with descriptions and defaults (for docs and the sample settings file). */
export function settingsCatalogue(): SettingDoc[] {
  try {
    loadSettings({});
  } catch {
    // An empty environment is invalid; reading it still registers every setting.
  }
  return [...catalogue];
}
