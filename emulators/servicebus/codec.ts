/**
 * Section-level AMQP message codec. A stored message keeps the sender's properties,
 * application-properties and body bytes exactly as received (re-encoding decoded values would
 * lose AMQP types: longs above 2^53, int vs uint); only the header and message annotations are
 * written fresh for each delivery.
 */
import rhea = require('rhea');
import { binaryAt, readListFields, sectionCodeAt, sectionValueStart, valueEnd } from './amqp-bytes';

// rhea ships its codec on the container; the typings do not describe these internals.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const types: any = (rhea as any).types;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const amqpMessage: any = (rhea as any).message;
/** rhea's decoder as loaded, before installRawCapture wraps it: our own section decoding needs no raw bytes kept. */
const decodeSections: (bytes: Buffer) => Record<string, unknown> = amqpMessage.decode;

/** An AMQP-typed value as rhea's codec represents it. */
export type Typed = { type: unknown; value: unknown; descriptor?: { value: unknown } };

const HEADER = 0x70;
const DELIVERY_ANNOTATIONS = 0x71;
const MESSAGE_ANNOTATIONS = 0x72;
const PROPERTIES = 0x73;
const APPLICATION_PROPERTIES = 0x74;
const DATA = 0x75;
const EMPTY = Buffer.alloc(0);
/** Header and properties list fields the emulator reads, by list index (AMQP 1.0 §3.2.1, §3.2.4). */
const HEADER_FIELDS = ['durable', 'priority', 'ttl'] as const;
const PROPERTIES_FIELDS = [
  'message_id',
  undefined,
  undefined,
  undefined,
  undefined,
  undefined,
  undefined,
  undefined,
  undefined,
  undefined,
  'group_id',
] as const;

/** Message format the SDK uses for `sendMessages(array)` and batches: a run of data sections, one encoded message each. */
export const BATCH_FORMAT = 0x80013700;

export interface BareMessage {
  /** Header fields kept across deliveries (durable, priority, ttl). */
  header: { durable?: boolean; priority?: number; ttl?: number };
  /** Message annotations from the sender (partition key, scheduled time), keyed by symbol. */
  annotations: Map<string, Typed>;
  properties: Buffer | undefined;
  applicationProperties: Buffer | undefined;
  /** Body sections and footer, raw. */
  body: Buffer;
  /** Encoded pieces reused by every delivery; cleared whenever the sections above change. */
  encoded?: { senderAnnotations: Buffer; senderAnnotationCount: number; tail: Buffer };
  /** Decoded view, for reading message-id, group-id, expiry. */
  decoded: {
    durable?: boolean;
    priority?: number;
    message_id?: unknown;
    group_id?: string;
    absolute_expiry_time?: Date;
    ttl?: number;
    application_properties?: Record<string, unknown>;
  };
}

/** A typed AMQP map as key → typed value (keys unwrapped to strings). */
export function typedMapEntries(map: Typed): Map<string, Typed> {
  const out = new Map<string, Typed>();
  const items = (map.value as Typed[]) ?? [];
  for (let i = 0; i + 1 < items.length; i += 2) out.set(String(items[i].value), items[i + 1]);
  return out;
}

/**
 * Splits an encoded message into its sections, walking them by their encoded sizes: only the header,
 * properties and message annotations are decoded; the body stays opaque bytes. The message is
 * copied once, and every stored section is a view of that copy. Throws on bytes that are not an
 * AMQP message.
 */
