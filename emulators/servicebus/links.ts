/**
 * Connection and link handling on a rhea container: CBS, `$management` request/reply links,
 * sender links into queues (intake) and receiver links out of them (consumers, sessions).
 */
import { randomBytes } from 'crypto';
import type { Container, EventContext } from 'rhea';
import { amqpMessage, BATCH_FORMAT, dotnetTicks, lockTokenFromDeliveryTag, parseBareMessage, splitBatch, types } from './codec';
import { type Broker } from './broker';
import { type AmqpError, errors } from './errors';
import { handleManagement } from './management';
import { renderMessage, type StoredMessage } from './message';
import { type Consumer, type Outcome, type Queue } from './queue';
import { alwaysEchoDrain, completeDrain, holdAttach, rawBytesOf, releaseAttach, settleOutgoing, usableCredit } from './rhea-internals';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Link = any;

/** Standard tier: 256 KB per message. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
const SESSION_FILTER = 'com.microsoft:session-filter';
const DEFAULT_SESSION_WAIT_MS = 60_000;

class LinkConsumer implements Consumer {
  sessionId: string | undefined;
  readonly receiveAndDelete: boolean;
  constructor(
    readonly link: Link,
    readonly queue: Queue,
  ) {
    this.receiveAndDelete = link.remote.attach.snd_settle_mode === 1;
  }
  credit(): number {
    return this.link.is_open() ? usableCredit(this.link) : 0;
  }
  deliver(msg: StoredMessage, tag: Buffer | undefined): void {
    this.link.send(renderMessage(msg, msg.deliveryCount === 0), tag ?? randomBytes(16), 0);
  }
  fail(error: AmqpError): void {
    if (this.link.is_open()) this.link.close({ condition: error.condition, description: error.description });
  }
}

function unwrapValue(v: unknown): unknown {
  return v && typeof v === 'object' && !Buffer.isBuffer(v) && 'value' in (v as object) ? (v as { value: unknown }).value : v;
}

function outcomeOf(event: string, delivery: any): Outcome {
  const state = delivery.remote_state ?? {};
  if (event === 'accepted') return { kind: 'complete' };
  if (event === 'rejected') {
    const info = { ...(state.error?.info ?? {}) } as Record<string, unknown>;
    // The SDK sends null for an omitted reason or description; the service then sets no property.
    const reason = (info.DeadLetterReason ?? undefined) as string | undefined;
    const description = (info.DeadLetterErrorDescription ?? undefined) as string | undefined;
    delete info.DeadLetterReason;
    delete info.DeadLetterErrorDescription;
    return { kind: 'deadLetter', reason, description, properties: info };
  }
  if (event === 'modified' && state.undeliverable_here) return { kind: 'defer', properties: state.message_annotations };
  return { kind: 'abandon', properties: state.message_annotations };
}

/** Settled states are immutable once built, so one of each serves every disposition. */
const SETTLED = {
  complete: amqpMessage.accepted().described(),
  deadLetter: amqpMessage.rejected({}).described(),
  abandon: amqpMessage.modified({ undeliverable_here: false }).described(),
  defer: amqpMessage.modified({ undeliverable_here: true }).described(),
};

/** The state we settle with after applying an outcome: the outcome itself, without an error. */
function settledState(outcome: Outcome): unknown {
  return SETTLED[outcome.kind];
}

