/**
 * Resolves a trigger's `connection` the way Functions does: the app setting `<connection>` holds a
 * connection string, or `<connection>__fullyQualifiedNamespace` names a namespace reached with an
 * Entra identity (`<connection>__credential=managedidentity` + `__clientId` for a user-assigned one).
 */
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { ServiceBusClient } from '@azure/service-bus';

export function serviceBusClientFor(connection: string, settings: Record<string, string>, functionName: string, tryTimeoutMs: number): ServiceBusClient {
  const options = { retryOptions: { timeoutInMs: tryTimeoutMs } };
  const connectionString = settings[connection] ?? settings[`AzureWebJobs${connection}`];
  if (connectionString) {
    if (!/Endpoint=sb:\/\//i.test(connectionString)) {
      throw new Error(
        `Function "${functionName}": app setting "${connection}" is not a Service Bus connection string ` +
          `(expected "Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…").`,
      );
    }
    return new ServiceBusClient(connectionString, options);
  }
  const namespace = settings[`${connection}__fullyQualifiedNamespace`];
  if (namespace) {
    const credential: TokenCredential =
      settings[`${connection}__credential`]?.toLowerCase() === 'managedidentity'
        ? new ManagedIdentityCredential(settings[`${connection}__clientId`] ? { clientId: settings[`${connection}__clientId`] } : {})
        : new DefaultAzureCredential();
    return new ServiceBusClient(namespace, credential, options);
  }
  throw new Error(
    `Function "${functionName}": connection "${connection}" is not configured. Set app setting "${connection}" to a ` +
      `Service Bus connection string, or "${connection}__fullyQualifiedNamespace" to <namespace>.servicebus.windows.net ` +
      `(local.settings.json Values, or the environment).`,
  );
}
