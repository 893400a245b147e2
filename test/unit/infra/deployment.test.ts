/**
 * What a deployment writes, computed from the Bicep files themselves (tree-sitter-bicep and a small evaluator of the
 * expressions the templates use; no Bicep CLI here): the role assignments, the changes queue's lock, the app settings
 * (secret settings as Key Vault references under the settings the template owns), the Key Vault's name and purge
 * protection, the Flex Consumption scale bounds, and a sample parameters file that deploys as it is.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Node } from 'web-tree-sitter';
import { loadSettings } from '../../../shared/config/settings';
import { bicepParser, type BicepDeclarations, declarationsOf, evaluate, propertyOf, type Scope } from './bicep-syntax';

const infra = path.join(__dirname, '..', '..', '..', 'infra');
const FILES = ['main', 'modules/functionapp', 'modules/keyvault', 'modules/monitoring', 'modules/servicebus', 'modules/storage'] as const;
type File = (typeof FILES)[number];

let decl: Record<File, BicepDeclarations>;

beforeAll(async () => {
  const parser = await bicepParser();
  decl = Object.fromEntries(
    FILES.map((f) => {
      const tree = parser.parse(fs.readFileSync(path.join(infra, `${f}.bicep`), 'utf8'));
      if (!tree) throw new Error(`no tree for ${f}`);
      return [f, declarationsOf(tree.rootNode)];
    }),
  ) as Record<File, BicepDeclarations>;
});

/** Parameter defaults, then `values`, then every variable that can be computed (declaration order). */
function scopeOf(file: File, values: Scope = {}): Scope {
  const d = decl[file];
  const scope: Scope = {};
  for (const [name, p] of Object.entries(d.params)) if (p.default) scope[name] = evaluate(p.default, scope);
  Object.assign(scope, values);
  for (const [name, v] of Object.entries(d.vars)) {
    try {
      scope[name] = evaluate(v, scope);
    } catch {
      // refers to a resource or module output: not needed by these tests
    }
  }
  return scope;
}

const body = (file: File, resource: string): Node => {
  const b = decl[file].resources[resource];
  if (!b) throw new Error(`${file}.bicep has no resource ${resource}`);
  return b.type === 'for_statement' ? b.childForFieldName('body')! : b;
};
const prop = (n: Node | undefined, ...keys: string[]): Node | undefined => keys.reduce<Node | undefined>((o, k) => propertyOf(o, k), n);
const moduleParam = (module: string, param: string): string | undefined => prop(decl.main.modules[module]?.body, 'params', param)?.text;

describe('role assignments of the app identity', () => {
  /** Every role assignment: the file, the resource it is scoped to, the role definition id, the principal. */
  function assignments(): string[] {
    const out: string[] = [];
    for (const file of FILES) {
      for (const [symbol, b] of Object.entries(decl[file].resources)) {
        const isLoop = b.type === 'for_statement';
        const object = body(file, symbol);
        if (!prop(object, 'properties', 'roleDefinitionId')) continue;
        const scope = scopeOf(file);
        const iterations: Scope[] = isLoop
          ? (evaluate(b.namedChildren[1]!, scope) as unknown[]).map((item) => ({ ...scope, [b.childForFieldName('initializer')!.text]: item }))
          : [scope];
        for (const s of iterations) {
          const roleId = prop(object, 'properties', 'roleDefinitionId')!;
          const role = evaluate(roleId.childForFieldName('arguments')!.namedChildren[1]!, s);
          const target = prop(object, 'scope')!.text;
          expect(prop(object, 'name')!.text).toMatch(new RegExp(`^guid\\(${target}\\.id, principalId, `));
          expect(prop(object, 'properties', 'principalId')!.text).toBe('principalId');
          expect(evaluate(prop(object, 'properties', 'principalType')!, s)).toBe('ServicePrincipal');
          out.push(`${file}: ${target} ${role}`);
        }
      }
    }
    return out.sort();
  }

  it('grants exactly these roles, each on the one resource that needs it', () => {
    expect(assignments()).toEqual(
      [
        // Azure Service Bus Data Owner on each queue: target-based scaling reads queue lengths (Manage right).
        'modules/servicebus: changes 090c5cfd-751d-490a-894a-3ce6f1109419',
        'modules/servicebus: inbound 090c5cfd-751d-490a-894a-3ce6f1109419',
        // Storage Blob Data Owner, Storage Queue Data Contributor, Storage Table Data Contributor.
        'modules/storage: account b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
        'modules/storage: account 974c5e8b-45b9-4653-ba55-5f855dd0fb88',
        'modules/storage: account 0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
        // Key Vault Secrets User; Monitoring Metrics Publisher (Entra-only App Insights ingestion).
        'modules/keyvault: vault 4633458b-17de-408a-b874-0445c86b69e6',
        'modules/monitoring: insights 3913510d-42f4-4e42-8a64-420c390055eb',
      ].sort(),
    );
  });

  it('to the user-assigned identity the app runs as', () => {
    for (const m of ['storage', 'serviceBus', 'monitoring', 'vault']) expect(moduleParam(m, 'principalId')).toBe('identity.properties.principalId');
    expect(moduleParam('app', 'identityId')).toBe('identity.id');
    expect(moduleParam('app', 'identityClientId')).toBe('identity.properties.clientId');
  });
});

