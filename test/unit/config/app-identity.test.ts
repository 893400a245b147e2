/**
 * Which identity a `managedIdentity` credential of DVSYNC_ENVIRONMENTS uses. The rule (shared/config/settings.ts):
 * its own clientId; without one, the app's user-assigned identity named by AZURE_CLIENT_ID (infra sets it, and the
 * app has no system-assigned identity in Azure); without that, the system-assigned identity. And a Key Vault
 * reference the platform could not resolve is reported as such, not sent to Entra ID as a client secret.
 */
import { ManagedIdentityCredential } from '@azure/identity';
import { createTokenCredential, credentialLabel } from '../../../shared/dataverse/auth';
import type { Credential } from '../../../shared/config/environments';
import { loadSettings, SettingsError, type SettingIssue } from '../../../shared/config/settings';

const APP_IDENTITY = '6f1d1f0e-54b3-4b59-9a2c-0c2f7e6d0a11';
const OTHER_IDENTITY = '0b7d5d3c-1a2b-4c3d-8e9f-a0b1c2d3e4f5';

const env = (credentials: object[], extra: Record<string, string> = {}) => ({
  DVSYNC_ENVIRONMENTS: JSON.stringify({ prod: { url: 'https://contoso.crm4.dynamics.com', credentials } }),
  DVSYNC_ROUTES_FILE: 'routes.json',
  ServiceBusConnection__fullyQualifiedNamespace: 'sb-dvsync.servicebus.windows.net',
  ...extra,
});
const credentialsOf = (e: Record<string, string>): Credential[] => loadSettings(e).environments.prod!.credentials;
const issuesOf = (e: Record<string, string>): SettingIssue[] => {
  try {
    loadSettings(e);
  } catch (err) {
    if (err instanceof SettingsError) return err.issues;
    throw err;
  }
  return [];
};
/** The client id a ManagedIdentityCredential was built with (undefined: system-assigned). */
const clientIdOf = (c: Credential): string | undefined => {
  if (c.type === 'staticToken') throw new Error('not a token credential');
  const credential = createTokenCredential(c, {});
  expect(credential).toBeInstanceOf(ManagedIdentityCredential);
  return (credential as unknown as { clientId?: string }).clientId;
};

describe('a managedIdentity credential', () => {
  it("without clientId is the app's user-assigned identity when AZURE_CLIENT_ID names it", () => {
    const [c] = credentialsOf(env([{ type: 'managedIdentity' }], { AZURE_CLIENT_ID: APP_IDENTITY }));
    expect(c).toEqual({ type: 'managedIdentity', clientId: APP_IDENTITY });
    expect(clientIdOf(c!)).toBe(APP_IDENTITY);
    expect(credentialLabel(c!, 0)).toBe(`mi:${APP_IDENTITY}`);
  });

  it('with its own clientId keeps it', () => {
    const [c] = credentialsOf(env([{ type: 'managedIdentity', clientId: OTHER_IDENTITY }], { AZURE_CLIENT_ID: APP_IDENTITY }));
    expect(clientIdOf(c!)).toBe(OTHER_IDENTITY);
  });

  it('without clientId and without AZURE_CLIENT_ID is the system-assigned identity', () => {
    for (const unset of [{}, { AZURE_CLIENT_ID: '' }, { AZURE_CLIENT_ID: '  ' }] as Record<string, string>[]) {
      const [c] = credentialsOf(env([{ type: 'managedIdentity' }], unset));
      expect(c).toEqual({ type: 'managedIdentity' });
      expect(clientIdOf(c!)).toBeUndefined();
      expect(credentialLabel(c!, 0)).toBe('mi:system');
    }
  });

  it('leaves the other credential types alone', () => {
    const creds = credentialsOf(env([{ type: 'defaultAzureCredential' }, { type: 'staticToken', token: 't' }], { AZURE_CLIENT_ID: APP_IDENTITY }));
    expect(creds).toEqual([{ type: 'defaultAzureCredential' }, { type: 'staticToken', token: 't' }]);
  });

  it('refuses a clientId or AZURE_CLIENT_ID that is not a client id, such as a placeholder left in a parameters file', () => {
    expect(issuesOf(env([{ type: 'managedIdentity', clientId: '<identityClientId output>' }])).map((i) => i.setting)).toEqual(['DVSYNC_ENVIRONMENTS']);
    const [issue] = issuesOf(env([{ type: 'managedIdentity' }], { AZURE_CLIENT_ID: '<identityClientId output>' }));
    expect(issue).toMatchObject({ setting: 'AZURE_CLIENT_ID', fix: expect.stringContaining('GUID') });
  });
});

describe('a clientSecret credential', () => {
  const secret = { type: 'clientSecret', tenantId: 't', clientId: 'c', clientSecretSetting: 'TARGET_SECRET_1' };

  it('whose setting is an unresolved Key Vault reference is a configuration problem, with the reference not repeated', () => {
    const reference = '@Microsoft.KeyVault(SecretUri=https://kv-dvsync.vault.azure.net/secrets/target-secret-1/)';
    const issues = issuesOf(env([secret], { TARGET_SECRET_1: reference }));
    expect(issues).toEqual([
      expect.objectContaining({ setting: 'TARGET_SECRET_1', problem: expect.stringContaining('Key Vault reference the platform could not resolve') }),
    ]);
    expect(JSON.stringify(issues)).not.toContain('kv-dvsync');
  });

  it('whose setting holds the resolved secret is fine', () => {
    expect(issuesOf(env([secret], { TARGET_SECRET_1: 's3cr3t-value' }))).toEqual([]);
  });
});
