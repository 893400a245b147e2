/**
 * Wiring for one configured environment: one DataverseClient + ThrottleLane per application user,
 * the client's response metadata feeding its lane, all in a UserPool.
 */
import type { ResponseMeta } from '../dataverse/meta';
import { credentialLabel, createTokenProvider, type TokenProvider } from '../dataverse/auth';
import { DataverseClient } from '../dataverse/client';
import type { DataverseClientOptions } from '../dataverse/options';
import { webApiBase, type EnvironmentConfig } from '../config/environments';
import { systemClock, type Clock } from './clock';
import { ThrottleLane } from './lane';
import type { parseLaneOptions } from './options';
import { UserPool } from './pool';

export interface EnvironmentPoolOptions {
  /** App settings holding the secrets named by `clientSecretSetting` (default process.env). */
  settings?: Readonly<Record<string, string | undefined>>;
  lane?: Parameters<typeof parseLaneOptions>[0];
  client?: Omit<DataverseClientOptions, 'baseUrl' | 'tokens' | 'onResponse'>;
  clock?: Clock;
  /** Token provider override per credential index (tests, custom credentials). */
  tokens?: (index: number) => TokenProvider | undefined;
  /** Sees every response after the lane did (telemetry); lane id = `<environment>/<user label>`. */
  onResponse?: (laneId: string, meta: ResponseMeta) => void;
}

export function createEnvironmentPool(environmentName: string, env: EnvironmentConfig, options: EnvironmentPoolOptions = {}): UserPool<DataverseClient> {
  const clock = options.clock ?? systemClock;
  const members = env.credentials.map((credential, index) => {
    const lane = new ThrottleLane(`${environmentName}/${credentialLabel(credential, index)}`, options.lane, clock);
    const client = new DataverseClient({
      ...options.client,
      baseUrl: webApiBase(env),
      tokens: options.tokens?.(index) ?? createTokenProvider(credential, env.url, options.settings ?? process.env),
      onResponse: (meta) => {
        lane.observe(meta);
        options.onResponse?.(lane.id, meta);
      },
    });
    return { lane, client };
  });
  return new UserPool(members, clock);
}
