/**
 * Timer: incremental sync (Dataverse change tracking → the changes queue) for every route with
 * `source.sync.enabled`. Schedule: DVSYNC_SYNC_SCHEDULE (six-field NCRONTAB, default every 5 minutes),
 * read at registration because the host needs a literal. Translation only; the core is shared/sync.
 * A run that fails for any route ends as a failed invocation (after the other routes ran); the next
 * occurrence resumes from the last committed delta link.
 */
import type { InvocationContext, Timer } from '@azure/functions';
import { SettingsError } from '../shared/config/settings';
import { appRoot } from '../shared/app';
import type { SyncRuntime } from '../shared/sync/runtime';
import { syncScheduleFrom } from '../shared/config/sync';
import { contextTelemetry } from '../shared/telemetry/telemetry';
import { timerFunction } from './definition';

export async function syncHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  let runtime: SyncRuntime;
  try {
    runtime = appRoot().sync();
  } catch (e) {
    context.error(e instanceof SettingsError ? e.message : `sync: cannot start: ${(e as Error).stack ?? String(e)}`);
    throw e;
  }
  // The runtime is the process root's (its queue connection outlives this run), so it is not closed here.
  const runs = await runtime.runAll(contextTelemetry(context));
  for (const run of runs) {
    if (run.ok) {
      const r = run.result;
      context.log(
        `sync ${r.route}: ${r.outcome} (${r.mode}${r.resynced ? ', resynced after an expired token' : ''}${r.resumed ? ', resumed mid-pass' : ''}): ${r.pages} page(s), ${r.upserts} upsert(s), ${r.deletes} delete(s) enqueued, ${r.skipped} skipped by the route filters`,
      );
    } else context.error(`sync ${run.route}: failed: ${run.error.name}: ${run.error.message}`);
  }
  const failed = runs.filter((r) => !r.ok).map((r) => r.route);
  if (failed.length)
    throw new Error(
      `Incremental sync failed for route(s) ${failed.join(', ')}; see the errors above. The next run resumes from the last committed delta link.`,
    );
}

export const sync = timerFunction('sync', { schedule: syncScheduleFrom(process.env), runOnStartup: false, handler: syncHandler });
