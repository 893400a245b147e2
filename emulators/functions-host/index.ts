/**
 * The local Functions host: runs this app's functions (the very definitions `functions/index.ts`
 * registers with `app.*`) outside the Azure Functions host, with the host's semantics for HTTP,
 * Service Bus queue and timer triggers. See README.md for what differs from the real host.
 */
import type { AddressInfo } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import type { FunctionDefinition } from '../../functions/definition';
import { listenError } from '../stack/port-error';
import {
  defaultAppDir,
  parseHostJson,
  readHostJson,
  readLocalSettings,
  resolveAppSettings,
  FUNCTION_KEY_SETTING,
  KEY_SETTINGS,
  MASTER_KEY_SETTING,
} from './config';
import { createHttpTriggerHost, type HttpFunction } from './http-trigger';
import { InvocationRunner, type HostLogger } from './invocation';
import { createServiceBusTriggerHost, type ServiceBusFunction } from './servicebus-trigger';
import { createTimerTriggerHost, type TimerFunction } from './timer-trigger';

export { FUNCTION_KEY_SETTING, MASTER_KEY_SETTING } from './config';

export interface FunctionsHostOptions {
  /** The app root: where host.json, local.settings.json and dist/ live. Default: the repository root. */
  appDir?: string;
  /** HTTP port; default local.settings.json Host.LocalHttpPort, else 7071. 0 picks a free port. */
  port?: number;
  /** Host name/address to listen on; default 127.0.0.1. */
  host?: string;
  /** App settings that win over local.settings.json Values and the process environment. */
  settings?: Record<string, string>;
  /** The functions to run; default: `registeredFunctions` from `<appDir>/dist/functions/all.js` (what `functions/index.ts` registers in Azure), loaded after the settings are in process.env. */
  definitions?: FunctionDefinition[];
  /** host.json content; default: `<appDir>/host.json`. */
  hostJson?: object;
  /** Where host log lines go; default stdout. */
  log?: HostLogger;
  /** How long close() waits for running invocations; default 30 s. */
  shutdownTimeoutMs?: number;
  /** Names the flag/setting that moves the port, for the "port taken" error. */
  portSettingName?: string;
  /**
   * Runs once HTTP is listening, before any Service Bus or timer trigger starts (`npm start` asks GET /api/health
   * here). A throw stops the host (HTTP closed) and is rethrown: an app that reports itself unhealthy takes no message.
   */
  beforeTriggers?: (http: { url: string; describe(): string[] }) => Promise<void>;
}

export interface FunctionsHostHandle {
  port: number;
  /** e.g. http://127.0.0.1:7071 (routes are under `/<routePrefix>/`). */
  url: string;
  /** The effective app settings (including the generated function and master keys). */
  settings: Record<string, string>;
  functionKey: string;
  masterKey: string;
  /** One line per function (URL or trigger), like `func start` lists them. */
  describe(): string[];
  close(): Promise<void>;
}

export async function startFunctionsHost(options: FunctionsHostOptions = {}): Promise<FunctionsHostHandle> {
  const appDir = options.appDir ?? defaultAppDir();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const local = readLocalSettings(appDir);
  const settings = resolveAppSettings(local.values, options.settings ?? {}, process.env);
  // Like the host: app settings are environment variables before any function code loads. The keys are
  // not: in Azure they are not app settings, and a key written here would be read back by the next host
  // started in this process as if the user had set it.
  for (const [key, value] of Object.entries(settings)) if (!(KEY_SETTINGS as readonly string[]).includes(key)) process.env[key] = value;
  const hostConfig = options.hostJson ? parseHostJson(options.hostJson, 'hostJson option') : readHostJson(appDir);
  const definitions = options.definitions ?? loadDefinitions(appDir);
  const resolveSetting = bindingExpressionResolver(settings);

  const runner = new InvocationRunner(hostConfig.functionTimeoutMs, log);
  const byTrigger = <T extends FunctionDefinition['trigger']>(t: T) =>
    definitions.filter((d): d is Extract<FunctionDefinition, { trigger: T }> => d.trigger === t);
  const http = createHttpTriggerHost(byTrigger('http') as HttpFunction[], hostConfig.routePrefix, settings, runner, log);
  const timers = createTimerTriggerHost(byTrigger('timer') as TimerFunction[], resolveSetting, runner, log);
  const serviceBus = createServiceBusTriggerHost(
    byTrigger('serviceBusQueue') as ServiceBusFunction[],
    hostConfig.serviceBus,
    settings,
    resolveSetting,
    runner,
    log,
  );

  const listenHost = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? local.localHttpPort ?? 7071;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) =>
      reject(
        listenError(err, 'Functions host', listenHost, requestedPort, options.portSettingName ?? 'the port option (Host.LocalHttpPort in local.settings.json)'),
      );
    http.server.once('error', onError);
    http.server.listen(requestedPort, listenHost, () => {
      http.server.off('error', onError);
      resolve();
    });
  });
  const port = (http.server.address() as AddressInfo).port;
  const url = `http://${listenHost}:${port}`;
  if (options.beforeTriggers) {
    try {
      await options.beforeTriggers({ url, describe: () => http.describe(url) });
    } catch (err) {
      const closed = new Promise<void>((resolve) => http.server.close(() => resolve()));
      http.server.closeAllConnections();
      await closed;
      throw err;
    }
  }
  try {
    await serviceBus.start();
  } catch (err) {
    await serviceBus.stop();
    await new Promise<void>((resolve) => http.server.close(() => resolve()));
    throw err;
  }
  timers.start();

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    timers.stop();
    await serviceBus.stopReceiving();
    // Refuse new connections now; answers already in progress still go out.
    const httpClosed = new Promise<void>((resolve) => http.server.close(() => resolve()));
    http.server.closeIdleConnections();
    const stillRunning = await runner.drain(options.shutdownTimeoutMs ?? 30_000);
    if (stillRunning > 0) log(`Functions host: ${stillRunning} invocation(s) still running at shutdown; abandoning them.`);
    await serviceBus.stop();
    http.server.closeAllConnections();
    await httpClosed;
  }

  return {
    port,
    url,
    settings,
    functionKey: settings[FUNCTION_KEY_SETTING],
    masterKey: settings[MASTER_KEY_SETTING],
    describe: () => [...http.describe(url), ...serviceBus.describe(), ...timers.describe()],
    close: () => (closing ??= close()),
  };
}

function loadDefinitions(appDir: string): FunctionDefinition[] {
  const file = resolvePath(appDir, 'dist', 'functions', 'all.js');
  let mod: { registeredFunctions?: FunctionDefinition[] };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file);
  } catch (err) {
    throw new Error(`Cannot load the app's functions from ${file}: ${(err as Error).message}. Run "npm run build" first.`, { cause: err });
  }
  if (!Array.isArray(mod.registeredFunctions)) throw new Error(`${file} does not export "registeredFunctions" (an array of function definitions).`);
  return mod.registeredFunctions;
}

/** `%Name%` in trigger options (queueName, schedule) is replaced by the app setting, as the host does. */
function bindingExpressionResolver(settings: Record<string, string>) {
  return (value: string, where: string): string =>
    value.replace(/%([^%]+)%/g, (_, name: string) => {
      const resolved = settings[name];
      if (resolved === undefined) throw new Error(`${where}: "%${name}%" names app setting "${name}", which is not set. Add it to local.settings.json Values.`);
      return resolved;
    });
}
