/**
 * Doors with a root of their own, built from an explicit env or configuration (tests, tools, `dvsync`
 * commands): closing the door closes its root.
 */
import { loadConfiguration, type Configuration } from '../config/configuration';
import type { Env } from '../config/settings';
import type { WriteEngine } from '../engine/engine';
import type { FailureStorePort } from '../ledger/failures';
import type { LargeMessageStore } from '../queue/large-messages';
import type { ChangePublisher } from '../queue/outgoing';
import type { ChangeSource, CheckpointStore } from '../sync/pass';
import type { SyncRuntime } from '../sync/runtime';
import type { Telemetry } from '../telemetry/telemetry';
import type { IntakeRuntime } from '../webhook/runtime';
import { AppRoot, type RootOptions } from './root';
import { syncOf } from './sync';

/** A root from an explicit env (validated with loadConfiguration, as the process root). */
export function createAppRoot(env: Env, options: RootOptions = {}): AppRoot {
  return new AppRoot(loadConfiguration(env), options);
}

/** A worker engine of its own root; `telemetry`: where its throttle events go (default: the invocation's). */
export function buildWorkerEngine(env: Env, wiring: { telemetry?: Telemetry } = {}): WriteEngine {
  return createAppRoot(env, wiring).workerEngine();
}

export interface IntakeOverrides {
  publisher?: ChangePublisher;
  largeMessages?: LargeMessageStore | null;
  failures?: FailureStorePort | null;
  now?: () => Date;
}

/** An intake runtime of its own root: closing its publisher closes the root (a given publisher is the caller's). */
export function createIntakeRuntime(config: Configuration, overrides: IntakeOverrides = {}): IntakeRuntime {
  const { failures, ...rest } = overrides;
  const root = new AppRoot(config, { overrides: { ...rest, ...(failures !== undefined ? { intakeFailures: failures } : {}) } });
  const runtime = root.intake();
  if (overrides.publisher) return runtime;
  return { ...runtime, publisher: { publish: (changes) => runtime.publisher.publish(changes), close: () => root.close() } };
}

export interface SyncOverrides {
  publisher?: ChangePublisher;
  checkpoints?: CheckpointStore;
  /** Change source per source environment name (default: a client from the environment's user pool). */
  source?: (environment: string) => ChangeSource;
}

/** A sync runtime of its own root: its close() closes the root. */
export function createSyncRuntime(config: Configuration, overrides: SyncOverrides = {}): SyncRuntime {
  const { publisher, checkpoints, source } = overrides;
  const root = new AppRoot(config, {
    overrides: { ...(publisher ? { publisher } : {}), ...(checkpoints ? { syncCheckpoints: checkpoints } : {}), ...(source ? { changeSource: source } : {}) },
  });
  return syncOf(root, () => root.close());
}
