/**
 * Table clients for the ledger, failures and checkpoints tables. The connection comes from
 * DVSYNC_STORAGE, else AzureWebJobsStorage (the Functions host's own storage account).
 */
import { TableClient, TableServiceClient } from '@azure/data-tables';

export const LEDGER_TABLE = 'dvsyncledger';
export const FAILURES_TABLE = 'failures';
export const CHECKPOINTS_TABLE = 'checkpoints';

export class StorageConfigError extends Error {
  override name = 'StorageConfigError';
}

export function storageConnectionString(env: NodeJS.ProcessEnv = process.env): string {
  const cs = env.DVSYNC_STORAGE || env.AzureWebJobsStorage;
  if (!cs) {
    throw new StorageConfigError(
      'No storage connection for the record ledger: set DVSYNC_STORAGE (or AzureWebJobsStorage) to a Table Storage connection string ' +
        '(locally: "UseDevelopmentStorage=true" with Azurite running).',
    );
  }
  return cs;
}

/** A client for one table; plain-http endpoints (Azurite) are allowed explicitly, as the SDK requires. */
export function tableClient(connectionString: string, table: string, maxRetries?: number): TableClient {
  const insecure = /(^|;)\s*(DefaultEndpointsProtocol=http|TableEndpoint=http:)/i.test(connectionString);
  return TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: insecure, ...(maxRetries === undefined ? {} : { retryOptions: { maxRetries } }) });
}

const ensured = new Map<string, Promise<void>>();

/** Creates the table once per process (idempotent on the service: 409 TableAlreadyExists is fine). */
export function ensureTable(connectionString: string, table: string, maxRetries?: number): Promise<void> {
  const id = `${connectionString}\u0000${table}`;
  let p = ensured.get(id);
  if (!p) {
    const insecure = /(^|;)\s*(DefaultEndpointsProtocol=http|TableEndpoint=http:)/i.test(connectionString);
    p = TableServiceClient.fromConnectionString(connectionString, { allowInsecureConnection: insecure, ...(maxRetries === undefined ? {} : { retryOptions: { maxRetries } }) })
      .createTable(table)
      .catch((err) => {
        ensured.delete(id);
        throw err;
      });
    ensured.set(id, p);
  }
  return p;
}
