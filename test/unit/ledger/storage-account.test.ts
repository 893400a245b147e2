/** Storage reached with a key (Azurite, keyed accounts) or with Entra identity (the Bicep deployment: no shared keys). */
import { identityConnectionString, serviceEndpoint, usesEntraIdentity } from '../../../shared/ledger/storage-account';
import { storageConnectionString, tableClient } from '../../../shared/ledger/tables';
import { BlobMessageReader } from '../../../shared/engine/blob-reader';

const AZURITE =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;';

describe('storage connection', () => {
  it('uses a keyed connection string as it is, and AzureWebJobsStorage__accountName (as Bicep sets it) as an identity connection', () => {
    expect(storageConnectionString({ AzureWebJobsStorage: AZURITE })).toBe(AZURITE);
    expect(usesEntraIdentity(AZURITE)).toBe(false);
    expect(usesEntraIdentity('UseDevelopmentStorage=true')).toBe(false);
    const identity = storageConnectionString({ AzureWebJobsStorage__accountName: 'stdvsync' });
    expect(identity).toBe('TableEndpoint=https://stdvsync.table.core.windows.net;BlobEndpoint=https://stdvsync.blob.core.windows.net');
    expect(usesEntraIdentity(identity)).toBe(true);
  });

  it('prefers explicit service URIs, and DVSYNC_STORAGE over AzureWebJobsStorage', () => {
    expect(identityConnectionString({ DVSYNC_STORAGE__tableServiceUri: 'https://own.table.core.windows.net', AzureWebJobsStorage__accountName: 'jobs' })).toBe(
      'TableEndpoint=https://own.table.core.windows.net',
    );
    expect(identityConnectionString({})).toBeUndefined();
    expect(() => storageConnectionString({})).toThrow(/AzureWebJobsStorage__accountName/);
  });

  it('derives endpoints from AccountName when a connection string has none, and says what is missing otherwise', () => {
    expect(serviceEndpoint('AccountName=acct;EndpointSuffix=core.chinacloudapi.cn', 'blob')).toBe('https://acct.blob.core.chinacloudapi.cn');
    expect(serviceEndpoint(AZURITE, 'table')).toBe('http://127.0.0.1:10002/devstoreaccount1');
    expect(() => serviceEndpoint('TableEndpoint=https://x.table.core.windows.net', 'blob')).toThrow(/BlobEndpoint or AccountName/);
  });

  it('builds token-authenticated clients for an identity connection (no key ever needed)', () => {
    const identity = storageConnectionString({ AzureWebJobsStorage__accountName: 'stdvsync' });
    expect(tableClient(identity, 'dvsyncledger').url).toBe('https://stdvsync.table.core.windows.net');
    expect(BlobMessageReader.fromConnectionString(identity)).toBeInstanceOf(BlobMessageReader);
    expect(tableClient(AZURITE, 'dvsyncledger').url).toBe('http://127.0.0.1:10002/devstoreaccount1');
  });
});
