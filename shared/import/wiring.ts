/**
 * What `dvsync import` derives from the configuration: the same validated configuration the worker uses
 * (`loadConfiguration`: settings and routes checked together; Service Bus is not needed, the engine runs
 * in-process) and the engine's retry policy (entity sets come from the engine's route compilation). Its clients (pools, ledger,
 * failures, checkpoints) come from the composition root (shared/app `importDeps`).
 */
import { resolve } from 'node:path';
import { SettingsError, type Env } from '../config/settings';
import type { EngineOptions } from '../engine/options';
import { loadConfiguration, type Configuration } from '../config/configuration';
import { ImportConfigError } from './options';

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
