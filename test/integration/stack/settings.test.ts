/** Which emulators the stack starts, and the precedence of the settings it hands the Functions host. */
import { configuredSettings, hostSettings, usesRealDataverse, usesRealServiceBus, usesRealStorage } from '../../../emulators/stack/settings';
import { parseStackArgs } from '../../../emulators/stack/options';

const azurite = {
  connectionString: 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=k;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;',
};
const serviceBus = { connectionString: 'Endpoint=sb://localhost:2;SharedAccessKeyName=a;SharedAccessKey=b;UseDevelopmentEmulator=true' };

test('real Azure resources are recognised; placeholders and loopback endpoints mean "start the emulator"', () => {
  expect(usesRealStorage({})).toBe(false);
  expect(usesRealStorage({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' })).toBe(false);
  expect(usesRealStorage({ AzureWebJobsStorage: azurite.connectionString })).toBe(false);
  expect(usesRealStorage({ AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=x;EndpointSuffix=core.windows.net' })).toBe(true);
  expect(usesRealStorage({ AzureWebJobsStorage__accountName: 'prod' })).toBe(true);
  expect(usesRealServiceBus({ ServiceBusConnection: serviceBus.connectionString })).toBe(false);
  expect(usesRealServiceBus({ ServiceBusConnection: 'Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=b' })).toBe(true);
  expect(usesRealServiceBus({ ServiceBusConnection__fullyQualifiedNamespace: 'contoso.servicebus.windows.net' })).toBe(true);
  expect(usesRealDataverse({ DVSYNC_ENVIRONMENTS: JSON.stringify({ source: { url: 'http://127.0.0.1:7072/source' } }) })).toBe(false);
  expect(usesRealDataverse({ DVSYNC_ENVIRONMENTS: JSON.stringify({ source: { url: 'https://contoso.crm4.dynamics.com' } }) })).toBe(true);
});

test('the environment beats local.settings.json Values for the same name', () => {
  const configured = configuredSettings({ A: 'values', ServiceBusConnection: 'values-sb' }, { A: 'env', ServiceBusConnection: 'env-sb', UNRELATED: 'x' });
  expect(configured).toEqual({ A: 'env', ServiceBusConnection: 'env-sb' });
});

test('Values win over emulator settings, except the "local emulator" placeholders, which take the started emulator\'s string', () => {
  const settings = hostSettings(
    { azurite, serviceBus, dataverse: { url: 'http://127.0.0.1:3/api/data/v9.2/', appSettings: { DVSYNC_ENVIRONMENTS: '{"from":"emulator"}' } } },
    {
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      ServiceBusConnection: 'Endpoint=sb://localhost;SharedAccessKeyName=x;SharedAccessKey=y;UseDevelopmentEmulator=true',
      DVSYNC_ENVIRONMENTS: '{"from":"values"}',
    },
  );
  expect(settings.AzureWebJobsStorage).toBe(azurite.connectionString);
  expect(settings.ServiceBusConnection).toBe(serviceBus.connectionString);
  expect(settings.DVSYNC_ENVIRONMENTS).toBe('{"from":"values"}');
  expect(settings.DVSYNC_DATAVERSE_EMULATOR_URL).toBe('http://127.0.0.1:3/api/data/v9.2/');
  expect(hostSettings({ azurite }, {}).AzureWebJobsStorage).toBe(azurite.connectionString);
});

test('ports come from flags over environment variables over defaults', () => {
  const parsed = parseStackArgs(['--port=0', '--table-port', '12000'], { DVSYNC_AZURITE_TABLE_PORT: '11000', DVSYNC_SERVICEBUS_PORT: '5800' });
  expect(parsed.ports).toEqual({ functions: 0, serviceBus: 5800, dataverse: 7072, azuriteTable: 12000, azuriteBlob: 10000 });
  expect([...parsed.explicit].sort()).toEqual(['azuriteTable', 'functions', 'serviceBus']);
  expect(() => parseStackArgs(['--port', '70000'], {})).toThrow(/--port: "70000" is not a port number/);
  expect(() => parseStackArgs(['--bogus'], {})).toThrow(/unknown option "--bogus"/);
  expect(() => parseStackArgs([], { DVSYNC_DATAVERSE_PORT: 'x' })).toThrow(/environment variable DVSYNC_DATAVERSE_PORT/);
});

test('an empty value in local.settings.json means "not configured": the emulator-provided value stays', () => {
  const started = { dataverse: { url: 'http://127.0.0.1:7072/api/data/v9.2/', appSettings: { DVSYNC_ROUTES_FILE: '/app/demo/routes.json' } } };
  expect(hostSettings(started, { DVSYNC_ROUTES_FILE: '' }).DVSYNC_ROUTES_FILE).toBe('/app/demo/routes.json');
  expect(hostSettings(started, { DVSYNC_ROUTES_FILE: 'my-routes.json' }).DVSYNC_ROUTES_FILE).toBe('my-routes.json');
});
