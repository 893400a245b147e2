import * as fs from 'fs';
import * as path from 'path';
import { bicepFiles, bicepParser, type BicepResource, resourcesOf, syntaxErrors } from './bicep-syntax';

const infra = path.join(__dirname, '..', '..', '..', 'infra');
const files = bicepFiles(infra);

async function parseAll(): Promise<{ file: string; source: string; resources: BicepResource[]; errors: string[] }[]> {
  const parser = await bicepParser();
  return files.map((file) => {
    const source = fs.readFileSync(file, 'utf8');
    const tree = parser.parse(source);
    if (!tree) throw new Error(`tree-sitter returned no tree for ${file}`);
    return { file: path.relative(infra, file), source, resources: resourcesOf(tree.rootNode, file), errors: syntaxErrors(tree.rootNode) };
  });
}

describe('infra/*.bicep', () => {
  it('finds the main template and its modules', () => {
    expect(files.map((f) => path.relative(infra, f)).sort()).toEqual(
      [
        'main.bicep',
        'modules/functionapp.bicep',
        'modules/keyvault.bicep',
        'modules/monitoring.bicep',
        'modules/servicebus.bicep',
        'modules/storage.bicep',
      ].map((f) => f.split('/').join(path.sep)),
    );
  });

  it('every file parses without syntax errors', async () => {
    const parsed = await parseAll();
    expect(parsed.filter((p) => p.errors.length).map((p) => `${p.file}: ${p.errors.join('; ')}`)).toEqual([]);
  });

  it('the syntax check does catch a broken template', async () => {
    const parser = await bicepParser();
    const tree = parser.parse("resource q 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {\n  properties: { maxDeliveryCount: }\n}\n");
    expect(syntaxErrors(tree!.rootNode).length).toBeGreaterThan(0);
  });

  it('pins a stable API version on every resource and names role assignments deterministically', async () => {
    const resources = (await parseAll()).flatMap((p) => p.resources);
    expect(resources.length).toBeGreaterThan(10);
    for (const r of resources) {
      expect({ resource: r.symbol, apiVersion: r.apiVersion }).toEqual({ resource: r.symbol, apiVersion: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    }
    const assignments = resources.filter((r) => r.type === 'Microsoft.Authorization/roleAssignments');
    expect(assignments.length).toBeGreaterThanOrEqual(4);
    for (const a of assignments) expect(JSON.stringify(a.body.name)).toContain('guid(');
  });

  it('references every module file that exists and no missing one', async () => {
    const main = fs.readFileSync(path.join(infra, 'main.bicep'), 'utf8');
    const referenced = [...main.matchAll(/module \w+ '([^']+)'/g)].map((m) => m[1]).sort();
    const present = fs
      .readdirSync(path.join(infra, 'modules'))
      .map((f) => `modules/${f}`)
      .sort();
    expect(referenced).toEqual(present);
  });

  it('declares the same queues, with the same properties, as the local Service Bus emulator config', async () => {
    const resources = (await parseAll()).flatMap((p) => p.resources);
    const bicepQueues = Object.fromEntries(
      resources.filter((r) => r.type === 'Microsoft.ServiceBus/namespaces/queues').map((r) => [r.body.name as string, r.body.properties]),
    );
    const emulatorConfig = JSON.parse(fs.readFileSync(path.join(infra, '..', 'emulators', 'servicebus', 'queues.json'), 'utf8'));
    const emulatorQueues: Array<Record<string, unknown>> = Array.isArray(emulatorConfig) ? emulatorConfig : emulatorConfig.queues;
    const fromEmulator = Object.fromEntries(emulatorQueues.map(({ name, ...props }) => [name as string, props]));
    expect(Object.keys(bicepQueues).sort()).toEqual(Object.keys(fromEmulator).sort());
    for (const [name, props] of Object.entries(fromEmulator)) {
      expect({ queue: name, ...(bicepQueues[name] as object) }).toEqual({ queue: name, ...props });
    }
  });

  it('keeps the app keyless: no storage keys, no Service Bus SAS, Entra-only App Insights', async () => {
    const parsed = await parseAll();
    const all = parsed.map((p) => p.source).join('\n');
    expect(all).not.toMatch(/listKeys\(|listConnectionStrings\(|RootManageSharedAccessKey/);
    const resources = parsed.flatMap((p) => p.resources);
    const byType = (t: string) => resources.find((r) => r.type === t)!;
    expect((byType('Microsoft.Storage/storageAccounts').body.properties as Record<string, unknown>).allowSharedKeyAccess).toBe(false);
    expect((byType('Microsoft.ServiceBus/namespaces').body.properties as Record<string, unknown>).disableLocalAuth).toBe(true);
    expect((byType('Microsoft.Insights/components').body.properties as Record<string, unknown>).DisableLocalAuth).toBe(true);
  });
});
