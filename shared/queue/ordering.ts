/**
 * Message identity and ordering on the changes queue.
 * - messageId: deterministic, so Service Bus duplicate detection drops Dataverse's retries and our own re-sends.
 * - sessionId: an ordering bucket. All changes to one target row hash to one bucket, and Service Bus
 *   delivers a session's messages in order to one receiver at a time, so a row's changes apply in order.
 *   Buckets (instead of one session per row) let a batch worker take many rows from one session and
 *   write them in one Dataverse $batch; the bucket count bounds parallelism per target environment.
 */
import { createHash } from 'crypto';

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** `<route>:<32 hex>`: at most 97 characters (Service Bus allows 128) and never all digits. */
export function changeMessageId(route: string, parts: ReadonlyArray<string | number | undefined>): string {
  return `${route}:${sha256([route, ...parts.map((p) => (p === undefined ? '' : String(p)))].join('\u001f')).slice(0, 32)}`;
}

/** Stable bucket in [0, buckets) for one target row. */
export function orderingBucket(targetEnvironment: string, targetTable: string, rowKey: string, buckets: number): number {
  const h = createHash('sha256').update(`${targetEnvironment}\u001f${targetTable}\u001f${rowKey.toLowerCase()}`, 'utf8').digest();
  return h.readUInt32BE(0) % buckets;
}

/** Session id for a bucket, per target environment (different environments never share a session). */
export function sessionIdFor(targetEnvironment: string, bucket: number): string {
  return `${targetEnvironment}-${String(bucket).padStart(4, '0')}`;
}
