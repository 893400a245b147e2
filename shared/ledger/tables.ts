/**
 * Table clients for the ledger, failures and checkpoints tables. The connection comes from
 * DVSYNC_STORAGE, else AzureWebJobsStorage (the Functions host's own storage account), else their
 * identity-based forms (`__accountName`, `__tableServiceUri`; see storage-account.ts).
 */
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { identityConnectionString } from '../config/storage-identity';
import { serviceEndpoint, storageCredential, usesEntraIdentity } from './storage-account';

export const LEDGER_TABLE = 'dvsyncledger';
export const FAILURES_TABLE = 'failures';
export const CHECKPOINTS_TABLE = 'checkpoints';
export const CIRCUITS_TABLE = 'dvsynccircuits';

export class StorageConfigError extends Error {
  override name = 'StorageConfigError';
}

/** The connection from raw settings; the app reads it once as `settings.storage.accountConnection` (shared/config/settings.ts). */
export function storageConnectionString(env: NodeJS.ProcessEnv = process.env): string {
  return requireStorageConnection(env.DVSYNC_STORAGE || env.AzureWebJobsStorage || identityConnectionString(env));
}

/** The connection, or the StorageConfigError that says which settings to set. */
export function requireStorageConnection(connection: string | undefined): string {
  if (!connection) {
    throw new StorageConfigError(
      'No storage connection for the record ledger: set DVSYNC_STORAGE (or AzureWebJobsStorage) to a Table Storage connection string ' +
        '(locally: "UseDevelopmentStorage=true" with Azurite running), or AzureWebJobsStorage__accountName for Entra identity.',
    );
  }
  return connection;
}

/** A client for one table; plain-http endpoints (Azurite) are allowed explicitly, as the SDK requires. */
export function tableClient(connectionString: string, table: string, maxRetries?: number): TableClient {
  const retry = maxRetries === undefined ? {} : { retryOptions: { maxRetries } };
  if (usesEntraIdentity(connectionString)) return new TableClient(serviceEndpoint(connectionString, 'table'), table, storageCredential(), retry);
  return TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: isPlainHttp(connectionString), ...retry });
}

function tableService(connectionString: string, maxRetries?: number): TableServiceClient {
  const retry = maxRetries === undefined ? {} : { retryOptions: { maxRetries } };
  if (usesEntraIdentity(connectionString)) return new TableServiceClient(serviceEndpoint(connectionString, 'table'), storageCredential(), retry);
  return TableServiceClient.fromConnectionString(connectionString, { allowInsecureConnection: isPlainHttp(connectionString), ...retry });
}

/** Azurite speaks plain http; the SDK refuses that unless told explicitly. */
function isPlainHttp(connectionString: string): boolean {
  return /(^|;)\s*(DefaultEndpointsProtocol=http|TableEndpoint=http:)/i.test(connectionString);
}

const ensured = new Map<string, Promise<void>>();

/** Creates the table once per process (idempotent on the service: 409 TableAlreadyExists is fine). */
export function ensureTable(connectionString: string, table: string, maxRetries?: number): Promise<void> {
  const id = `${connectionString}\u0000${table}`;
  let p = ensured.get(id);
  if (!p) {
    p = tableService(connectionString, maxRetries)
      .createTable(table)
      .catch((err) => {
        ensured.delete(id);
        throw err;
      });
    ensured.set(id, p);
  }
  return p;
}

/**
 * A client for one table plus the promise that the table exists. The promise never rejects unhandled:
 * a failure to create the table surfaces from the first call that awaits `ready`.
 */
export function openTable(connectionString: string, table: string, maxRetries?: number): { client: TableClient; ready: Promise<void> } {
  const ready = ensureTable(connectionString, table, maxRetries);
  ready.catch(() => undefined);
  return { client: tableClient(connectionString, table, maxRetries), ready };
}
