/**
 * Table Storage keys: PartitionKey/RowKey must not contain `/ \ # ?` or control characters
 * (U+0000–U+001F, U+007F–U+009F) and stay under 1 KiB (Azurite: 512 chars). Encoding is reversible
 * percent-style for short keys; keys that would be too long become a stable SHA-256 (the original
 * text is kept in an entity property, so nothing is lost).
 */
import { createHash } from 'node:crypto';

/** Characters Table Storage refuses in keys, plus '%' (our escape character). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what Table Storage refuses
const FORBIDDEN = /[%/\\#?\u0000-\u001f\u007f-\u009f]/g;

/** Stay under Azurite's 512-char limit (Azure allows 1 KiB) with room for a prefix. */
export const MAX_ENCODED_KEY_LENGTH = 400;

export function encodeTableKey(text: string): string {
  const encoded = text.replace(FORBIDDEN, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
  if (encoded.length <= MAX_ENCODED_KEY_LENGTH) return encoded;
  return `~sha256~${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/** Inverse of encodeTableKey for keys that were not hashed (hashed keys return undefined). */
export function decodeTableKey(encoded: string): string | undefined {
  if (encoded.startsWith('~sha256~')) return undefined;
  return encoded.replace(/%([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** A short stable bucket (hex) of a key, used to spread one table's rows over several partitions. */
export function bucketOf(text: string, buckets: number): string {
  if (buckets <= 1) return '0';
  const n = createHash('sha256').update(text, 'utf8').digest().readUInt32BE(0) % buckets;
  return n.toString(16).padStart(Math.max(1, (buckets - 1).toString(16).length), '0');
}
