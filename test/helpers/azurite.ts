/** Azurite (Table + Blob) in memory on free ports, for tests that need real storage. */
import { startAzurite as startAzuriteEmulator } from '../../emulators/azurite';

export interface TestAzurite {
  tableUrl: string;
  blobUrl: string;
  connectionString: string;
  close(): Promise<void>;
}

export async function startAzurite(): Promise<TestAzurite> {
  const azurite = await startAzuriteEmulator({ tablePort: 0, blobPort: 0 });
  return { tableUrl: azurite.tableUrl, blobUrl: azurite.blobUrl, connectionString: azurite.connectionString, close: azurite.close };
}
