/**
 * App settings of incremental sync (a section of shared/config/settings.ts `loadSettings`).
 * The timer function reads DVSYNC_SYNC_SCHEDULE at registration (the host needs a literal schedule),
 * through `syncScheduleFrom`, so registration and `dvsync settings check` apply the same rule.
 */
import type { Env, SettingsReader } from './reader';

export interface SyncSettings {
  /** Six-field NCRONTAB (`{second} {minute} {hour} {day} {month} {day-of-week}`), UTC. */
  schedule: string;
}

export const DEFAULT_SYNC_SCHEDULE = '0 */5 * * * *';
export const SYNC_SCHEDULE_SETTING = 'DVSYNC_SYNC_SCHEDULE';

const FIELD = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?)*$/;

/** Why `text` is not a six-field NCRONTAB expression, or undefined when it is. */
export function ncrontabProblem(text: string): string | undefined {
  const fields = text.trim().split(/\s+/);
  if (fields.length === 5) return `"${text}" has 5 fields; Azure Functions NCRONTAB needs 6 (seconds first), e.g. "0 ${text.trim()}"`;
  if (fields.length !== 6) return `"${text}" has ${fields.length} fields; NCRONTAB needs 6: second minute hour day month day-of-week`;
  const bad = fields.findIndex((f) => !FIELD.test(f));
  if (bad >= 0) return `field ${bad + 1} ("${fields[bad]}") of "${text}" is not a cron field (numbers, ranges a-b, lists a,b, steps */n or names)`;
  return undefined;
}

export function syncSettings(r: SettingsReader): SyncSettings {
  const raw = r.string(SYNC_SCHEDULE_SETTING, {
    description: 'When incremental sync runs: six-field NCRONTAB in UTC (second minute hour day month day-of-week).',
    default: DEFAULT_SYNC_SCHEDULE,
  });
  const problem = ncrontabProblem(raw);
  if (problem) {
    r.issue(SYNC_SCHEDULE_SETTING, problem, `a six-field NCRONTAB expression, e.g. "${DEFAULT_SYNC_SCHEDULE}" (every 5 minutes)`);
    return { schedule: DEFAULT_SYNC_SCHEDULE };
  }
  return { schedule: raw.trim() };
}

/** The schedule for the timer's registration: the setting when valid, else the default (settings check reports it). */
export function syncScheduleFrom(env: Env): string {
  const raw = env[SYNC_SCHEDULE_SETTING]?.trim();
  return raw && !ncrontabProblem(raw) ? raw : DEFAULT_SYNC_SCHEDULE;
}
