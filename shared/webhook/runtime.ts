/**
 * Everything the intake handlers need: settings, compiled routes, the organization allow-list, header auth,
 * and the clients the composition root (shared/app) hands over: the Service Bus publisher, the large-message
 * store and the failures table. This file builds only what is derived from the configuration.
 */
import type { Configuration } from '../config/configuration';
import type { FailureStorePort } from '../ledger/failures';
import type { LargeMessageStore } from '../queue/large-messages';
import type { ChangePublisher } from '../queue/outgoing';
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

/** The clients an intake runtime uses; the composition root builds them. */
export interface IntakeClients {
  publisher: ChangePublisher;
  largeMessages?: LargeMessageStore;
  failures?: FailureStorePort;
  now?: () => Date;
}

export function intakeRuntimeOf(config: Configuration, clients: IntakeClients): IntakeRuntime {
  const { settings } = config;
  const organizations = new Map<string, string>();
  const hosts = new Map<string, string>();
  for (const [name, env] of Object.entries(settings.environments)) {
    if (env.organizationId) organizations.set(env.organizationId.toLowerCase(), name);
    hosts.set(new URL(env.url).hostname.toLowerCase(), name);
  }
  const rt: IntakeRuntime = {
    ...config,
    publisher: clients.publisher,
    auth: new HeaderAuthenticator({ headerName: settings.intake.headerName, secrets: settings.intake.headerSecrets }),
    organizations,
    hosts,
    now: clients.now ?? (() => new Date()),
  };
  if (clients.largeMessages) rt.largeMessages = clients.largeMessages;
  if (clients.failures) rt.failures = clients.failures;
  return rt;
}
