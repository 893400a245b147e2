/**
 * The app's configuration, loaded and validated once: every app setting (./settings.ts) and the routes
 * file (shared/routes/load.ts), cross-checked (every route's environments are configured). Every problem
 * is reported at once. The copy the app started with is shared/app/startup.ts `startupConfiguration`.
 */
import { compileCondition } from '../routes/conditions';
import { loadRoutes, RoutesError, type ConditionCompiler, type LoadedRoutes } from '../routes/load';
import { loadSettings, SettingsError, type Env, type LoadSettingsOptions, type SettingIssue, type Settings } from './settings';

export interface Configuration {
  settings: Settings;
  routes: LoadedRoutes;
}

export function loadConfiguration(env: Env = process.env, compile: ConditionCompiler = compileCondition, options: LoadSettingsOptions = {}): Configuration {
  let settings: Settings | undefined;
  const issues: SettingsError['issues'] = [];
  try {
    settings = loadSettings(env, options);
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    issues.push(...e.issues);
  }
  const routesSource = settings?.routes ?? {
    file: env.DVSYNC_ROUTES_FILE?.trim() || undefined,
    inline: env.DVSYNC_ROUTES?.trim() || undefined,
    appRoot: env.AzureWebJobsScriptRoot ?? process.cwd(),
  };
  let routes: LoadedRoutes | undefined;
  if (routesSource.file || routesSource.inline) {
    try {
      routes = loadRoutes(routesSource, compile);
    } catch (e) {
      if (!(e instanceof RoutesError)) throw e;
      const setting = routesSource.file ? 'DVSYNC_ROUTES_FILE' : 'DVSYNC_ROUTES';
      for (const p of e.problems)
        issues.push({ setting, problem: `${e.origin}: ${p}`, fix: 'a routes file that passes validation (see shared/routes/README.md)' });
    }
  }
  if (routes && settings) {
    for (const { route, index } of routes.routes) {
      for (const [what, name] of [
        ['source', route.source.environment],
        ['target', route.target.environment],
      ] as const) {
        if (name && !(name in settings.environments))
          issues.push({
            setting: 'DVSYNC_ROUTES_FILE',
            problem: `route "${route.name}" (index ${index}): ${what}.environment "${name}" is not in DVSYNC_ENVIRONMENTS`,
            fix: `one of: ${Object.keys(settings.environments).join(', ') || '(none configured)'}`,
          });
      }
    }
  }
  if (issues.length || !settings || !routes) throw new SettingsError(issues);
  return { settings, routes };
}

/** The outcome of loading and validating the whole configuration: every problem, or the configuration. */
export type ConfigurationCheck = { ok: true; configuration: Configuration } | { ok: false; problems: SettingIssue[]; report: string };

/** Checks beyond settings and routes (the engine's route compilation, in shared/app): problems to report with them. */
export type ConfigurationCheckExtra = (configuration: Configuration) => SettingIssue[];

/** loadConfiguration without the throw; an unexpected error (not a validation problem) is reported as one problem. */
export function checkConfiguration(env: Env = process.env, compile: ConditionCompiler = compileCondition, extra?: ConfigurationCheckExtra): ConfigurationCheck {
  try {
    const configuration = loadConfiguration(env, compile);
    const problems = extra?.(configuration) ?? [];
    return problems.length === 0 ? { ok: true, configuration } : invalid(new SettingsError(problems));
  } catch (e) {
    const error =
      e instanceof SettingsError
        ? e
        : new SettingsError([
            {
              setting: '(configuration)',
              problem: `loading the settings and routes failed unexpectedly: ${(e as Error).stack ?? String(e)}`,
              fix: 'a configuration `dvsync settings check` accepts',
            },
          ]);
    return invalid(error);
  }
}

function invalid(error: SettingsError): ConfigurationCheck {
  return {
    ok: false,
    problems: error.issues,
    report: `dvsync configuration is invalid; the app does not process changes until it is fixed and the app restarted.\n${error.message}`,
  };
}