export function attachBroker(container: Container, broker: Broker, port: () => number): void {
  const consumers = new Map<Link, LinkConsumer>();
  const c = container as any;

  const replyLinkFor = (connection: any, replyTo: string | undefined): Link | undefined => {
    if (!replyTo) return undefined;
    const byName: Map<string, Link> | undefined = connection.__dvsyncReplyLinks;
    return byName?.get(replyTo);
  };

  const reply = (ctx: EventContext, request: any, status: number, description: string, body: unknown, condition?: string) => {
    const link = replyLinkFor(ctx.connection, request.reply_to);
    if (!link) return;
    const props: Record<string, unknown> = { statusCode: status, statusDescription: description, 'status-code': status, 'status-description': description };
    if (condition) props.errorCondition = condition;
    link.send({ correlation_id: request.message_id, application_properties: props, body });
  };

  // A client attaches a sender: we receive on it.
  c.on('receiver_open', (ctx: EventContext) => {
    const link = ctx.receiver as Link;
    const address: string | undefined = link.remote.attach.target?.address;
    link.set_target({ address });
    if (address === '$cbs') return;
    const resolved = broker.resolve(address);
    if (!resolved) {
      const e = errors.entityNotFound(address ?? '', port());
      link.close({ condition: e.condition, description: e.description });
      return;
    }
    link.local.attach.max_message_size = MAX_MESSAGE_BYTES;
  });

  // A client attaches a receiver: we send on it.
  c.on('sender_open', (ctx: EventContext) => {
    const link = ctx.sender as Link;
    const source = link.remote.attach.source ?? {};
    const address: string | undefined = source.address;
    link.local.attach.snd_settle_mode = link.remote.attach.snd_settle_mode;
    link.local.attach.rcv_settle_mode = link.remote.attach.rcv_settle_mode;
    alwaysEchoDrain(link);
    const connection = ctx.connection as any;
    const target: string | undefined = link.remote.attach.target?.address;
    if (address === '$cbs' || (address && /\/\$management$/i.test(address))) {
      link.set_source({ address });
      const byName: Map<string, Link> = (connection.__dvsyncReplyLinks ??= new Map());
      byName.set(link.name, link);
      if (target) byName.set(target, link);
      if (address === '$cbs' || broker.resolve(address)) return;
    }
    const resolved = broker.resolve(address);
    if (!resolved || resolved.management) {
      const e = errors.entityNotFound(address ?? '', port());
      link.close({ condition: e.condition, description: e.description });
      return;
    }
    const queue = resolved.queue;
    const consumer = new LinkConsumer(link, queue);
    const filter = source.filter as Record<string, unknown> | undefined;
    const wantsSession = filter !== undefined && SESSION_FILTER in filter;
    if (queue.settings.requiresSession !== wantsSession) {
      const e = wantsSession ? errors.sessionReceiverOnSessionlessQueue() : errors.sessionlessReceiverOnSessionQueue();
      link.set_source({ address });
      link.close({ condition: e.condition, description: e.description });
      return;
    }
    consumers.set(link, consumer);
    if (!wantsSession) {
      link.set_source({ address });
      queue.consumers.add(consumer);
      queue.scheduleDispatch();
      return;
    }
    const requested = unwrapValue(filter[SESSION_FILTER]);
    const timeout = Number(unwrapValue(link.remote.attach.properties?.['com.microsoft:timeout']) ?? DEFAULT_SESSION_WAIT_MS);
    holdAttach(link);
    queue.sessions.acquire(consumer, requested === null || requested === undefined ? null : String(requested), timeout, (result) => {
      if (!consumers.has(link)) return;
      if ('condition' in result) {
        if (result.condition !== 'com.microsoft:timeout') link.set_source({ address });
        releaseAttach(link);
        link.close({ condition: result.condition, description: result.description });
        consumers.delete(link);
        return;
      }
      link.set_source({ address, filter: { [SESSION_FILTER]: result.sessionId } });
      link.local.attach.properties = { 'com.microsoft:locked-until-utc': types.wrap_long(dotnetTicks(result.lockedUntil)) };
      releaseAttach(link);
      queue.consumers.add(consumer);
      queue.scheduleDispatch();
    });
  });

  c.on('message', (ctx: EventContext) => {
    const link = ctx.receiver as Link;
    const delivery = ctx.delivery as any;
    const address: string | undefined = link.remote.attach.target?.address;
    const request = ctx.message as any;
    if (address === '$cbs') {
      delivery.update(true, amqpMessage.accepted().described());
      reply(ctx, request, 202, 'Accepted', undefined);
      return;
    }
    const resolved = broker.resolve(address);
    if (!resolved) return;
    if (resolved.management) {
      delivery.update(true, amqpMessage.accepted().described());
      const operation = String(request.application_properties?.operation ?? '');
      const body = (request.body ?? {}) as Record<string, unknown>;
      const r = handleManagement(resolved.queue, operation, body);
      reply(ctx, request, r.status, r.description, r.body, r.condition);
      return;
    }
    const error = intake(resolved.queue, ctx);
    delivery.update(
      true,
      error ? amqpMessage.rejected({ error: { condition: error.condition, description: error.description } }).described() : amqpMessage.accepted().described(),
    );
  });

  const onDisposition = (event: string) => (ctx: EventContext) => {
    const link = ctx.sender as Link;
    const consumer = consumers.get(link);
    const delivery = ctx.delivery as any;
    if (!consumer || consumer.receiveAndDelete) return;
    const outcome = outcomeOf(event, delivery);
    const error = consumer.queue.settle(lockTokenFromDeliveryTag(delivery.tag), outcome);
    settleOutgoing(
      delivery,
      error ? amqpMessage.rejected({ error: { condition: error.condition, description: error.description } }).described() : settledState(outcome),
    );
  };
  for (const event of ['accepted', 'released', 'rejected', 'modified']) c.on(event, onDisposition(event));

  const onCredit = (ctx: EventContext) => {
    const consumer = consumers.get(ctx.sender);
    if (consumer) consumer.queue.scheduleDispatch();
  };
  c.on('sendable', onCredit);
  c.on('sender_flow', onCredit);
  c.on('sender_draining', (ctx: EventContext) => {
    const consumer = consumers.get(ctx.sender);
    // Deliver what we can first (synchronously is not possible: dispatch is batched), then echo the drain.
    if (consumer) consumer.queue.scheduleDispatch();
    setImmediate(() => setImmediate(() => completeDrain(ctx.sender)));
  });

  const dropLink = (link: Link) => {
    const consumer = consumers.get(link);
    if (!consumer) return;
    consumers.delete(link);
    consumer.queue.consumers.delete(consumer);
    consumer.queue.sessions.releaseOwner(consumer);
  };
  c.on('sender_close', (ctx: EventContext) => dropLink(ctx.sender));
  const dropConnection = (ctx: EventContext) => {
    for (const link of [...consumers.keys()]) if (link.connection === ctx.connection) dropLink(link);
  };
  c.on('connection_close', dropConnection);
  c.on('disconnected', dropConnection);
  c.on('error', () => undefined);
  c.on('connection_error', () => undefined);
}

/** Accepts one transfer (a single message or a batch). All messages of a batch are checked before any is stored. */
function intake(queue: Queue, ctx: EventContext): AmqpError | undefined {
  const format = (ctx as any).format as number | undefined;
  const raw: Buffer | undefined = format ? (ctx.message as unknown as Buffer) : rawBytesOf(ctx.message);
  if (!raw) return errors.badRequest('The transfer carried no message bytes.');
  if (raw.length > MAX_MESSAGE_BYTES) return errors.messageTooLarge(raw.length, MAX_MESSAGE_BYTES);
  let encoded: Buffer[];
  try {
    encoded = format === BATCH_FORMAT ? splitBatch(raw) : [raw];
  } catch (err) {
    return errors.badRequest(`The transfer is not a valid AMQP message: ${(err as Error).message}`);
  }
  const bares = encoded.map((b) => ({ bare: parseBareMessage(b), size: b.length }));
  for (const { bare } of bares) {
    if (queue.settings.requiresSession && (bare.decoded.group_id === undefined || bare.decoded.group_id === null)) return errors.sessionIdMissing();
  }
  for (const { bare, size } of bares) {
    const e = queue.accept(bare, size);
    if (e) return e;
  }
  return undefined;
}
