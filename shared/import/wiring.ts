/**
 * Builds everything `dvsync import` needs from the same validated configuration the worker uses
 * (`loadConfiguration`: settings and routes checked together; Service Bus is not needed, the engine runs
 * in-process) and the same environment pools (shared/config/pools.ts: write tag, secrets). Storage:
 * DVSYNC_STORAGE / AzureWebJobsStorage. Held changes wait in an in-memory rescheduler.
 */
import { resolve } from 'node:path';
import { environmentPools } from '../throttle/pools';
import { SettingsError, type Env } from '../config/settings';
import { DataverseWriteAdapter } from '../engine/dataverse-adapter';
import { WriteEngine } from '../engine/engine';
import type { EngineOptions } from '../engine/options';
import { Checkpoints } from '../ledger/checkpoints';
import { FailureStore } from '../ledger/failures';
import { RecordLedger } from '../ledger/record-ledger';
import { storageConnectionString } from '../ledger/tables';
import type { Route } from '../routes/schema';
import { loadConfiguration, type Configuration } from '../config/configuration';
import { InMemoryRescheduler } from './apply';
import { ImportConfigError } from './options';
import type { ImportDeps } from './runner';

/** Held changes (missing parent, throttled) come back within seconds, not the worker's 30 s: the import waits for them. */
export const IMPORT_ENGINE_RETRY: EngineOptions['retry'] = { baseDelayMs: 2000, maxDelayMs: 60_000, maxAttempts: 8 };

/** The app's configuration; `--routes FILE` (relative to the working directory) replaces DVSYNC_ROUTES_FILE / DVSYNC_ROUTES. */
export function loadImportConfiguration(env: Env, routesFile: string | undefined, cwd: string): Configuration {
  const effective: Env = routesFile ? { ...env, DVSYNC_ROUTES_FILE: resolve(cwd, routesFile), DVSYNC_ROUTES: undefined } : env;
  try {
    return loadConfiguration(effective, undefined, { unused: ['serviceBus'] });
  } catch (e) {
    if (e instanceof SettingsError) throw new ImportConfigError(e.message);
    throw e;
  }
}

export function entitySetResolver(routes: readonly Route[]): (env: string, table: string) => string | undefined {
  const sets = new Map(routes.map((r) => [`${r.target.environment}/${r.target.table}`, r.target.entitySet]));
  return (env, table) => sets.get(`${env}/${table}`);
}

export function buildImportDeps(config: Configuration, env: Env): Omit<ImportDeps, 'progress'> {
  const routes = config.routes.routes.map((r) => r.route);
  const poolOf = environmentPools(config.settings, env);
  const storage = storageConnectionString(env as NodeJS.ProcessEnv);
  const held = new InMemoryRescheduler();
  const failures = new FailureStore({ connectionString: storage });
  const engine = new WriteEngine({ routes, retry: IMPORT_ENGINE_RETRY }, { dataverse: new DataverseWriteAdapter(poolOf), ledger: new RecordLedger({ connectionString: storage }), failures, rescheduler: held });
  return { engine, held, failures, checkpoints: new Checkpoints({ connectionString: storage }), routes: config.routes.routes, entitySetOf: entitySetResolver(routes) };
}
