/**
 * BlobReadPort on Azure Blob Storage: the intake writes change messages too large for Service Bus to
 * container `dvsync-large-messages` (DVSYNC_LARGE_MESSAGE_CONTAINER) of the same storage account
 * (DVSYNC_STORAGE / AzureWebJobsStorage) and queues the message with `blobRef`.
 */
import { BlobServiceClient, RestError } from '@azure/storage-blob';
import { BlobNotFoundError } from './errors';
import type { BlobReadPort } from './ports';
import { serviceEndpoint, storageCredential, usesEntraIdentity } from '../ledger/storage-account';

export class BlobMessageReader implements BlobReadPort {
  constructor(private readonly service: BlobServiceClient) {}

  static fromConnectionString(connectionString: string): BlobMessageReader {
    if (usesEntraIdentity(connectionString))
      return new BlobMessageReader(new BlobServiceClient(serviceEndpoint(connectionString, 'blob'), storageCredential()));
    return new BlobMessageReader(BlobServiceClient.fromConnectionString(connectionString));
  }

  async read(container: string, name: string): Promise<string> {
    try {
      const buffer = await this.service.getContainerClient(container).getBlobClient(name).downloadToBuffer();
      return buffer.toString('utf8');
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) {
        throw new BlobNotFoundError(
          `Blob ${container}/${name} does not exist (${err.code ?? '404'}); the large change message it held is gone. Replay the change from its source.`,
        );
      }
      throw err;
    }
  }
}
