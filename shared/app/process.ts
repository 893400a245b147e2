/**
 * The one root of a process (the Functions host loads the app once): built from process.env on first use
 * by any door. A configuration error is thrown to every caller and retried on the next call, so a fix
 * needs no restart of a host that loaded a broken configuration.
 */
import { loadConfiguration } from '../config/configuration';
import type { Env } from '../config/settings';
import type { IntakeRuntime } from '../webhook/runtime';
import { AppRoot, type RootOptions } from './root';

let processRoot: AppRoot | undefined;

/** `env` and `options` count only for the call that builds the root. */
export function appRoot(env: Env = process.env, options: RootOptions = {}): AppRoot {
  return (processRoot ??= new AppRoot(loadConfiguration(env), options));
}

/** Closes the process root and forgets it (host shutdown, tests). */
export async function closeAppRoot(): Promise<void> {
  const root = processRoot;
  processRoot = undefined;
  await root?.close();
}

/** The process root's intake, as the webhook, ingest and inbound handlers take it. */
export async function intakeRuntime(): Promise<IntakeRuntime> {
  return appRoot().intake();
}

/** The old name of closeAppRoot: the intake's queue connection is the root's. */
export const closeIntakeRuntime = closeAppRoot;
