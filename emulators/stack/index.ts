/**
 * The local stack behind `npm start`: Azurite, the Service Bus emulator, the Dataverse emulator and the
 * local Functions host, all in this process. Emulators whose setting already points at a real Azure
 * resource are not started (see settings.ts). close() stops everything in reverse order.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startAzurite, type AzuriteHandle } from '../azurite';
import { startFunctionsHost, type FunctionsHostHandle } from '../functions-host';
import { defaultAppDir, readLocalSettings } from '../functions-host/config';
import { PORT_SPECS, portSettingName, type StackPorts } from './options';
import { dataverseAppSettings, emulatedEnvironments, registerEmulatedWebhooks, type EmulatedEnvironment, type WebhookWiringResult } from './dataverse-wiring';
import { configuredSettings, hostSettings, usesRealDataverse, usesRealServiceBus, usesRealStorage, type StartedEmulators } from './settings';

export interface StackOptions {
  /** Ports; a missing one takes its default from PORT_SPECS (the Functions port: local.settings.json Host.LocalHttpPort, else 7071). 0 = free port. */
  ports?: Partial<StackPorts>;
  /** The app folder (host.json, local.settings.json, dist/); default: the repository. */
  appDir?: string;
  host?: string;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Dataverse emulator options beyond the port (e.g. `{ timeScale: 0.01 }` in tests). */
  dataverse?: Record<string, unknown>;
  /** App settings that win over everything else (tests). */
  settings?: Record<string, string>;
}

export interface StackHandle {
  functionsHost: FunctionsHostHandle;
  /** Human-readable lines: endpoints, connection settings, functions, notes. */
  summary: string[];
  /** The Dataverse emulator, when the stack started it: Web API base per environment and the operator base URL. */
  dataverse?: { url(envName?: string): string; operatorUrl?: string; /** The emulator handle itself (tests reach its runtime). */ emulator: unknown };
  /** The webhook registration in the emulated environments (undefined when none was attempted). */
  webhooks?: WebhookWiringResult;
  close(): Promise<void>;
}

interface ServiceBusEmulatorModule {
  startServiceBusEmulator(options: { port?: number; configFile?: string }): Promise<{ port: number; connectionString: string; close(): Promise<void> }>;
}
interface DataverseEmulatorModule {
  startDataverseEmulator(options: { port?: number } & Record<string, unknown>): Promise<{
    port: number;
    url(envName?: string): string;
    operatorUrl?: string;
    environments?: Map<string, unknown>;
    close(): Promise<void>;
    /** Optional extension point: settings the app needs to reach this emulator (e.g. DVSYNC_ENVIRONMENTS). */
    appSettings?(): Record<string, string>;
  }>;
}

