/**
 * Builds the worker's engine once per process from app settings, validated in the same places as the
 * intake's: settings by `shared/config/settings.ts` (DVSYNC_ENVIRONMENTS, ServiceBusConnection,
 * DVSYNC_CHANGES_QUEUE, storage), routes by `shared/routes/load.ts` (DVSYNC_ROUTES_FILE or DVSYNC_ROUTES).
 * The ledger and failures live in DVSYNC_STORAGE / AzureWebJobsStorage; blobRef messages are read from
 * the same account.
 */
import { loadSettings, SettingsError, type Env } from '../config/settings';
import { environmentPools } from '../throttle/pools';
import { TableCircuitStore } from '../ledger/circuits';
import { FailureStore } from '../ledger/failures';
import { RecordLedger } from '../ledger/record-ledger';
import { storageConnectionString } from '../ledger/tables';
import { createServiceBusClient } from '../queue/servicebus';
import { compileCondition } from '../routes/conditions';
import { loadRoutes } from '../routes/load';
import { throttleTelemetry } from '../telemetry/outcomes';
import { invocationTelemetry } from '../telemetry/scope';
import type { Telemetry } from '../telemetry/telemetry';
import { BlobMessageReader } from './blob-reader';
import { DataverseSourceReader, DataverseWriteAdapter } from './dataverse-adapter';
import { WriteEngine } from './engine';
import { ServiceBusRescheduler } from './servicebus-rescheduler';

let engine: Promise<WriteEngine> | undefined;

export interface WorkerWiring {
  /**
   * Where throttle events (`dataverse.throttled`) go. Default: the sink of the current invocation
   * (`runWithTelemetry` in functions/apply-changes.ts), since the engine outlives every invocation.
   */
  telemetry?: Telemetry;
}

/** The process-wide engine (a configuration error is thrown to every caller and retried on the next). */
export function createWorkerEngine(settings: Env = process.env, wiring: WorkerWiring = {}): Promise<WriteEngine> {
  engine ??= Promise.resolve().then(() => buildWorkerEngine(settings, wiring)).catch((err) => {
    engine = undefined;
    throw err;
  });
  return engine;
}

export function buildWorkerEngine(env: Env, wiring: WorkerWiring = {}): WriteEngine {
  const telemetry = wiring.telemetry ?? invocationTelemetry();
  const settings = loadSettings(env);
  const routes = loadRoutes(settings.routes, compileCondition).routes.map((r) => r.route);
  const environments = settings.environments;
  const unknown = routes.flatMap((r) => [r.target.environment, ...(r.source.environment ? [r.source.environment] : [])].filter((e) => !(e in environments)).map((e) => `route "${r.name}": environment "${e}"`));
  if (unknown.length > 0) {
    throw new SettingsError(unknown.map((problem) => ({ setting: 'DVSYNC_ENVIRONMENTS', problem: `${problem} is not configured`, fix: `one of: ${Object.keys(environments).join(', ') || '(none configured)'}` })));
  }
  const poolOf = environmentPools(settings, env, { onResponse: (environment, user, meta) => throttleTelemetry(telemetry, environment, user)(meta) });
  const storage = storageConnectionString(env as NodeJS.ProcessEnv);
  return new WriteEngine(
    { routes },
    {
      dataverse: new DataverseWriteAdapter(poolOf),
      sources: new DataverseSourceReader(poolOf),
      blobs: BlobMessageReader.fromConnectionString(storage),
      ledger: new RecordLedger({ connectionString: storage }),
      failures: new FailureStore({ connectionString: storage }),
      circuits: new TableCircuitStore({ connectionString: storage }),
      rescheduler: new ServiceBusRescheduler(createServiceBusClient(settings.serviceBus), settings.serviceBus.changesQueue),
    },
  );
}
