/**
 * How long change-tracking tokens stay usable: Dataverse keeps changes for
 * `Organization.ExpireChangeTrackingInDays` (default 7 days in the 2023 doc, Learn: use-change-tracking-synchronize-data-external-systems).
 * A token issued earlier than that answers ExpiredVersionStamp instead of a partial delta, and the
 * change log drops entries older than that. Emulator-wide: option `changeTrackingRetentionMs`.
 */
import { DEFAULT_CHANGE_RETENTION_MS, type Environment } from '../store/environment';

export { DEFAULT_CHANGE_RETENTION_MS };

/** Set one environment's retention (real ms). 0 expires every token as soon as its second has passed. */
export function setChangeTrackingRetention(env: Environment, ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`change-tracking retention must be a non-negative number of milliseconds, got ${ms}`);
  env.changeRetentionMs = ms;
}

export function changeTrackingRetention(env: Environment): number {
  return env.changeRetentionMs;
}