describe('the changes queue', () => {
  it('locks for PT5M, the longest Service Bus allows (the inbound queue keeps PT1M), as the emulator does', () => {
    const lock = (q: string) => evaluate(prop(body('modules/servicebus', q), 'properties', 'lockDuration')!, {});
    expect(lock('changes')).toBe('PT5M');
    expect(lock('inbound')).toBe('PT1M');
    const emulator = JSON.parse(fs.readFileSync(path.join(infra, '..', 'emulators', 'servicebus', 'queues.json'), 'utf8')) as {
      queues: Array<{ name: string; lockDuration: string }>;
    };
    expect(Object.fromEntries(emulator.queues.map((q) => [q.name, q.lockDuration]))).toEqual({ 'dvsync-changes': 'PT5M', 'dvsync-inbound': 'PT1M' });
  });

  it("tells the worker its lock: DVSYNC_CHANGES_LOCK_SECONDS is the queue's lockDuration", () => {
    const lock = String(evaluate(prop(body('modules/servicebus', 'changes'), 'properties', 'lockDuration')!, {}));
    const [, minutes, seconds] = /^PT(?:(\d+)M)?(?:(\d+)S)?$/.exec(lock)!;
    const setting = evaluate(prop(decl.main.modules.app!.body, 'params', 'appSettings', 'DVSYNC_CHANGES_LOCK_SECONDS')!, {});
    expect(setting).toBe(String(Number(minutes ?? 0) * 60 + Number(seconds ?? 0)));
  });
});

describe('app settings', () => {
  const IDENTITY = '11111111-2222-3333-4444-555555555555';
  /** What functionapp.bicep writes, given main.bicep's secretSettings and extraAppSettings. */
  function deployedSettings(secretSettings: Record<string, string>, extraAppSettings: Record<string, string> = {}): Record<string, string> {
    const main = scopeOf('main', { baseName: 'dvsync', dataverseEnvironments: '{}', secretSettings, extraAppSettings });
    const app = scopeOf('modules/functionapp', {
      storageAccountName: 'stdvsync',
      identityClientId: IDENTITY,
      serviceBusFqdn: 'sb-dvsync.servicebus.windows.net',
      insightsConnectionString: 'InstrumentationKey=k',
      appSettings: { DVSYNC_ROUTES_FILE: 'routes.json' },
      secretReferences: main.secretReferences,
      extraAppSettings: main.extraAppSettings,
    });
    return evaluate(prop(body('modules/functionapp', 'settings'), 'properties')!, app) as Record<string, string>;
  }

  it('main.bicep hands secretSettings and extraAppSettings to the app as parameters (a redeployment keeps them)', () => {
    expect(decl.main.params.secretSettings).toMatchObject({ type: 'object' });
    expect(decl.main.params.extraAppSettings).toMatchObject({ type: 'object' });
    expect(moduleParam('app', 'secretReferences')).toBe('secretReferences');
    expect(moduleParam('app', 'extraAppSettings')).toBe('extraAppSettings');
  });

  it('writes each secret setting as a Key Vault reference: a full URI as is, a bare name in the deployment vault', () => {
    const vault = String((scopeOf('main', { baseName: 'dvsync' }).names as Record<string, string>).vault);
    const s = deployedSettings({ TARGET_SECRET_1: 'target-secret-1', DVSYNC_WEBHOOK_SECRET: 'https://other.vault.azure.net/secrets/webhook' });
    expect(s.TARGET_SECRET_1).toBe(`@Microsoft.KeyVault(SecretUri=https://${vault}.vault.azure.net/secrets/target-secret-1/)`);
    expect(s.DVSYNC_WEBHOOK_SECRET).toBe('@Microsoft.KeyVault(SecretUri=https://other.vault.azure.net/secrets/webhook)');
    // And the app resolves references with its user-assigned identity (it has no system-assigned one).
    expect(prop(body('modules/functionapp', 'app'), 'properties', 'keyVaultReferenceIdentity')!.text).toBe('identityId');
  });

  it('keeps the settings the template owns: an extra or secret setting of the same name does not replace them', () => {
    const s = deployedSettings(
      { AZURE_CLIENT_ID: 'not-mine' },
      { ServiceBusConnection__clientId: 'not-mine', DVSYNC_ROUTES_FILE: 'other.json', DVSYNC_WRITE_TAG: 'tag' },
    );
    expect(s).toMatchObject({
      AZURE_CLIENT_ID: IDENTITY,
      ServiceBusConnection__clientId: IDENTITY,
      AzureWebJobsStorage__clientId: IDENTITY,
      DVSYNC_ROUTES_FILE: 'routes.json',
      DVSYNC_WRITE_TAG: 'tag',
    });
  });

  it('without secret or extra settings, writes the connections and engine settings only', () => {
    expect(Object.keys(deployedSettings({})).sort()).toEqual(
      [
        'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
        'APPLICATIONINSIGHTS_CONNECTION_STRING',
        'AZURE_CLIENT_ID',
        'AzureWebJobsStorage__accountName',
        'AzureWebJobsStorage__blobServiceUri',
        'AzureWebJobsStorage__clientId',
        'AzureWebJobsStorage__credential',
        'AzureWebJobsStorage__tableServiceUri',
        'DVSYNC_ROUTES_FILE',
        'ServiceBusConnection__clientId',
        'ServiceBusConnection__credential',
        'ServiceBusConnection__fullyQualifiedNamespace',
      ].sort(),
    );
  });
});

