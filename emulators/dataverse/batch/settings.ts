/** `$batch` settings. Strict line endings reproduce Dataverse's bare-LF failure (https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors); off by default because LF bodies often work. Emulator-wide: option `batchStrictLineEndings`. */
import type { Environment } from '../store/environment';

export function setBatchStrictLineEndings(env: Environment, on: boolean): void {
  env.strictBatchLineEndings = on;
}

export function batchStrictLineEndings(env: Environment): boolean {
  return env.strictBatchLineEndings;
}

/** Learn: webapi/execute-batch-operations-using-web-api: requests per batch and per change set. */
export const MAX_BATCH_OPERATIONS = 1000;
