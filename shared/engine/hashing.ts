/** Column hashes for skip-unchanged: short, stable, and equal for equal JSON values. */
import { hash } from 'node:crypto';
import { ExactDecimal } from '../model/decimal';

export function valueHash(value: unknown): string {
  // An exact amount hashes on its digits as the JSON number literal it is sent as (its toJSON would round).
  // One-shot hash: same digest as createHash().update().digest(), without the stream object per value.
  const json = value instanceof ExactDecimal ? value.text : JSON.stringify(value ?? null);
  return hash('sha256', json, 'base64url').slice(0, 16);
}

export function hashBody(body: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, valueHash(v)]));
}