describe('infra/main.parameters.json', () => {
  const parameters = JSON.parse(fs.readFileSync(path.join(infra, 'main.parameters.json'), 'utf8')).parameters as Record<string, { value: unknown }>;

  it('names only parameters main.bicep declares, and every one it requires', () => {
    expect(Object.keys(parameters).filter((p) => !(p in decl.main.params))).toEqual([]);
    const required = Object.entries(decl.main.params)
      .filter(([, p]) => !p.default)
      .map(([name]) => name);
    expect(required.filter((p) => !(p in parameters))).toEqual([]);
  });

  it('deploys as it is: no placeholder to fill in from a first run', () => {
    expect(JSON.stringify(parameters)).not.toMatch(/<[^>]*>/);
  });

  it("its managedIdentity credential is the app's identity, through the AZURE_CLIENT_ID the template sets", () => {
    const settings = deployedSettings();
    const loaded = loadSettings({
      ...settings,
      DVSYNC_ENVIRONMENTS: String(parameters.dataverseEnvironments!.value),
      DVSYNC_ROUTES_FILE: 'routes.json',
    });
    expect(Object.values(loaded.environments).flatMap((e) => e.credentials)).toEqual([{ type: 'managedIdentity', clientId: settings.AZURE_CLIENT_ID }]);
  });

  function deployedSettings(): Record<string, string> {
    const app = scopeOf('modules/functionapp', {
      storageAccountName: 'stdvsync',
      identityClientId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      serviceBusFqdn: 'sb-dvsync.servicebus.windows.net',
      insightsConnectionString: 'InstrumentationKey=k',
      appSettings: {},
      secretReferences: {},
      extraAppSettings: {},
    });
    return evaluate(prop(body('modules/functionapp', 'settings'), 'properties')!, app) as Record<string, string>;
  }
});

describe('Key Vault', () => {
  const vaultName = (values: Scope) => String((scopeOf('main', { baseName: 'dvsync', ...values }).names as Record<string, string>).vault);

  it('keeps its name across runs, and a salt gives another valid, still unique name (a soft-deleted vault keeps the old one)', () => {
    const usual = vaultName({});
    expect(vaultName({})).toBe(usual);
    // The name before the salt existed: a redeployment finds the vault it created.
    const suffix = String(scopeOf('main', { baseName: 'dvsync' }).suffix);
    expect(usual).toBe(`kv-dvsync-${suffix}`.slice(0, 24));
    const salted = vaultName({ keyVaultNameSalt: '2' });
    expect(salted).not.toBe(usual);
    expect(vaultName({ keyVaultNameSalt: '2' })).toBe(salted);
    for (const name of [usual, salted, vaultName({ baseName: 'abcdefghijk' })]) expect(name).toMatch(/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/);
  });

  it('purge protection is a parameter (on by default) and off is never sent as false, which Key Vault refuses', () => {
    expect(decl.main.params.keyVaultPurgeProtection?.default?.text).toBe('true');
    expect(moduleParam('vault', 'purgeProtection')).toBe('keyVaultPurgeProtection');
    const purge = prop(body('modules/keyvault', 'vault'), 'properties', 'enablePurgeProtection')!;
    expect(evaluate(purge, { purgeProtection: true })).toBe(true);
    expect(evaluate(purge, { purgeProtection: false })).toBeNull();
  });

  it('can recover a soft-deleted vault of its name instead of failing to create it', () => {
    expect(decl.main.params.keyVaultRecover?.default?.text).toBe('false');
    expect(moduleParam('vault', 'recover')).toBe('keyVaultRecover');
    const mode = prop(body('modules/keyvault', 'vault'), 'properties', 'createMode')!;
    expect(evaluate(mode, { recover: false })).toBe('default');
    expect(evaluate(mode, { recover: true })).toBe('recover');
  });
});

describe('Flex Consumption scale', () => {
  it('maximumInstanceCount takes only what Flex Consumption accepts, 40 to 1000, and reaches the app', () => {
    const p = decl.main.params.maximumInstanceCount!;
    expect(p.decorators).toMatchObject({ minValue: [40], maxValue: [1000] });
    const fallback = Number(p.default?.text);
    expect(fallback).toBeGreaterThanOrEqual(40);
    expect(fallback).toBeLessThanOrEqual(1000);
    expect(moduleParam('app', 'maximumInstanceCount')).toBe('maximumInstanceCount');
    expect(prop(body('modules/functionapp', 'app'), 'properties', 'functionAppConfig', 'scaleAndConcurrency', 'maximumInstanceCount')!.text).toBe(
      'maximumInstanceCount',
    );
  });
});
