/**
 * The configuration the app started with: loaded and validated once per process, at registration
 * (functions/all.ts), so a broken configuration is in the host's startup log and no trigger takes a message
 * it could only fail. Beyond settings and routes it compiles the routes as the engine will (compile.ts:
 * unique names, known sinks, every lookup's entity set), so an engine that cannot be built is a startup
 * problem too, not a failure of every message. GET /api/health answers from it.
 */
import type { SettingIssue } from '../config/settings';
import { checkConfiguration, type Configuration, type ConfigurationCheck } from '../config/configuration';
import type { Env } from '../config/settings';
import { compileRoutes } from '../engine/compile';
import { EngineConfigError } from '../engine/errors';
import { resolveOptions } from '../engine/options';
import { compileCondition } from '../routes/conditions';
import { SINKS } from '../sinks';

/** The engine's route compilation as configuration problems. */
export function engineProblems(configuration: Configuration): SettingIssue[] {
  const routes = configuration.routes.routes.map((r) => r.route);
  try {
    compileRoutes(resolveOptions({ routes }), Object.keys(SINKS));
    return [];
  } catch (e) {
    if (!(e instanceof EngineConfigError)) throw e;
    const setting = configuration.settings.routes.file ? 'DVSYNC_ROUTES_FILE' : 'DVSYNC_ROUTES';
    return [{ setting, problem: `${configuration.routes.origin}: ${e.message}`, fix: 'routes the write engine can compile (see shared/routes/README.md)' }];
  }
}

let startup: ConfigurationCheck | undefined;

/** The first call checks and logs: the full report when invalid (error), the routes when valid. */
export function startupConfiguration(
  env: Env = process.env,
  log: { error(line: string): void; info(line: string): void } = { error: console.error, info: console.log },
): ConfigurationCheck {
  if (!startup) {
    startup = checkConfiguration(env, compileCondition, engineProblems);
    if (startup.ok)
      log.info(`dvsync configuration is valid: ${startup.configuration.routes.routes.length} route(s) from ${startup.configuration.routes.origin}.`);
    else
      log.error(`${startup.report}\nService Bus and timer triggers are not registered: no message is taken until the app restarts with a valid configuration.`);
  }
  return startup;
}

/** Forgets the startup check (tests that start the app twice in one process). */
export function resetStartupConfiguration(): void {
  startup = undefined;
}