/** Loads an emulator that may not be built yet; undefined (not an error) when its module is absent. */
function loadOptional<T>(folder: string): T | undefined {
  const entry = join(__dirname, '..', folder, 'index');
  if (!existsSync(`${entry}.js`) && !existsSync(`${entry}.ts`)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(entry) as T;
}

export async function startStack(options: StackOptions): Promise<StackHandle> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const env = options.env ?? process.env;
  const appDir = options.appDir ?? defaultAppDir();
  const local = readLocalSettings(appDir);
  const configured = configuredSettings(local.values, env);
  const port = (key: keyof StackPorts) => options.ports?.[key] ?? PORT_SPECS.find((s) => s.key === key)!.default;
  const closers: { what: string; close(): Promise<void> }[] = [];
  const summary: string[] = [];
  const started: StartedEmulators = {};
  let dataverse: StackHandle['dataverse'];
  let webhooks: WebhookWiringResult | undefined;
  let emulated: EmulatedEnvironment[] = [];

  async function closeAll(): Promise<void> {
    for (const c of closers.reverse()) {
      await c.close().catch((err: unknown) => log(`dvsync start: closing ${c.what} failed: ${(err as Error).message}`));
    }
    closers.length = 0;
  }

  try {
    if (usesRealStorage(configured)) {
      summary.push('Storage:     using AzureWebJobsStorage from settings (real storage account); Azurite not started.');
    } else {
      const azurite: AzuriteHandle = await startAzurite({
        host: options.host,
        tablePort: port('azuriteTable'),
        blobPort: port('azuriteBlob'),
        portSettingNames: { table: portSettingName('azuriteTable'), blob: portSettingName('azuriteBlob') },
      });
      closers.push({ what: 'Azurite', close: azurite.close });
      started.azurite = azurite;
      summary.push(`Azurite:     table ${azurite.tableUrl}  blob ${azurite.blobUrl}`);
    }

    const sbModule = loadOptional<ServiceBusEmulatorModule>('servicebus');
    if (usesRealServiceBus(configured)) {
      summary.push('Service Bus: using ServiceBusConnection from settings (real namespace); emulator not started.');
    } else if (!sbModule) {
      summary.push('Service Bus: emulator not available in this build (emulators/servicebus); Service Bus triggers need ServiceBusConnection.');
    } else {
      const sb = await startServiceBusEmulator(sbModule, port('serviceBus'));
      closers.push({ what: 'Service Bus emulator', close: sb.close });
      started.serviceBus = sb;
      summary.push(`Service Bus: amqp://127.0.0.1:${sb.port}`);
    }

    const dvModule = loadOptional<DataverseEmulatorModule>('dataverse');
    if (usesRealDataverse(configured)) {
      summary.push('Dataverse:   using DVSYNC_ENVIRONMENTS from settings (real environments); emulator not started.');
    } else if (!dvModule) {
      summary.push('Dataverse:   emulator not available in this build (emulators/dataverse); skipped.');
    } else {
      const dv = await startDataverseEmulatorOn(dvModule, port('dataverse'), options.dataverse);
      closers.push({ what: 'Dataverse emulator', close: dv.close });
      dataverse = { url: (name?: string) => dv.url(name), operatorUrl: dv.operatorUrl, emulator: dv };
      emulated = emulatedEnvironments(dv);
      started.dataverse = { url: dv.url(), appSettings: { ...dataverseAppSettings(emulated, configured, appDir), ...dv.appSettings?.() } };
      summary.push(`Dataverse:   ${dv.url()}`);
      for (const name of dv.environments?.keys() ?? []) summary.push(`  environment ${name}: ${dv.url(name)}`);
    }

    const settings = { ...hostSettings(started, configured), ...options.settings };
    const functionsHost = await startFunctionsHost({
      appDir,
      host: options.host,
      port: options.ports?.functions,
      settings,
      log,
      portSettingName: portSettingName('functions'),
      // The app validated its settings and routes when the host loaded it: with an invalid configuration the stack
      // is not ready, and no trigger takes a message it would only abandon until it is dead-lettered.
      beforeTriggers: requireHealthy,
    });
    closers.push({ what: 'Functions host', close: functionsHost.close });
    summary.push(`Functions:   ${functionsHost.url}/api/`);
    summary.push(...functionsHost.describe().map((line) => `  ${line}`));
    summary.push('Settings a client (or `func start` against these emulators) would use:');
    for (const key of [
      'AzureWebJobsStorage',
      'ServiceBusConnection',
      'DVSYNC_DATAVERSE_EMULATOR_URL',
      'DVSYNC_ENVIRONMENTS',
      'DVSYNC_ROUTES_FILE',
      'DVSYNC_LOCAL_FUNCTION_KEY',
      'DVSYNC_LOCAL_MASTER_KEY',
    ]) {
      if (functionsHost.settings[key]) summary.push(`  ${key}=${functionsHost.settings[key]}`);
    }
    if (started.dataverse && dataverse) {
      // A failed registration leaves the stack usable (queues, emulators), so it is reported, not fatal.
      webhooks = await registerEmulatedWebhooks({
        environments: emulated,
        settings: functionsHost.settings,
        appDir,
        functionsUrl: functionsHost.url,
        functionKey: functionsHost.functionKey,
      }).catch((err: unknown) => {
        summary.push(`Webhooks:    NOT registered in the emulated environments: ${(err as Error).message}`);
        return undefined;
      });
      if (webhooks) summary.push(...webhooks.lines);
    }
    let closing: Promise<void> | undefined;
    return { functionsHost, summary, dataverse, webhooks, close: () => (closing ??= closeAll()) };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** GET /api/health did not answer 200 (503: the configuration report): `npm start` prints it and exits 1. */
export class AppNotConfiguredError extends Error {
  override name = 'AppNotConfiguredError';
  constructor(
    readonly healthUrl: string,
    readonly status: number,
    readonly report: string,
  ) {
    super(
      `the app's configuration is invalid, so the local stack was stopped (GET ${healthUrl} answered ${status}):\n${report}\nFix it and run npm start again.`,
    );
  }
}

/** GET /api/health on the started host; anything but 200 stops the start with the app's own report. */
async function requireHealthy(host: { describe(): string[] }): Promise<void> {
  const url = host
    .describe()
    .map((line) => /^health: \[[A-Z,]+\] (\S+)$/.exec(line)?.[1])
    .find((u): u is string => u !== undefined);
  if (!url) return; // an app without the health function (another appDir): nothing to ask
  const res = await fetch(url);
  if (res.status === 200) return;
  const text = await res.text();
  let report = text;
  try {
    const body = JSON.parse(text) as { report?: unknown };
    if (typeof body.report === 'string') report = body.report;
  } catch {
    // not JSON: the body as it is
  }
  throw new AppNotConfiguredError(url, res.status, report || `(status ${res.status}, empty body)`);
}

async function startServiceBusEmulator(mod: ServiceBusEmulatorModule, port: number) {
  try {
    return await mod.startServiceBusEmulator({ port });
  } catch (err) {
    throw explainPort(err, 'Service Bus emulator', port, 'serviceBus');
  }
}

async function startDataverseEmulatorOn(mod: DataverseEmulatorModule, port: number, extra: Record<string, unknown> = {}) {
  try {
    return await mod.startDataverseEmulator({ ...extra, port });
  } catch (err) {
    throw explainPort(err, 'Dataverse emulator', port, 'dataverse');
  }
}

/** Emulators built by others may surface a raw EADDRINUSE; name the flag that moves the port. */
function explainPort(err: unknown, what: string, port: number, key: keyof StackPorts): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE' || /EADDRINUSE|already in use/i.test((err as Error)?.message ?? '')) {
    return new Error(`${what} cannot listen on port ${port}: the port is already in use. Choose another with ${portSettingName(key)} (0 picks a free port).`, {
      cause: err,
    });
  }
  return err instanceof Error ? err : new Error(String(err));
}
