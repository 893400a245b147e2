/**
 * Builds everything `dvsync import` needs from app settings, the same ones the worker reads:
 * routes (DVSYNC_ROUTES_FILE or DVSYNC_ROUTES), DVSYNC_ENVIRONMENTS, storage (DVSYNC_STORAGE /
 * AzureWebJobsStorage). The engine runs in-process with an in-memory rescheduler.
 */
import { environmentsSchema } from '../config/environments';
import type { DataverseClient } from '../dataverse/client';
import { DataverseWriteAdapter } from '../engine/dataverse-adapter';
import { WriteEngine } from '../engine/engine';
import type { EngineOptions } from '../engine/options';
import { Checkpoints } from '../ledger/checkpoints';
import { FailureStore } from '../ledger/failures';
import { RecordLedger } from '../ledger/record-ledger';
import { storageConnectionString } from '../ledger/tables';
import { compileCondition } from '../routes/conditions';
import { loadRoutes } from '../routes/load';
import type { Route } from '../routes/schema';
import { createEnvironmentPool } from '../throttle/environment';
import type { UserPool } from '../throttle/pool';
import { InMemoryRescheduler } from './apply';
import { ImportConfigError } from './options';
import type { ImportDeps } from './runner';

/** Held changes (missing parent, throttled) come back within seconds, not the worker's 30 s: the import waits for them. */
export const IMPORT_ENGINE_RETRY: EngineOptions['retry'] = { baseDelayMs: 2000, maxDelayMs: 60_000, maxAttempts: 8 };

export function loadImportRoutes(settings: NodeJS.ProcessEnv, routesFile: string | undefined, appRoot: string): Route[] {
  return loadRoutes({ file: routesFile ?? settings.DVSYNC_ROUTES_FILE, inline: routesFile ? undefined : settings.DVSYNC_ROUTES, appRoot }, compileCondition).routes.map((r) => r.route);
}

export function entitySetResolver(routes: readonly Route[]): (env: string, table: string) => string | undefined {
  const sets = new Map(routes.map((r) => [`${r.target.environment}/${r.target.table}`, r.target.entitySet]));
  return (env, table) => sets.get(`${env}/${table}`);
}

export function buildImportDeps(settings: NodeJS.ProcessEnv, routes: Route[]): Omit<ImportDeps, 'progress'> {
  let environments;
  try {
    environments = environmentsSchema.parse(JSON.parse(settings.DVSYNC_ENVIRONMENTS ?? '{}'));
  } catch (err) {
    throw new ImportConfigError(`DVSYNC_ENVIRONMENTS is not a valid environments setting: ${(err as Error).message}`);
  }
  const pools = new Map<string, UserPool<DataverseClient>>();
  const poolOf = (name: string): UserPool<DataverseClient> => {
    const env = environments[name];
    if (!env) throw new ImportConfigError(`Environment "${name}" is not in DVSYNC_ENVIRONMENTS (known: ${Object.keys(environments).join(', ') || 'none'}).`);
    let p = pools.get(name);
    if (!p) pools.set(name, (p = createEnvironmentPool(name, env, { settings })));
    return p;
  };
  for (const r of routes) if (!environments[r.target.environment]) throw new ImportConfigError(`Route "${r.name}" writes to environment "${r.target.environment}", which is not in DVSYNC_ENVIRONMENTS (known: ${Object.keys(environments).join(', ') || 'none'}).`);
  const storage = storageConnectionString(settings);
  const held = new InMemoryRescheduler();
  const failures = new FailureStore({ connectionString: storage });
  const engine = new WriteEngine({ routes, retry: IMPORT_ENGINE_RETRY }, { dataverse: new DataverseWriteAdapter(poolOf), ledger: new RecordLedger({ connectionString: storage }), failures, rescheduler: held });
  return { engine, held, failures, checkpoints: new Checkpoints({ connectionString: storage }), routes, entitySetOf: entitySetResolver(routes) };
}
