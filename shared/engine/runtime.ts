/**
 * Builds the worker's engine once per process from app settings: routes (DVSYNC_ROUTES: JSON text or a
 * file path), environments (DVSYNC_ENVIRONMENTS), storage (DVSYNC_STORAGE / AzureWebJobsStorage),
 * Service Bus (ServiceBusConnection) and the queue name (DVSYNC_CHANGES_QUEUE).
 */
import { readFileSync } from 'node:fs';
import { ServiceBusClient } from '@azure/service-bus';
import { environmentsSchema } from '../config/environments';
import { FailureStore } from '../ledger/failures';
import { RecordLedger } from '../ledger/record-ledger';
import { storageConnectionString } from '../ledger/tables';
import { routesFileSchema } from '../routes/schema';
import { createEnvironmentPool } from '../throttle/environment';
import type { UserPool } from '../throttle/pool';
import type { DataverseClient } from '../dataverse/client';
import { DataverseWriteAdapter } from './dataverse-adapter';
import { WriteEngine } from './engine';
import { EngineConfigError } from './errors';
import { ServiceBusRescheduler } from './servicebus-rescheduler';

let engine: Promise<WriteEngine> | undefined;

export function createWorkerEngine(settings: NodeJS.ProcessEnv = process.env): Promise<WriteEngine> {
  engine ??= Promise.resolve().then(() => build(settings)).catch((err) => {
    engine = undefined;
    throw err;
  });
  return engine;
}

function build(settings: NodeJS.ProcessEnv): WriteEngine {
  const routesText = settings.DVSYNC_ROUTES;
  if (!routesText) throw new EngineConfigError('DVSYNC_ROUTES is not set: give the routes file as JSON text or a file path.');
  const raw = routesText.trim().startsWith('{') ? routesText : readFileSync(routesText, 'utf8');
  const routes = routesFileSchema.parse(JSON.parse(raw)).routes;
  const environments = environmentsSchema.parse(JSON.parse(settings.DVSYNC_ENVIRONMENTS ?? '{}'));
  const pools = new Map<string, UserPool<DataverseClient>>();
  const poolOf = (name: string): UserPool<DataverseClient> => {
    const env = environments[name];
    if (!env) throw new EngineConfigError(`Environment "${name}" is not in DVSYNC_ENVIRONMENTS (known: ${Object.keys(environments).join(', ')}).`);
    let p = pools.get(name);
    if (!p) pools.set(name, (p = createEnvironmentPool(name, env, { settings })));
    return p;
  };
  const sb = settings.ServiceBusConnection;
  if (!sb) throw new EngineConfigError('ServiceBusConnection is not set: the worker re-enqueues held changes on the changes queue.');
  const storage = storageConnectionString(settings);
  return new WriteEngine(
    { routes },
    {
      dataverse: new DataverseWriteAdapter(poolOf),
      ledger: new RecordLedger({ connectionString: storage }),
      failures: new FailureStore({ connectionString: storage }),
      rescheduler: new ServiceBusRescheduler(new ServiceBusClient(sb), settings.DVSYNC_CHANGES_QUEUE || 'dvsync-changes'),
    },
  );
}
