/** Per-environment `$batch` settings. Strict line endings reproduce Dataverse's bare-LF failure (dataverse-web-api.md §4.1, §13.3); off by default because LF bodies often work. */
import type { Environment } from '../store/environment';

const strict = new WeakMap<Environment, boolean>();

export function setBatchStrictLineEndings(env: Environment, on: boolean): void {
  strict.set(env, on);
}

export function batchStrictLineEndings(env: Environment): boolean {
  return strict.get(env) ?? false;
}

/** §4.1: requests per batch and per change set. */
export const MAX_BATCH_OPERATIONS = 1000;
