/** `$batch` settings. Strict line endings reproduce Dataverse's bare-LF failure (dataverse-web-api.md §4.1, §13.3); off by default because LF bodies often work. Emulator-wide: option `batchStrictLineEndings`. */
import type { Environment } from '../store/environment';

export function setBatchStrictLineEndings(env: Environment, on: boolean): void {
  env.strictBatchLineEndings = on;
}

export function batchStrictLineEndings(env: Environment): boolean {
  return env.strictBatchLineEndings;
}

/** §4.1: requests per batch and per change set. */
export const MAX_BATCH_OPERATIONS = 1000;
