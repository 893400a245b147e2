/**
 * Wiring for incremental sync from the app settings (the same `loadConfiguration` the intake uses):
 * per sync-enabled route a change source (a client of the source environment's user pool), the Service Bus
 * publisher of the changes queue, and the checkpoints table. Shared by the timer function and `dvsync sync`.
 */
import { environmentPools, type PoolOf } from '../throttle/pools';
import { Checkpoints } from '../ledger/checkpoints';
import { storageConnectionString } from '../ledger/tables';
import { BlobLargeMessageStore } from '../queue/large-messages';
import type { ChangePublisher } from '../queue/outgoing';
import { createServiceBusClient, ServiceBusChangePublisher } from '../queue/servicebus';
import type { LoadedRoute } from '../routes/load';
import type { Route } from '../routes/schema';
import type { Telemetry } from '../telemetry/telemetry';
import type { Configuration } from '../config/configuration';
import { SyncConfigError } from './errors';
import { runSyncPass, type ChangeSource, type CheckpointStore, type SyncPassResult } from './pass';

export interface SyncRuntimeOverrides {
  publisher?: ChangePublisher;
  checkpoints?: CheckpointStore;
  /** Change source per source environment name (default: a client from the environment's user pool). */
  source?: (environment: string) => ChangeSource;
}

export type RouteRun = { route: string; ok: true; result: SyncPassResult } | { route: string; ok: false; error: Error };

export class SyncRuntime {
  private readonly poolOf: PoolOf;
  private readonly publisher: ChangePublisher;
  private readonly checkpoints: CheckpointStore;

  constructor(
    readonly config: Configuration,
    env: Readonly<Record<string, string | undefined>>,
    private readonly overrides: SyncRuntimeOverrides = {},
  ) {
    const { settings } = config;
    this.publisher =
      overrides.publisher ?? new ServiceBusChangePublisher(createServiceBusClient(settings.serviceBus), settings.serviceBus.changesQueue, settings.intake.retryAfterSeconds);
    this.poolOf = environmentPools(settings, env);
    this.checkpoints = overrides.checkpoints ?? new Checkpoints({ connectionString: storageConnectionString(env as NodeJS.ProcessEnv) });
  }

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
    if (!name) throw new SyncConfigError(`Route "${route.name}" has no source.environment; incremental sync reads a Dataverse table, so name the source environment.`);
    if (this.overrides.source) return this.overrides.source(name);
    if (!this.config.settings.environments[name]) throw new SyncConfigError(`Route "${route.name}": source.environment "${name}" is not in DVSYNC_ENVIRONMENTS.`);
    const pool = this.poolOf(name);
    // One client per pass: a delta read is a chain of pages on one connection; the lane still sees every response.
    return pool.clientOf(pool.pick());
  }

  runRoute(name: string, telemetry: Telemetry, options: { full?: boolean } = {}): Promise<SyncPassResult> {
    const loaded = this.loaded(name);
    const { route } = loaded;
    const { settings } = this.config;
    const store = BlobLargeMessageStore.fromSettings(settings.storage);
    return runSyncPass({
      route: loaded,
      source: this.sourceFor(route),
      publisher: this.publisher,
      checkpoints: this.checkpoints,
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
    if (!this.overrides.publisher) await this.publisher.close();
  }
}
