/**
 * Retry policy for Dataverse errors: bounded exponential backoff with jitter for transient errors,
 * the server's Retry-After for throttling (never shorter), and no retry at all for permanent errors.
 * Pure: it only computes delays; the throttle controller does the waiting against the caller's budget.
 */
import { z } from 'zod';
import { DataverseError } from './errors';

export const retryPolicySchema = z
  .object({
    /** Total attempts including the first. */
    maxAttempts: z.number().int().min(1).max(50).default(6),
    baseDelayMs: z.number().int().min(1).default(500),
    maxDelayMs: z.number().int().min(1).default(60_000),
  })
  .strict();

export type RetryPolicy = z.infer<typeof retryPolicySchema>;
export const DEFAULT_RETRY_POLICY: RetryPolicy = retryPolicySchema.parse({});

/**
 * Delay before attempt `failures + 1`, or undefined to stop. `failures` counts failed attempts so far.
 * Transient: "equal jitter" backoff (half fixed, half random) so instances that failed together spread out.
 */
export function retryDelayMs(
  error: unknown,
  failures: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): number | undefined {
  if (!(error instanceof DataverseError) || !error.retryable) return undefined;
  if (failures >= policy.maxAttempts) return undefined;
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failures - 1));
  const backoff = exponential / 2 + random() * (exponential / 2);
  if (error.kind === 'throttled') {
    // The server's pause is authoritative; add up to 10% so a fleet of instances doesn't return in lockstep.
    const retryAfter = error.retryAfterMs ?? policy.baseDelayMs;
    return Math.round(retryAfter + random() * retryAfter * 0.1);
  }
  return Math.round(Math.max(backoff, error.retryAfterMs ?? 0));
}
