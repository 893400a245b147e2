/**
 * One user pool per configured environment, built the same way for every door of the app (worker, sync,
 * import) by the composition root (shared/app): the validated settings decide the write tag and the
 * secrets, and every response reaches the throttle telemetry. Building pools anywhere else is how
 * `dvsync import` once wrote with the default tag while DVSYNC_WRITE_TAG said otherwise (issue 9, defect 5).
 */
import type { DataverseClient } from '../dataverse/client';
import type { ResponseMeta } from '../dataverse/meta';
import type { Settings } from '../config/settings';
import { createEnvironmentPool, type EnvironmentPoolOptions } from './environment';
import type { UserPool } from './pool';

export class UnknownEnvironmentError extends Error {
  override name = 'UnknownEnvironmentError';
  readonly transient = false;
}

export interface PoolWiring {
  /** Sees every response of a lane (`<environment>/<user label>`), after the lane did: throttle telemetry. */
  onResponse?: (environment: string, userLabel: string, meta: ResponseMeta) => void;
  /** Test seams; production leaves them unset. */
  overrides?: Pick<EnvironmentPoolOptions, 'clock' | 'tokens' | 'lane'>;
}

export type PoolOf = (environment: string) => UserPool<DataverseClient>;

/** `poolOf(name)`: the environment's pool, created on first use and then shared. */
export function environmentPools(settings: Settings, wiring: PoolWiring = {}): PoolOf {
  const pools = new Map<string, UserPool<DataverseClient>>();
  return (name) => {
    const config = settings.environments[name];
    if (!config)
      throw new UnknownEnvironmentError(
        `Environment "${name}" is not in DVSYNC_ENVIRONMENTS (known: ${Object.keys(settings.environments).join(', ') || 'none'}).`,
      );
    let pool = pools.get(name);
    if (!pool) {
      const onResponse = wiring.onResponse;
      pool = createEnvironmentPool(name, config, {
        ...wiring.overrides,
        settings: settings.credentialSecrets,
        client: { writeTag: settings.intake.writeTag },
        ...(onResponse ? { onResponse: (laneId: string, meta: ResponseMeta) => onResponse(name, laneId.slice(name.length + 1), meta) } : {}),
      });
      pools.set(name, pool);
    }
    return pool;
  };
}
