/**
 * Every place the emulator reaches into rhea 3.0.5 internals, in one file, each with a unit test
 * (test/unit/emulators/servicebus/rhea-internals.test.ts) so a rhea upgrade that changes them fails loudly.
 * Each comment says why it is needed; the behaviours are in amqp/rhea 3.0.5 `lib/link.js`, `lib/session.js`, `lib/connection.js`.
 */
import { amqpMessage } from './codec';

/* eslint-disable @typescript-eslint/no-explicit-any */
type AnyLink = any;
type AnyDelivery = any;

/**
 * Container options for the listener. `treat_modified_as_released: false` keeps `modified`
 * (abandon, defer) distinct from `released`; rhea sets TCP_NODELAY only on sockets it opens, and
 * with Nagle plus delayed ACK each awaited send costs ~22 ms.
 */
export const listenerOptions = {
  sender_options: { treat_modified_as_released: false },
  receiver_options: { autoaccept: false, credit_window: 1000 },
  tcp_no_delay: true,
} as const;

const RAW = Symbol.for('dvsync.servicebus.rawBytes');

/**
 * rhea decodes format-0 transfers itself and drops the bytes; wrap its decoder so the received
 * message object remembers them (non-enumerable, so other rhea users in the process see no change).
 */
export function installRawCapture(): void {
  if (amqpMessage.decode[RAW]) return;
  const original = amqpMessage.decode;
  const wrapped = function (buffer: Buffer) {
    const msg = original(buffer);
    Object.defineProperty(msg, RAW, { value: buffer, enumerable: false });
    return msg;
  };
  (wrapped as any)[RAW] = true;
  amqpMessage.decode = wrapped;
}

export function rawBytesOf(message: unknown): Buffer | undefined {
  return message && typeof message === 'object' ? (message as any)[RAW] : undefined;
}

/** rhea's frame definitions (not re-exported by its index). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const frames: { disposition(fields: Record<string, unknown>): unknown } = require('rhea/lib/frames');

const unsettledWrites = new Map<unknown, AnyDelivery[]>();

/**
 * Settles a delivery we sent, with its outcome, and frees its slot. Two rhea 3.0.5 behaviours are
 * worked around here:
 * - In rcv-settle-mode second the client never echoes a final settle, so rhea would keep the slot
 *   in its 2048-entry per-session buffer forever and stall the link after 2048 deliveries.
 * - rhea's own disposition writer merges a delivery with the adjacent next one whatever the next
 *   one's outcome, so `accepted` for one and `rejected{message-lock-lost}` for the next, settled in
 *   the same tick, would both reach the client as accepted. We write the dispositions ourselves at
 *   the end of the tick: ranges of adjacent ids that share one state object.
 * `state` is required: Service Bus always settles with the outcome, and a disposition without one
 * reaches rhea clients as a null state ("unrecognised outcome: null").
 */
export function settleOutgoing(delivery: AnyDelivery, state: unknown): void {
  if (state === undefined || state === null)
    throw new TypeError('settleOutgoing: a settled disposition needs an outcome state (accepted, rejected, modified or released).');
  delivery.settled = true;
  delivery.state = state;
  delivery.remote_settled = true;
  const session = delivery.link.session;
  let list = unsettledWrites.get(session);
  if (!list) {
    if (unsettledWrites.size === 0) process.nextTick(writeDispositions);
    unsettledWrites.set(session, (list = []));
  }
  list.push(delivery);
}

function writeDispositions(): void {
  for (const [session, list] of unsettledWrites) {
    const s = session as AnyLink;
    if (!s.connection.is_open() || !s.is_open()) continue; // nobody is left to tell
    list.sort((a, b) => a.id - b.id);
    let first = list[0];
    let last = first;
    const emit = () => s.output(frames.disposition({ role: false, first: first.id, last: last.id, settled: true, state: first.state }));
    for (let i = 1; i < list.length; i++) {
      const d = list[i];
      if (d.id === last.id + 1 && d.state === first.state) {
        last = d;
        continue;
      }
      emit();
      first = last = d;
    }
    emit();
  }
  unsettledWrites.clear();
}

/** Deliveries queued on this link that rhea has not yet written (rhea only decrements credit on write). */
export function unsentDeliveries(link: AnyLink): number {
  const outgoing = link.session.outgoing;
  let n = 0;
  for (let id = outgoing.next_pending_delivery; id < outgoing.next_delivery_id; id++) {
    const d = outgoing.deliveries.by_id(id);
    if (d && d.link === link) n++;
  }
  return n;
}

/** Credit the client granted that no queued delivery will consume yet. */
export function usableCredit(link: AnyLink): number {
  return Math.max(0, (link.credit as number) - unsentDeliveries(link)) * (link.session.outgoing.available() > 0 ? 1 : 0);
}

/**
 * rhea answers a drain request only while credit remains; the SDK drains after `receiveMessages`
 * and waits for the echo even when credit is already 0. Make the echo unconditional.
 */
export function alwaysEchoDrain(link: AnyLink): void {
  link._get_drain = function (this: AnyLink) {
    if (this._draining && this._drained) {
      this.delivery_count += this.credit;
      this.credit = 0;
      this._draining = false;
      return true;
    }
    return false;
  };
}

/** Called from a `sender_draining` handler after we sent all we could: schedules the drain echo. */
export function completeDrain(link: AnyLink): void {
  link.set_drained(true);
  link.connection._register();
}

/**
 * rhea opens our end of a link before dispatching `sender_open`; un-open it so the attach reply
 * can be sent later (acceptNextSession with no session available yet).
 */
export function holdAttach(link: AnyLink): void {
  link.state.local_open = false;
  link.state.open_requests = Math.max(0, link.state.open_requests - 1);
}

export function releaseAttach(link: AnyLink): void {
  link.open();
}
