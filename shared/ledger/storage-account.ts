/**
 * Which storage account the engine's tables and blobs live in, and how it is reached.
 * A connection string with a key or SAS (Azurite, or a keyed account) is used as it is. Without one
 * (Bicep deploys the account with shared keys disabled), the account is reached with Entra identity:
 * the identity-based settings the Functions host itself reads, `<prefix>__accountName` or
 * `<prefix>__tableServiceUri` / `__blobServiceUri`, become a keyless connection string
 * (`TableEndpoint=…;BlobEndpoint=…`), and clients authenticate with DefaultAzureCredential
 * (AZURE_CLIENT_ID selects the user-assigned identity).
 */
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';

/** Read with the settings (shared/config/storage-identity.ts); here too for the table and blob clients' callers. */
export { identityConnectionString } from '../config/storage-identity';

/** True when the connection string carries no secret, so the account must be reached with Entra identity. */
export function usesEntraIdentity(connectionString: string): boolean {
  return !/(^|;)\s*(AccountKey|SharedAccessSignature)\s*=|UseDevelopmentStorage\s*=\s*true/i.test(connectionString);
}

/** The table or blob endpoint a connection string names (explicit endpoint, else derived from AccountName). */
export function serviceEndpoint(connectionString: string, service: 'table' | 'blob'): string {
  const parts = new Map(
    connectionString
      .split(';')
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => [p.slice(0, p.indexOf('=')).toLowerCase(), p.slice(p.indexOf('=') + 1)] as const),
  );
  const explicit = parts.get(`${service}endpoint`);
  if (explicit) return explicit;
  const account = parts.get('accountname');
  if (!account)
    throw new Error(
      `The storage connection names no ${service} endpoint and no AccountName; set ${service === 'table' ? 'TableEndpoint' : 'BlobEndpoint'} or AccountName.`,
    );
  return `${parts.get('defaultendpointsprotocol') ?? 'https'}://${account}.${service}.${parts.get('endpointsuffix') ?? 'core.windows.net'}`;
}

let credential: TokenCredential | undefined;
/** One credential per process: it caches tokens. */
export function storageCredential(): TokenCredential {
  return (credential ??= new DefaultAzureCredential());
}
