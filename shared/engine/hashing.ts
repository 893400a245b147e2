/** Column hashes for skip-unchanged: short, stable, and equal for equal JSON values. */
import { createHash } from 'node:crypto';

export function valueHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value ?? null)).digest('base64url').slice(0, 16);
}

export function hashBody(body: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, valueHash(v)]));
}
