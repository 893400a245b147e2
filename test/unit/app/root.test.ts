/**
 * The composition root: each part built once and shared by the doors; configuration errors retried; operator roots
 * validate only what they use. No network: the parts that create their table at once (ledger, failures,
 * checkpoints, circuits) are left out.
 */
import { appRoot, closeAppRoot, createAppRoot, operatorRoot } from '../../../shared/app';
import { SettingsError } from '../../../shared/config/settings';
import { StorageConfigError } from '../../../shared/ledger/tables';

/** Never contacted: nothing here reaches the network. */
const ENDPOINT = 'http://127.0.0.1:1/devstoreaccount1';
const AZURITE = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=${ENDPOINT};TableEndpoint=${ENDPOINT};`;

const env = (extra: Record<string, string> = {}): Record<string, string> => ({
  DVSYNC_ENVIRONMENTS: JSON.stringify({
    source: {
      url: 'https://source.crm.dynamics.com',
      credentials: [{ type: 'clientSecret', tenantId: 't', clientId: 'c', clientSecretSetting: 'SOURCE_SECRET' }],
    },
    target: { url: 'https://target.crm.dynamics.com', credentials: [{ type: 'staticToken', token: 'y' }] },
  }),
  SOURCE_SECRET: 's3cret',
  DVSYNC_ROUTES: JSON.stringify({
    routes: [
      {
        name: 'accounts',
        source: { environment: 'source', table: 'account', sync: { enabled: true } },
        target: { environment: 'target', table: 'account', entitySet: 'accounts', key: ['dvs_sourceid'], columns: { dvs_sourceid: 'accountid' } },
      },
    ],
  }),
  ServiceBusConnection: 'Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=k;SharedAccessKey=k;UseDevelopmentEmulator=true',
  ...extra,
});

afterEach(() => closeAppRoot());

describe('AppRoot', () => {
  it('builds each part once and hands the same parts to every door', async () => {
    const checkpoints = { get: async () => undefined, commit: async () => 'etag' };
    const root = createAppRoot(env({ DVSYNC_STORAGE: AZURITE }), { overrides: { syncCheckpoints: checkpoints } });
    try {
      expect(root.pools()).toBe(root.pools());
      expect(root.pools()('target')).toBe(root.pools()('target'));
      expect(root.failuresTable()).toBe(root.failuresTable());
      expect(root.intake()).toBe(root.intake());
      expect(root.intake().publisher).toBe(root.changePublisher());
      const syncRoutes = root.sync().syncRoutes();
      expect(syncRoutes.map((r) => r.name)).toEqual(['accounts']);
      expect(root.sync()).toBe(root.sync());
    } finally {
      await root.close();
    }
  });

  it('reads storage and client secrets from the validated settings', () => {
    const identity = createAppRoot(env({ AzureWebJobsStorage__accountName: 'stdvsync' }));
    expect(identity.storageConnection()).toBe('TableEndpoint=https://stdvsync.table.core.windows.net;BlobEndpoint=https://stdvsync.blob.core.windows.net');
    expect(identity.settings.credentialSecrets).toEqual({ SOURCE_SECRET: 's3cret' });
    const none = createAppRoot(env());
    expect(() => none.recordLedger()).toThrow(StorageConfigError);
    expect(() => none.recordLedger()).toThrow(StorageConfigError); // not remembered: tried again
    expect(none.intake().failures).toBeUndefined();
  });

  it('process root: a configuration error reaches every caller and is retried on the next call; then one root per process', () => {
    expect(() => appRoot({})).toThrow(SettingsError);
    const root = appRoot(env());
    expect(appRoot({})).toBe(root);
  });

  it('operator roots validate only the sections a command uses', () => {
    const storageOnly = operatorRoot({ DVSYNC_STORAGE: AZURITE }, ['storage']);
    expect(storageOnly.failuresTable()).toBe(storageOnly.failuresTable());
    expect(() => storageOnly.configuration()).toThrow(/settings alone/);
    expect(() => operatorRoot({ DVSYNC_STORAGE: AZURITE }, ['serviceBus'])).toThrow(/ServiceBusConnection: is missing/);
  });
});
