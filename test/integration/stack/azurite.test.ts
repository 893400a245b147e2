/** In-process Azurite: real Table and Blob APIs on free ports, isolated instances, nothing left listening. */
import { connect } from 'node:net';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../../helpers/azurite';

function isListening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

test('two Azurites are independent, speak the real Table and Blob APIs, and close their ports', async () => {
  const [a, b] = await Promise.all([startAzurite(), startAzurite()]);
  try {
    expect(a.connectionString).toContain(`TableEndpoint=${a.tableUrl};`);
    expect(a.connectionString).toContain(`BlobEndpoint=${a.blobUrl};`);
    const tableA = TableClient.fromConnectionString(a.connectionString, 'checkpoints', { allowInsecureConnection: true });
    await tableA.createTable();
    await tableA.createEntity({ partitionKey: 'sync', rowKey: 'accounts', token: 'v1' });
    // Like Azure: createEntity on an existing key fails with 409.
    await expect(tableA.createEntity({ partitionKey: 'sync', rowKey: 'accounts', token: 'v2' })).rejects.toMatchObject({ statusCode: 409 });

    const blobA = BlobServiceClient.fromConnectionString(a.connectionString).getContainerClient('imports');
    await blobA.create();
    await blobA.getBlockBlobClient('file.csv').upload('id,name\n1,x\n', 12);
    expect((await blobA.getBlockBlobClient('file.csv').downloadToBuffer()).toString()).toBe('id,name\n1,x\n');

    const tableB = TableClient.fromConnectionString(b.connectionString, 'checkpoints', { allowInsecureConnection: true });
    await expect(tableB.getEntity('sync', 'accounts')).rejects.toMatchObject({ statusCode: 404 });
    expect(await BlobServiceClient.fromConnectionString(b.connectionString).getContainerClient('imports').exists()).toBe(false);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
  for (const url of [a.tableUrl, a.blobUrl, b.tableUrl, b.blobUrl]) expect(await isListening(url)).toBe(false);
});
