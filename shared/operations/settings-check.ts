/**
 * `dvsync settings check`: the app's own validation (settings + routes file, exactly what the functions
 * run at startup), every problem at once, plus the state of every known setting (never its value:
 * settings hold secrets).
 */
import { settingsCatalogue, SettingsError, type Env, type SettingDoc, type SettingIssue } from '../config/settings';
import { loadConfiguration, type Configuration } from '../config/configuration';

export interface SettingsCheck {
  ok: boolean;
  issues: SettingIssue[];
  settings: Array<SettingDoc & { state: 'set' | 'default' | 'unset' }>;
  routes?: { origin: string; count: number; sync: string[] };
}

export function checkSettings(env: Env): SettingsCheck {
  let config: Configuration | undefined;
  let issues: SettingIssue[] = [];
  try {
    config = loadConfiguration(env);
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    issues = e.issues;
  }
  const settings = settingsCatalogue().map((d) => {
    const v = env[d.name];
    const state: 'set' | 'default' | 'unset' = v !== undefined && v.trim() !== '' ? 'set' : d.default !== undefined ? 'default' : 'unset';
    return { ...d, state };
  });
  const check: SettingsCheck = { ok: issues.length === 0, issues, settings };
  if (config) {
    const routes = config.routes.routes.map((r) => r.route);
    check.routes = { origin: config.routes.origin, count: routes.length, sync: routes.filter((r) => r.source.sync?.enabled).map((r) => r.name) };
  }
  return check;
}

export function formatSettingsCheck(check: SettingsCheck, origin: string): string {
  const lines: string[] = [`App settings from ${origin}:`];
  let section = '';
  for (const s of check.settings) {
    if (s.section !== section) lines.push(`\n  [${(section = s.section)}]`);
    const state = s.state === 'set' ? 'set' : s.state === 'default' ? `default (${s.default})` : 'not set';
    lines.push(`    ${check.issues.some((i) => i.setting === s.name) ? '✗' : '·'} ${s.name}: ${state}`);
  }
  if (check.routes) lines.push(`\nRoutes: ${check.routes.count} in ${check.routes.origin}; incremental sync on: ${check.routes.sync.join(', ') || '(none)'}`);
  if (check.ok) lines.push('\nOK: every app setting is valid.');
  else {
    lines.push(`\n${check.issues.length} problem(s):`);
    for (const i of check.issues) lines.push(`  ✗ ${i.setting}: ${i.problem}.\n      Set it to ${i.fix}.`);
  }
  return `${lines.join('\n')}\n`;
}
