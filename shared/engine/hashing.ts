/** Column hashes for skip-unchanged: short, stable, and equal for equal JSON values. */
import { hash } from 'node:crypto';

export function valueHash(value: unknown): string {
  // One-shot hash: same digest as createHash().update().digest(), without the stream object per value.
  return hash('sha256', JSON.stringify(value ?? null), 'base64url').slice(0, 16);
}

export function hashBody(body: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, valueHash(v)]));
}