export function parseBareMessage(raw: Buffer): BareMessage {
  const bytes = Buffer.from(raw);
  const bare: BareMessage = {
    header: {},
    annotations: new Map(),
    properties: undefined,
    applicationProperties: undefined,
    body: EMPTY,
    decoded: {},
  };
  let bodyStart = -1;
  for (let start = 0; start < bytes.length;) {
    const code = sectionCodeAt(bytes, start);
    const end = valueEnd(bytes, start);
    const section = bytes.subarray(start, end);
    if (code === HEADER || code === PROPERTIES) {
      // The fields we read, straight from the bytes; rhea's full decoder for unusual types (e.g. a uuid message-id).
      if (!readListFields(section, 0, code === HEADER ? HEADER_FIELDS : PROPERTIES_FIELDS, bare.decoded)) Object.assign(bare.decoded, decodeSections(section));
      if (code === PROPERTIES) bare.properties = section;
      else bare.header = { durable: bare.decoded.durable, priority: bare.decoded.priority, ttl: bare.decoded.ttl };
    } else if (code === MESSAGE_ANNOTATIONS) {
      bare.annotations = typedMapEntries(new types.Reader(section).read()); // the described section is the map, descriptor attached
    } else if (code === APPLICATION_PROPERTIES) {
      bare.applicationProperties = section;
    } else if (code !== DELIVERY_ANNOTATIONS && bodyStart < 0) {
      bodyStart = start;
    }
    start = end;
  }
  if (bodyStart >= 0) bare.body = bytes.subarray(bodyStart);
  return bare;
}

/** Splits a batch-format payload into the encoded messages it carries (views of `raw`). */
export function splitBatch(raw: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let start = 0; start < raw.length;) {
    const end = valueEnd(raw, start);
    // The batch envelope's own header/annotations are skipped; each data section is one message.
    if (sectionCodeAt(raw, start) === DATA) out.push(binaryAt(raw, sectionValueStart(raw, start)));
    start = end;
  }
  return out;
}

/** Application properties with their AMQP types intact. */
export function readApplicationProperties(bytes: Buffer | undefined): Map<string, Typed> {
  if (!bytes) return new Map();
  return typedMapEntries(new types.Reader(bytes).read());
}

/** Encodes application properties; plain JS values are typed the way rhea infers them. */
export function writeApplicationProperties(props: Map<string, Typed | unknown>): Buffer {
  const obj: Record<string, unknown> = {};
  for (const [k, v] of props) obj[k] = v;
  const writer = new types.Writer();
  writer.write(types.described_nc(types.wrap_ulong(APPLICATION_PROPERTIES), types.wrap_map(obj)));
  return writer.toBuffer();
}

export const typed = {
  long: (n: number): Typed => types.wrap_long(n),
  int: (n: number): Typed => types.wrap_int(n),
  timestamp: (ms: number): Typed => types.wrap_timestamp(ms),
  string: (s: string): Typed => types.wrap_string(s),
  uuid: (b: Buffer): Typed => types.wrap_uuid(b),
  binary: (b: Buffer): Typed => types.wrap_binary(b),
};

/** Standard (RFC 4122) string of 16 uuid bytes, as the SDK prints a `uuid` it decoded. */
export function uuidString(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The lock-token string the SDK shows for a delivery tag: it reads the tag as a .NET Guid, whose
 * first three fields are little-endian (bytes 0-3, 4-5, 6-7 reversed).
 */
export function lockTokenFromDeliveryTag(tag: Buffer): string {
  const h = tag.toString('hex');
  return (
    h.slice(6, 8) +
    h.slice(4, 6) +
    h.slice(2, 4) +
    h.slice(0, 2) +
    '-' +
    h.slice(10, 12) +
    h.slice(8, 10) +
    '-' +
    h.slice(14, 16) +
    h.slice(12, 14) +
    '-' +
    h.slice(16, 20) +
    '-' +
    h.slice(20, 32)
  );
}

const TICKS_AT_UNIX_EPOCH = 621355968000000000n;

/** A time as .NET ticks (100 ns since 0001-01-01) in 8 big-endian bytes, as `com.microsoft:locked-until-utc` carries it. */
export function dotnetTicks(ms: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(Math.floor(ms)) * 10000n + TICKS_AT_UNIX_EPOCH);
  return b;
}
