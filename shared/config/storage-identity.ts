/**
 * The storage account reached with Entra identity (Bicep deploys it with shared keys disabled): the
 * identity-based settings the Functions host itself reads, `<prefix>__accountName` or
 * `<prefix>__tableServiceUri` / `__blobServiceUri`, become a keyless connection string
 * (`TableEndpoint=…;BlobEndpoint=…`). Here, not in shared/ledger, because the settings are read here once.
 */
import type { Env } from './reader';

const PREFIXES = ['DVSYNC_STORAGE', 'AzureWebJobsStorage'] as const;

/** The keyless connection string for identity-based settings, or undefined when none are set. */
export function identityConnectionString(env: Env): string | undefined {
  for (const prefix of PREFIXES) {
    const account = env[`${prefix}__accountName`];
    const table = env[`${prefix}__tableServiceUri`] || (account ? `https://${account}.table.core.windows.net` : undefined);
    const blob = env[`${prefix}__blobServiceUri`] || (account ? `https://${account}.blob.core.windows.net` : undefined);
    if (table || blob) return [table && `TableEndpoint=${table}`, blob && `BlobEndpoint=${blob}`].filter(Boolean).join(';');
  }
  return undefined;
}
