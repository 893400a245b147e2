/**
 * Everything the intake handlers need, built once per process from the app settings:
 * settings, compiled routes, the organization allow-list, header auth, the Service Bus publisher and
 * the large-message store. `loadConfiguration` reports settings and routes problems together.
 */
import { loadConfiguration, type Configuration } from '../config/configuration';
import { FailureStore, type FailureRecord, type FailureStorePort } from '../ledger/failures';
import { BlobLargeMessageStore, type LargeMessageStore } from '../queue/large-messages';
import type { ChangePublisher } from '../queue/outgoing';
import { createServiceBusClient, ServiceBusChangePublisher } from '../queue/servicebus';
import { HeaderAuthenticator } from './auth';

export interface IntakeRuntime extends Configuration {
  publisher: ChangePublisher;
  largeMessages?: LargeMessageStore;
  /** Where refused inbound-queue messages are recorded (the `failures` table); absent without storage. */
  failures?: FailureStorePort;
  auth: HeaderAuthenticator;
  /** organizationId (lower case) → environment name. */
  organizations: Map<string, string>;
  /** organization host name (lower case) → environment name. */
  hosts: Map<string, string>;
  now(): Date;
}

export interface RuntimeOverrides {
  publisher?: ChangePublisher;
  largeMessages?: LargeMessageStore | null;
  failures?: FailureStorePort | null;
  now?: () => Date;
}

/** The failures table, created on first use (the webhook path never touches it). */
export function lazyFailureStore(connectionString: string): FailureStorePort {
  let store: FailureStore | undefined;
  return { record: (failures: readonly FailureRecord[]) => (store ??= new FailureStore({ connectionString })).record(failures) };
}

export function createIntakeRuntime(config: Configuration, overrides: RuntimeOverrides = {}): IntakeRuntime {
  const { settings } = config;
  const organizations = new Map<string, string>();
  const hosts = new Map<string, string>();
  for (const [name, env] of Object.entries(settings.environments)) {
    if (env.organizationId) organizations.set(env.organizationId.toLowerCase(), name);
    hosts.set(new URL(env.url).hostname.toLowerCase(), name);
  }
  const publisher =
    overrides.publisher ?? new ServiceBusChangePublisher(createServiceBusClient(settings.serviceBus), settings.serviceBus.changesQueue, settings.intake.retryAfterSeconds);
  const largeMessages = overrides.largeMessages === null ? undefined : (overrides.largeMessages ?? BlobLargeMessageStore.fromSettings(settings.storage));
  const rt: IntakeRuntime = {
    ...config,
    publisher,
    auth: new HeaderAuthenticator({ headerName: settings.intake.headerName, secrets: settings.intake.headerSecrets }),
    organizations,
    hosts,
    now: overrides.now ?? (() => new Date()),
  };
  if (largeMessages) rt.largeMessages = largeMessages;
  const failures = overrides.failures === null ? undefined : (overrides.failures ?? (settings.storage.connectionString ? lazyFailureStore(settings.storage.connectionString) : undefined));
  if (failures) rt.failures = failures;
  return rt;
}

let cached: Promise<IntakeRuntime> | undefined;

/** The process-wide runtime from process.env (loaded on first use; a configuration error is remembered). */
export function intakeRuntime(): Promise<IntakeRuntime> {
  cached ??= Promise.resolve().then(() => createIntakeRuntime(loadConfiguration(process.env)));
  return cached;
}

/** Closes the process-wide runtime's queue connection and forgets it (host shutdown, tests). */
export async function closeIntakeRuntime(): Promise<void> {
  const current = cached;
  cached = undefined;
  const rt = await current?.catch(() => undefined);
  await rt?.publisher.close();
}
