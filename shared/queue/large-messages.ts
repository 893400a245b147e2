/**
 * Change messages too large for Service Bus are never dropped:
 * - with blob storage: the full ChangeMessage goes to a blob and the queue gets the message with `blobRef`
 *   and empty values (the worker reads the blob);
 * - without it (not configured, or failing): a Dataverse change becomes a re-read instruction
 *   (`reread: true`, values trimmed; the worker reads the row), an external record cannot be re-read,
 *   so it is refused (MessageTooLargeError, permanent) or, when storage failed, StorageUnavailableError (transient).
 */
import { DefaultAzureCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type { OutgoingChange } from './outgoing';

export interface LargeMessageStore {
  put(name: string, json: string): Promise<{ container: string; name: string }>;
}

export class MessageTooLargeError extends Error {
  readonly transient = false;
  constructor(
    readonly messageId: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      `The change message ${messageId} is ${bytes} bytes, over the ${limit}-byte queue limit, and no blob storage is configured to hold it (set DVSYNC_STORAGE or AzureWebJobsStorage).`,
    );
    this.name = 'MessageTooLargeError';
  }
}

export class StorageUnavailableError extends Error {
  readonly transient = true;
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'StorageUnavailableError';
  }
}

/**
 * The SDK's default (4 tries, backoff up to 2 minutes) would outlast the caller: a webhook must answer
 * (202 with `reread`, or 503) long before Dataverse gives up on the request.
 */
const BLOB_RETRY = { maxTries: 2, tryTimeoutInMs: 15_000, retryDelayInMs: 200, maxRetryDelayInMs: 1_000 };

export class BlobLargeMessageStore implements LargeMessageStore {
  private ready: Promise<ContainerClient> | undefined;
  constructor(
    private readonly service: BlobServiceClient,
    private readonly containerName: string,
  ) {}

  static fromSettings(s: { connectionString?: string; blobServiceUri?: string; largeMessageContainer: string }): BlobLargeMessageStore | undefined {
    if (s.connectionString)
      return new BlobLargeMessageStore(BlobServiceClient.fromConnectionString(s.connectionString, { retryOptions: BLOB_RETRY }), s.largeMessageContainer);
    if (s.blobServiceUri)
      return new BlobLargeMessageStore(
        new BlobServiceClient(s.blobServiceUri, new DefaultAzureCredential(), { retryOptions: BLOB_RETRY }),
        s.largeMessageContainer,
      );
    return undefined;
  }

  private container(): Promise<ContainerClient> {
    this.ready ??= (async () => {
      const c = this.service.getContainerClient(this.containerName);
      await c.createIfNotExists();
      return c;
    })().catch((e) => {
      this.ready = undefined; // try again on the next message
      throw e;
    });
    return this.ready;
  }

  async put(name: string, json: string): Promise<{ container: string; name: string }> {
    const c = await this.container();
    const data = Buffer.from(json, 'utf8');
    await c.getBlockBlobClient(name).upload(data, data.length, { blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8' } });
    return { container: this.containerName, name };
  }
}

export function messageBytes(change: OutgoingChange): number {
  return Buffer.byteLength(JSON.stringify(change.body), 'utf8');
}

/** Returns the changes with oversized bodies moved to blob storage or turned into re-read instructions. */
export async function offloadLargeMessages(changes: OutgoingChange[], thresholdBytes: number, store: LargeMessageStore | undefined): Promise<OutgoingChange[]> {
  return Promise.all(
    changes.map(async (change) => {
      const bytes = messageBytes(change);
      if (bytes <= thresholdBytes) return change;
      const blobName = `${change.messageId.replace(/:/g, '/')}.json`;
      let storeError: unknown;
      if (store) {
        try {
          const blobRef = await store.put(blobName, JSON.stringify(change.body));
          return {
            ...change,
            body: { ...change.body, values: {}, blobRef },
            applicationProperties: { ...change.applicationProperties, blobRef: `${blobRef.container}/${blobRef.name}` },
          };
        } catch (e) {
          storeError = e;
        }
      }
      if (change.body.origin === 'webhook' && change.body.source.id) {
        return { ...change, body: { ...change.body, values: {}, reread: true }, applicationProperties: { ...change.applicationProperties, reread: true } };
      }
      if (storeError !== undefined)
        throw new StorageUnavailableError(
          `Blob storage could not take the large change message ${change.messageId}: ${(storeError as Error).message}`,
          storeError,
        );
      throw new MessageTooLargeError(change.messageId, bytes, thresholdBytes);
    }),
  );
}
