/**
 * Encodes one delivery: a fresh header and message annotations (broker-owned values first, then the
 * sender's), followed by the stored properties, application-properties and body bytes. Written
 * straight into one buffer of the exact size; the sender's annotations and the stored tail are
 * encoded once per message (cached on the BareMessage) rather than once per delivery.
 */
import { writeInt64 } from './amqp-bytes';
import { type BareMessage, types } from './codec';

/** The annotations the broker sets on every delivery (`x-opt-*`, as the service names them). */
export interface BrokerAnnotations {
  seq: number;
  enqueuedAt: number;
  lockedUntil?: number;
  /** x-opt-message-state: 1 deferred, 2 scheduled; omitted when active (0). */
  stateCode?: number;
  deadLetterSource?: string;
}

const symbol = (name: string) => Buffer.concat([Buffer.from([0xa3, name.length]), Buffer.from(name, 'latin1')]);
const KEY = {
  seq: symbol('x-opt-sequence-number'),
  enqueueSeq: symbol('x-opt-enqueue-sequence-number'),
  enqueued: symbol('x-opt-enqueued-time'),
  lockedUntil: symbol('x-opt-locked-until'),
  state: symbol('x-opt-message-state'),
  deadLetterSource: symbol('x-opt-deadletter-source'),
};
/** A sender cannot set these: the broker's value wins. */
const BROKER_KEYS = new Set([
  'x-opt-sequence-number',
  'x-opt-enqueue-sequence-number',
  'x-opt-enqueued-time',
  'x-opt-locked-until',
  'x-opt-message-state',
  'x-opt-deadletter-source',
]);

const LONG = 0x81;
const TIMESTAMP = 0x83;
const INT = 0x71;
const UINT = 0x70;

function encodedParts(bare: BareMessage): NonNullable<BareMessage['encoded']> {
  if (bare.encoded) return bare.encoded;
  const writer = new types.Writer();
  let count = 0;
  for (const [key, value] of bare.annotations) {
    if (BROKER_KEYS.has(key)) continue;
    writer.write(types.wrap_symbol(key));
    writer.write(value);
    count += 2;
  }
  const parts = [bare.properties, bare.applicationProperties, bare.body].filter((b): b is Buffer => b !== undefined);
  bare.encoded = { senderAnnotations: count ? writer.toBuffer() : Buffer.alloc(0), senderAnnotationCount: count, tail: Buffer.concat(parts) };
  return bare.encoded;
}

const bool = (v: boolean | undefined) => (v === undefined ? 0x40 : v ? 0x41 : 0x42);

export function encodeDelivery(bare: BareMessage, header: { deliveryCount: number; firstAcquirer: boolean }, broker: BrokerAnnotations): Buffer {
  const { senderAnnotations, senderAnnotationCount, tail } = encodedParts(bare);
  const { durable, priority, ttl } = bare.header;
  // header list: durable, priority (ubyte), ttl (uint), first-acquirer, delivery-count (uint)
  const headerFields = 1 + (priority === undefined ? 1 : 2) + (ttl === undefined ? 1 : 5) + 1 + 5;
  const dlSource = broker.deadLetterSource === undefined ? undefined : Buffer.from(broker.deadLetterSource, 'utf8');
  let entries = KEY.seq.length + 9 + KEY.enqueueSeq.length + 9 + KEY.enqueued.length + 9 + senderAnnotations.length;
  let count = 6 + senderAnnotationCount;
  if (broker.lockedUntil !== undefined) {
    entries += KEY.lockedUntil.length + 9;
    count += 2;
  }
  if (broker.stateCode !== undefined) {
    entries += KEY.state.length + 5;
    count += 2;
  }
  if (dlSource) {
    entries += KEY.deadLetterSource.length + (dlSource.length < 256 ? 2 : 5) + dlSource.length;
    count += 2;
  }
  const size = 3 + 3 + headerFields + 3 + 9 + entries + tail.length;
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  // header section: 0x00 0x53 0x70, list8 (size counts the count byte and the fields)
  out[o++] = 0x00;
  out[o++] = 0x53;
  out[o++] = 0x70;
  out[o++] = 0xc0;
  out[o++] = headerFields + 1;
  out[o++] = 5;
  out[o++] = bool(durable);
  if (priority === undefined) out[o++] = 0x40;
  else {
    out[o++] = 0x50;
    out[o++] = priority;
  }
  if (ttl === undefined) out[o++] = 0x40;
  else {
    out[o++] = UINT;
    o = out.writeUInt32BE(ttl, o);
  }
  out[o++] = bool(header.firstAcquirer);
  out[o++] = UINT;
  o = out.writeUInt32BE(header.deliveryCount, o);
  // message annotations: 0x00 0x53 0x72, map32 (size counts the count field and the entries)
  out[o++] = 0x00;
  out[o++] = 0x53;
  out[o++] = 0x72;
  out[o++] = 0xd1;
  o = out.writeUInt32BE(4 + entries, o);
  o = out.writeUInt32BE(count, o);
  const put = (key: Buffer, type: number) => {
    o += key.copy(out, o);
    out[o++] = type;
  };
  put(KEY.seq, LONG);
  o = writeInt64(out, broker.seq, o);
  put(KEY.enqueueSeq, LONG);
  o = writeInt64(out, broker.seq, o);
  put(KEY.enqueued, TIMESTAMP);
  o = writeInt64(out, broker.enqueuedAt, o);
  if (broker.lockedUntil !== undefined) {
    put(KEY.lockedUntil, TIMESTAMP);
    o = writeInt64(out, broker.lockedUntil, o);
  }
  if (broker.stateCode !== undefined) {
    put(KEY.state, INT);
    o = out.writeInt32BE(broker.stateCode, o);
  }
  if (dlSource) {
    if (dlSource.length < 256) {
      put(KEY.deadLetterSource, 0xa1);
      out[o++] = dlSource.length;
    } else {
      put(KEY.deadLetterSource, 0xb1);
      o = out.writeUInt32BE(dlSource.length, o);
    }
    o += dlSource.copy(out, o);
  }
  o += senderAnnotations.copy(out, o);
  tail.copy(out, o);
  return out;
}
