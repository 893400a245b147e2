/** Clients the operator commands need, from app settings (see app-settings.ts), each needing only its own settings. */
import { ServiceBusClient } from '@azure/service-bus';
import { DefaultAzureCredential } from '@azure/identity';
import type { Env } from '../config/reader';
import { FailureStore } from '../ledger/failures';
import { FAILURES_TABLE, storageConnectionString, tableClient } from '../ledger/tables';
import { SettingsError } from '../config/settings';

export function serviceBusClientFrom(env: Env): ServiceBusClient {
  const cs = env.ServiceBusConnection?.trim();
  if (cs) return new ServiceBusClient(cs);
  const ns = env.ServiceBusConnection__fullyQualifiedNamespace?.trim();
  if (ns) {
    const clientId = env.ServiceBusConnection__clientId?.trim();
    return new ServiceBusClient(ns, new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {}));
  }
  throw new SettingsError([{ setting: 'ServiceBusConnection', problem: 'is missing (and ServiceBusConnection__fullyQualifiedNamespace is not set either)', fix: 'a Service Bus connection string, or ServiceBusConnection__fullyQualifiedNamespace for Entra ID sign-in' }]);
}

export function failuresFrom(env: Env): { store: FailureStore; table: ReturnType<typeof tableClient> } {
  const cs = storageConnectionString(env as NodeJS.ProcessEnv);
  return { store: new FailureStore({ connectionString: cs }), table: tableClient(cs, FAILURES_TABLE) };
}
