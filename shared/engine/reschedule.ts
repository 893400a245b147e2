/**
 * Identity and timing of re-enqueued changes. The body and session stay the same; the message id is
 * `<original>~<n>` (n counts every re-enqueue, so duplicate detection never drops one), and the
 * application property `dvsyncRetries` counts only record-level retries, which are bounded.
 */
import { createHash } from 'node:crypto';
import type { RetryPolicy } from './options';

export const RETRIES_PROPERTY = 'dvsyncRetries';
const MAX_MESSAGE_ID_LENGTH = 128;

export function parseMessageId(messageId: string): { base: string; requeues: number } {
  const m = /^(.*)~(\d+)$/.exec(messageId);
  return m ? { base: m[1], requeues: Number(m[2]) } : { base: messageId, requeues: 0 };
}

export function nextMessageId(messageId: string): string {
  const { base, requeues } = parseMessageId(messageId);
  const suffix = `~${requeues + 1}`;
  const shortBase = base.length + suffix.length <= MAX_MESSAGE_ID_LENGTH ? base : createHash('sha256').update(base).digest('hex').slice(0, 64);
  return `${shortBase}${suffix}`;
}

/** Exponential backoff with ±20 % jitter so a burst of held children does not return at one instant. */
export function retryDelayMs(policy: RetryPolicy, retries: number, random: () => number = Math.random): number {
  const raw = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retries);
  return Math.round(raw * (0.8 + 0.4 * random()));
}
