/**
 * Power Automate / Logic Apps default retry policy (https://learn.microsoft.com/azure/logic-apps/logic-apps-exception-handling): exponential, 4 retries, interval
 * 7.5 s, each delay bounded between 5 s and 45 s, with ±20 % randomness; retried statuses 408, 429, 5xx
 * and connection failures. Delays are model seconds, multiplied by the emulator's timeScale.
 */
import { DataverseError } from '../../shared/dataverse/errors';

export const PA_RETRY = { retries: 4, intervalMs: 7500, minMs: 5000, maxMs: 45_000 } as const;

export interface RetryStats {
  retries: number;
  failedAfterRetries: number;
}

function retryable(err: unknown): boolean {
  if (!(err instanceof DataverseError)) return true; // connection failures
  const s = err.status;
  return s === undefined || s === 408 || s === 429 || s >= 500;
}

export async function withPowerAutomateRetry<T>(timeScale: number, stats: RetryStats, fn: () => Promise<T>): Promise<T | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!retryable(err) || attempt >= PA_RETRY.retries) {
        stats.failedAfterRetries++;
        return undefined; // the flow run fails: the record is lost (counted by verify)
      }
      stats.retries++;
      const raw = PA_RETRY.intervalMs * (2 ** (attempt + 1) - 1) * (0.8 + 0.4 * Math.random());
      const delay = Math.min(PA_RETRY.maxMs, Math.max(PA_RETRY.minMs, raw));
      await new Promise((r) => setTimeout(r, delay * timeScale));
    }
  }
}
