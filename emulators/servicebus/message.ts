/** A message as a queue stores it, and how it is rendered for each delivery or peek. */
import { randomUUID } from 'crypto';
import {
  amqpMessage,
  types,
  BareMessage,
  encodeDelivery,
  readApplicationProperties,
  typed,
  Typed,
  writeApplicationProperties,
} from './codec';

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

/** Adds a message-id to the stored properties when the sender left it out. */
export function stampMessageId(bare: BareMessage): string {
  const existing = messageIdOf(bare);
  if (existing !== undefined) return existing;
  const id = randomUUID().replace(/-/g, '');
  const props = { ...((amqpMessage.decode(bare.properties ?? Buffer.alloc(0)) as Record<string, unknown>) ?? {}), message_id: id };
  // Re-encoding properties is safe: the list's fields have fixed AMQP types.
  const encoded: Buffer = amqpMessage.encode(props);
  bare.properties = sliceSection(encoded, 0x73);
  bare.decoded.message_id = id;
  return id;
}

function sliceSection(encoded: Buffer, code: number): Buffer | undefined {
  const reader = new types.Reader(encoded);
  while (reader.remaining()) {
    const start = reader.position;
    const s = reader.read();
    if (Number(s.descriptor?.value) === code) return Buffer.from(encoded.subarray(start, reader.position));
  }
  return undefined;
}

/** Rewrites application properties at the typed level, so untouched values keep their AMQP types. */
export function updateApplicationProperties(msg: StoredMessage, changes: Record<string, unknown>): void {
  if (!changes || Object.keys(changes).length === 0) return;
  const props = readApplicationProperties(msg.bare.applicationProperties) as Map<string, Typed | unknown>;
  for (const [k, v] of Object.entries(changes)) if (v !== undefined) props.set(k, v);
  msg.bare.applicationProperties = writeApplicationProperties(props);
  const view = (msg.bare.decoded.application_properties ??= {});
  Object.assign(view, changes);
}

/** The bytes of one delivery (or one peek / receive-by-sequence-number result). */
export function renderMessage(msg: StoredMessage, firstAcquirer: boolean): Buffer {
  const annotations = new Map<string, Typed>(msg.bare.annotations);
  annotations.set('x-opt-sequence-number', typed.long(msg.seq));
  annotations.set('x-opt-enqueue-sequence-number', typed.long(msg.seq));
  annotations.set('x-opt-enqueued-time', typed.timestamp(msg.enqueuedAt));
  if (msg.lockedUntil !== undefined) annotations.set('x-opt-locked-until', typed.timestamp(msg.lockedUntil));
  if (msg.state !== 'active') annotations.set('x-opt-message-state', typed.int(STATE_CODE[msg.state]));
  if (msg.deadLetterSource) annotations.set('x-opt-deadletter-source', typed.string(msg.deadLetterSource));
  return encodeDelivery(msg.bare, { deliveryCount: msg.deliveryCount, firstAcquirer }, annotations);
}
