/** A message as a queue stores it, and how it is rendered for each delivery or peek. */
import { randomBytes } from 'crypto';
import { sectionValueStart, valueEnd } from './amqp-bytes';
import { type BareMessage, readApplicationProperties, type Typed, writeApplicationProperties } from './codec';
import { encodeDelivery } from './delivery';

export type MessageState = 'active' | 'deferred' | 'scheduled';
const STATE_CODE: Record<MessageState, number> = { active: 0, deferred: 1, scheduled: 2 };

export interface StoredMessage {
  seq: number;
  bare: BareMessage;
  messageId: string;
  sessionId: string | undefined;
  enqueuedAt: number;
  /** Infinity when the message never expires. */
  expiresAt: number;
  /** Deliveries that ended without settlement (abandon, lock expiry): what header.delivery-count carries. */
  deliveryCount: number;
  state: MessageState;
  scheduledAt?: number;
  deadLetterSource?: string;
  /** Lock token (as the SDK prints it) while the message is locked. */
  lockToken?: string;
  lockedUntil?: number;
  /** Encoded size as received, for the per-message size limit. */
  size: number;
}

/** The message-id the SDK will see: the sender's, or one we stamp (the SDK's auto lock renewer needs one). */
export function messageIdOf(bare: BareMessage): string | undefined {
  const id = bare.decoded.message_id;
  if (id === undefined || id === null) return undefined;
  return Buffer.isBuffer(id) ? id.toString('hex') : String(id);
}

/** Stamped ids: 16 random hex digits per process, then a counter (32 hex digits, like a uuid without dashes). */
const ID_PREFIX = randomBytes(8).toString('hex');
let idCounter = 0;

/** Adds a message-id to the stored properties when the sender left it out. */
export function stampMessageId(bare: BareMessage): string {
  const existing = messageIdOf(bare);
  if (existing !== undefined) return existing;
  const id = ID_PREFIX + (++idCounter).toString(16).padStart(16, '0');
  bare.properties = propertiesWithMessageId(bare.properties, id);
  bare.encoded = undefined;
  bare.decoded.message_id = id;
  return id;
}

/**
 * The properties section with `id` (a string) as its first field, message-id: the other fields keep
 * their bytes. `properties` is absent or has a null/missing message-id (the caller checked).
 */
function propertiesWithMessageId(properties: Buffer | undefined, id: string): Buffer {
  const idBytes = Buffer.from(id, 'utf8');
  let prefix: Buffer = Buffer.from([0x00, 0x53, 0x73]);
  let rest: Buffer = Buffer.alloc(0);
  let count = 0;
  if (properties) {
    const listAt = sectionValueStart(properties, 0);
    prefix = properties.subarray(0, listAt);
    const code = properties[listAt];
    const first = code === 0xc0 ? listAt + 3 : code === 0xd0 ? listAt + 9 : -1;
    count = code === 0xc0 ? properties[listAt + 2] : code === 0xd0 ? properties.readUInt32BE(listAt + 5) : 0;
    if (count > 0) rest = properties.subarray(valueEnd(properties, first), valueEnd(properties, listAt));
  }
  const size = 4 + 2 + idBytes.length + rest.length;
  const out = Buffer.allocUnsafe(prefix.length + 5 + size);
  let o = prefix.copy(out, 0);
  out[o++] = 0xd0; // list32: size, count, then the fields
  o = out.writeUInt32BE(size, o);
  o = out.writeUInt32BE(Math.max(count, 1), o);
  out[o++] = 0xa1; // str8-utf8 (a 32-character id)
  out[o++] = idBytes.length;
  o += idBytes.copy(out, o);
  rest.copy(out, o);
  return out;
}

/** Rewrites application properties at the typed level, so untouched values keep their AMQP types. */
export function updateApplicationProperties(msg: StoredMessage, changes: Record<string, unknown>): void {
  if (!changes || Object.keys(changes).length === 0) return;
  const props = readApplicationProperties(msg.bare.applicationProperties) as Map<string, Typed | unknown>;
  for (const [k, v] of Object.entries(changes)) if (v !== undefined) props.set(k, v);
  msg.bare.applicationProperties = writeApplicationProperties(props);
  msg.bare.encoded = undefined;
  const view = (msg.bare.decoded.application_properties ??= {});
  Object.assign(view, changes);
}

/** The bytes of one delivery (or one peek / receive-by-sequence-number result). */
export function renderMessage(msg: StoredMessage, firstAcquirer: boolean): Buffer {
  return encodeDelivery(
    msg.bare,
    { deliveryCount: msg.deliveryCount, firstAcquirer },
    {
      seq: msg.seq,
      enqueuedAt: msg.enqueuedAt,
      lockedUntil: msg.lockedUntil,
      stateCode: msg.state === 'active' ? undefined : STATE_CODE[msg.state],
      deadLetterSource: msg.deadLetterSource,
    },
  );
}
