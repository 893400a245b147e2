import { readFileSync } from 'fs';
import { join } from 'path';
import { loadSettings, queueNamesFrom, SettingsError, settingsCatalogue } from '../../../shared/config/settings';

const base = {
  DVSYNC_ENVIRONMENTS: JSON.stringify({
    source: { url: 'https://contoso.crm4.dynamics.com', organizationId: 'f42a590d-a29d-ef11-8a66-6045bd056902', credentials: [{ type: 'managedIdentity' }] },
  }),
  DVSYNC_ROUTES_FILE: 'routes.json',
  ServiceBusConnection: 'Endpoint=sb://localhost:5672/;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true',
};

const issuesOf = (env: Record<string, string>) => {
  try {
    loadSettings(env);
  } catch (e) {
    if (e instanceof SettingsError) return e.issues;
    throw e;
  }
  throw new Error('expected SettingsError');
};

describe('loadSettings', () => {
  it('applies the defaults in one place', () => {
    const s = loadSettings(base);
    expect(s.serviceBus).toMatchObject({ changesQueue: 'dvsync-changes', inboundQueue: 'dvsync-inbound' });
    expect(s.intake).toMatchObject({ writeTag: 'dvsync', sessionBuckets: 64, headerName: 'x-dvsync-secret', headerSecrets: [] });
    expect(s.storage.largeMessageContainer).toBe('dvsync-large-messages');
    expect(s.environments.source.organizationId).toBe('f42a590d-a29d-ef11-8a66-6045bd056902');
  });
  it('reports every missing setting at once, with what to put there', () => {
    const issues = issuesOf({});
    expect(issues.map((i) => i.setting)).toEqual(['DVSYNC_ENVIRONMENTS', 'DVSYNC_ROUTES_FILE', 'ServiceBusConnection']);
    expect(issues[0].fix).toContain('"organizationId"');
  });
  it('reports every invalid setting, not just the first', () => {
    const issues = issuesOf({
      ...base,
      DVSYNC_ENVIRONMENTS:
        '{"source": {"url": "not a url", "credentials": [{"type":"clientSecret","tenantId":"t","clientId":"c","clientSecretSetting":"SOURCE_SECRET"}]}}',
      DVSYNC_SESSION_BUCKETS: 'many',
      DVSYNC_WRITE_TAG: 'has spaces',
      DVSYNC_WEBHOOK_SECRET: 'short',
    });
    expect(issues.map((i) => i.setting).sort()).toEqual(['DVSYNC_ENVIRONMENTS', 'DVSYNC_SESSION_BUCKETS', 'DVSYNC_WEBHOOK_SECRET', 'DVSYNC_WRITE_TAG']);
    const env2 = issuesOf({
      ...base,
      DVSYNC_ENVIRONMENTS:
        '{"source": {"url": "https://x.crm.dynamics.com", "credentials": [{"type":"clientSecret","tenantId":"t","clientId":"c","clientSecretSetting":"SOURCE_SECRET"}]}}',
    });
    expect(env2).toEqual([
      {
        setting: 'SOURCE_SECRET',
        problem: 'is missing (environment "source" names it as clientSecretSetting)',
        fix: 'the client secret (in Azure: a Key Vault reference)',
      },
    ]);
  });
  it('collects rotation secrets', () => {
    const s = loadSettings({ ...base, DVSYNC_WEBHOOK_SECRET: 'a'.repeat(20), DVSYNC_WEBHOOK_SECRET_NEXT: 'b'.repeat(20) });
    expect(s.intake.headerSecrets).toEqual(['a'.repeat(20), 'b'.repeat(20)]);
  });
  it('accepts managed identity for Service Bus', () => {
    const { ServiceBusConnection: _, ...rest } = base;
    const s = loadSettings({ ...rest, ServiceBusConnection__fullyQualifiedNamespace: 'ns.servicebus.windows.net' });
    expect(s.serviceBus.fullyQualifiedNamespace).toBe('ns.servicebus.windows.net');
  });
});

describe('local.settings.sample.json', () => {
  it('documents every setting the code reads', () => {
    const sample = JSON.parse(readFileSync(join(__dirname, '../../../local.settings.sample.json'), 'utf8')) as { Values: Record<string, string> };
    const missing = settingsCatalogue()
      .map((d) => d.name)
      .filter((n) => !(n in sample.Values) || !(`// ${n}` in sample.Values));
    expect(missing).toEqual([]);
  });
});

describe('queueNamesFrom (trigger registration)', () => {
  it.each<Record<string, string>>([
    {},
    { DVSYNC_CHANGES_QUEUE: 'my-changes', DVSYNC_INBOUND_QUEUE: 'my-inbound' },
    { DVSYNC_CHANGES_QUEUE: '  padded  ', DVSYNC_INBOUND_QUEUE: '   ' },
  ])('names the queues loadSettings names: %j', (queues: Record<string, string>) => {
    const s = loadSettings({ ...base, ...queues });
    expect(queueNamesFrom({ ...base, ...queues })).toEqual({ changes: s.serviceBus.changesQueue, inbound: s.serviceBus.inboundQueue });
  });
});
