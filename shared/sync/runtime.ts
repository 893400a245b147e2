/**
 * Incremental sync for the routes that opted in, shared by the timer function and `dvsync sync`: per route a
 * change source (a client of the source environment's user pool), the Service Bus publisher of the changes
 * queue, the checkpoints table and the large-message store, all handed over by the composition root (shared/app).
 */
import type { LargeMessageStore } from '../queue/large-messages';
import type { ChangePublisher } from '../queue/outgoing';
import type { LoadedRoute } from '../routes/load';
import type { Route } from '../routes/schema';
import type { Telemetry } from '../telemetry/telemetry';
import type { Configuration } from '../config/configuration';
import { SyncConfigError } from './errors';
import { runSyncPass, type ChangeSource, type CheckpointStore, type SyncPassResult } from './pass';

/** What a sync run uses; the composition root builds it. */
export interface SyncDependencies {
  publisher: ChangePublisher;
  checkpoints: CheckpointStore;
  /** The change source of a source environment (configured: checked before). */
  source: (environment: string) => ChangeSource;
  largeMessages?: LargeMessageStore;
  /** Closes what this runtime alone owns; a runtime of a shared root closes nothing (the root does). */
  close?: () => Promise<void>;
}

export type RouteRun = { route: string; ok: true; result: SyncPassResult } | { route: string; ok: false; error: Error };

export class SyncRuntime {
  constructor(
    readonly config: Configuration,
    private readonly deps: SyncDependencies,
  ) {}

  /** Routes that opted in (`source.sync.enabled`) and are enabled, in file order. */
  syncRoutes(): Route[] {
    return this.config.routes.routes.map((r) => r.route).filter((r) => r.enabled && r.source.sync?.enabled);
  }

  route(name: string): Route {
    return this.loaded(name).route;
  }

  private loaded(name: string): LoadedRoute {
    const loaded = this.config.routes.byName.get(name);
    if (!loaded) throw new SyncConfigError(`No route "${name}" in ${this.config.routes.origin}; known: ${[...this.config.routes.byName.keys()].join(', ')}.`);
    return loaded;
  }

  private sourceFor(route: Route): ChangeSource {
    const name = route.source.environment;
    if (!name)
      throw new SyncConfigError(`Route "${route.name}" has no source.environment; incremental sync reads a Dataverse table, so name the source environment.`);
    if (!this.config.settings.environments[name])
      throw new SyncConfigError(`Route "${route.name}": source.environment "${name}" is not in DVSYNC_ENVIRONMENTS.`);
    return this.deps.source(name);
  }

  runRoute(name: string, telemetry: Telemetry, options: { full?: boolean } = {}): Promise<SyncPassResult> {
    const loaded = this.loaded(name);
    const { route } = loaded;
    const { settings } = this.config;
    const store = this.deps.largeMessages;
    return runSyncPass({
      route: loaded,
      source: this.sourceFor(route),
      publisher: this.deps.publisher,
      checkpoints: this.deps.checkpoints,
      telemetry,
      sessionBuckets: settings.intake.sessionBuckets,
      full: options.full,
      largeMessages: { thresholdBytes: settings.storage.largeMessageThresholdBytes, ...(store ? { store } : {}) },
    });
  }

  /** Every sync route in turn; one route's failure does not stop the others. */
  async runAll(telemetry: Telemetry): Promise<RouteRun[]> {
    const runs: RouteRun[] = [];
    for (const route of this.syncRoutes()) {
      try {
        runs.push({ route: route.name, ok: true, result: await this.runRoute(route.name, telemetry) });
      } catch (e) {
        telemetry.count('sync.failed', { route: route.name, reason: (e as Error).name });
        runs.push({ route: route.name, ok: false, error: e as Error });
      }
    }
    return runs;
  }

  async close(): Promise<void> {
    await this.deps.close?.();
  }
}
