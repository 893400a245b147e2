/**
 * Builds the worker's engine once per process from app settings, validated in the same places as the
 * intake's: settings by `shared/config/settings.ts` (DVSYNC_ENVIRONMENTS, ServiceBusConnection,
 * DVSYNC_CHANGES_QUEUE, storage), routes by `shared/routes/load.ts` (DVSYNC_ROUTES_FILE or DVSYNC_ROUTES).
 * The ledger and failures live in DVSYNC_STORAGE / AzureWebJobsStorage; blobRef messages are read from
 * the same account.
 */
import { loadSettings, SettingsError, type Env } from '../config/settings';
import type { DataverseClient } from '../dataverse/client';
import { FailureStore } from '../ledger/failures';
import { RecordLedger } from '../ledger/record-ledger';
import { storageConnectionString } from '../ledger/tables';
import { createServiceBusClient } from '../queue/servicebus';
import { compileCondition } from '../routes/conditions';
import { loadRoutes } from '../routes/load';
import { createEnvironmentPool } from '../throttle/environment';
import type { UserPool } from '../throttle/pool';
import { BlobMessageReader } from './blob-reader';
import { DataverseSourceReader, DataverseWriteAdapter } from './dataverse-adapter';
import { WriteEngine } from './engine';
import { EngineConfigError } from './errors';
import { ServiceBusRescheduler } from './servicebus-rescheduler';

let engine: Promise<WriteEngine> | undefined;

/** The process-wide engine (a configuration error is thrown to every caller and retried on the next). */
export function createWorkerEngine(settings: Env = process.env): Promise<WriteEngine> {
  engine ??= Promise.resolve().then(() => buildWorkerEngine(settings)).catch((err) => {
    engine = undefined;
    throw err;
  });
  return engine;
}

export function buildWorkerEngine(env: Env): WriteEngine {
  const settings = loadSettings(env);
  const routes = loadRoutes(settings.routes, compileCondition).routes.map((r) => r.route);
  const environments = settings.environments;
  const unknown = routes.flatMap((r) => [r.target.environment, ...(r.source.environment ? [r.source.environment] : [])].filter((e) => !(e in environments)).map((e) => `route "${r.name}": environment "${e}"`));
  if (unknown.length > 0) {
    throw new SettingsError(unknown.map((problem) => ({ setting: 'DVSYNC_ENVIRONMENTS', problem: `${problem} is not configured`, fix: `one of: ${Object.keys(environments).join(', ') || '(none configured)'}` })));
  }
  const pools = new Map<string, UserPool<DataverseClient>>();
  const poolOf = (name: string): UserPool<DataverseClient> => {
    const config = environments[name];
    if (!config) throw new EngineConfigError(`Environment "${name}" is not in DVSYNC_ENVIRONMENTS (known: ${Object.keys(environments).join(', ')}).`);
    let pool = pools.get(name);
    if (!pool) pools.set(name, (pool = createEnvironmentPool(name, config, { settings: env, client: { writeTag: settings.intake.writeTag } })));
    return pool;
  };
  const storage = storageConnectionString(env as NodeJS.ProcessEnv);
  return new WriteEngine(
    { routes },
    {
      dataverse: new DataverseWriteAdapter(poolOf),
      sources: new DataverseSourceReader(poolOf),
      blobs: BlobMessageReader.fromConnectionString(storage),
      ledger: new RecordLedger({ connectionString: storage }),
      failures: new FailureStore({ connectionString: storage }),
      rescheduler: new ServiceBusRescheduler(createServiceBusClient(settings.serviceBus), settings.serviceBus.changesQueue),
    },
  );
}
