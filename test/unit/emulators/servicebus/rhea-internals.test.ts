/**
 * One test per rhea 3.0.5 internal the emulator relies on (emulators/servicebus/rhea-internals.ts),
 * run over real loopback connections, so a rhea upgrade that changes them fails here first.
 */
import { type AddressInfo, type Server } from 'net';
import rhea = require('rhea');
import { amqpMessage } from '../../../../emulators/servicebus/codec';
import {
  alwaysEchoDrain,
  completeDrain,
  holdAttach,
  installRawCapture,
  listenerOptions,
  rawBytesOf,
  releaseAttach,
  settleOutgoing,
  unsentDeliveries,
} from '../../../../emulators/servicebus/rhea-internals';

let server: any;
let listener: Server;
let client: any;
let connection: any;

beforeEach(async () => {
  server = rhea.create_container({ id: 'test-server' });
  listener = server.listen({ port: 0, host: '127.0.0.1', ...listenerOptions });
  await new Promise((r) => listener.once('listening', r));
  client = rhea.create_container({ id: 'test-client' });
});
afterEach(async () => {
  if (connection) connection.close();
  await new Promise<void>((r) => listener.close(() => r()));
  connection = undefined;
});

function connect() {
  connection = client.connect({ port: (listener.address() as AddressInfo).port, host: '127.0.0.1', reconnect: false });
  return connection;
}

const waitFor = (emitter: any, event: string) => new Promise<any>((r) => emitter.once(event, r));

test('with treat_modified_as_released false a modified outcome arrives as modified, not released', async () => {
  const seen: string[] = [];
  server.on('sender_open', (ctx: any) => ctx.sender.send({ body: 'x' }));
  server.on('released', () => seen.push('released'));
  const modified = new Promise<any>((r) => server.on('modified', (ctx: any) => r(ctx.delivery.remote_state)));
  connect()
    .open_receiver({ source: 'q', autoaccept: false })
    .on('message', (ctx: any) => ctx.delivery.modified({ undeliverable_here: true }));
  const state = await modified;
  expect(state.undeliverable_here).toBe(true);
  expect(seen).toEqual([]);
});

test('settleOutgoing frees the delivery slot even though the client never settles again', async () => {
  let link: any;
  server.on('sender_open', (ctx: any) => {
    link = ctx.sender;
    ctx.sender.send({ body: 'x' });
  });
  const settledByUs = new Promise<void>((r) =>
    server.on('accepted', (ctx: any) => {
      settleOutgoing(ctx.delivery, amqpMessage.accepted().described());
      r();
    }),
  );
  // rcv-settle-mode second: the client waits for our settlement and never echoes a final settle.
  const receiver = connect().open_receiver({ source: 'q', autoaccept: false, rcv_settle_mode: 1 });
  receiver.on('message', (ctx: any) => ctx.delivery.update(false, amqpMessage.accepted().described()));
  const clientSaw = new Promise<any>((r) => receiver.on('settled', (ctx: any) => r(ctx.delivery.remote_state)));
  await settledByUs;
  // The client sees our settlement carry the outcome (a stateless one decodes as a bare null).
  expect((await clientSaw)?.constructor?.composite_type).toBe('accepted');
  const capacity = link.session.outgoing.deliveries.capacity;
  await new Promise((r) => setTimeout(r, 50));
  expect(link.session.outgoing.available()).toBe(capacity);
});

test('settleOutgoing keeps each outcome when adjacent deliveries are settled differently in one tick', async () => {
  server.on('sender_open', (ctx: any) => {
    ctx.sender.send({ body: 'a' });
    ctx.sender.send({ body: 'b' });
  });
  let settledByServer = 0;
  server.on('accepted', (ctx: any) => {
    // rhea's own writer would send both as one accepted range, hiding the second one's error.
    settleOutgoing(
      ctx.delivery,
      settledByServer++ === 0
        ? amqpMessage.accepted().described()
        : amqpMessage.rejected({ error: { condition: 'com.microsoft:message-lock-lost', description: 'gone' } }).described(),
    );
  });
  const receiver = connect().open_receiver({ source: 'q', autoaccept: false, rcv_settle_mode: 1 });
  const deliveries: any[] = [];
  receiver.on('message', (ctx: any) => {
    deliveries.push(ctx.delivery);
    if (deliveries.length === 2) for (const d of deliveries) d.update(false, amqpMessage.accepted().described());
  });
  const outcomes: string[] = [];
  await new Promise<void>((r) =>
    receiver.on('settled', (ctx: any) => {
      const st = ctx.delivery.remote_state;
      outcomes[deliveries.indexOf(ctx.delivery)] = `${st?.constructor?.composite_type}${st?.error ? `:${st.error.condition}` : ''}`;
      if (outcomes.filter(Boolean).length === 2) r();
    }),
  );
  expect(outcomes).toEqual(['accepted', 'rejected:com.microsoft:message-lock-lost']);
});

test('settleOutgoing refuses to settle without an outcome state', () => {
  expect(() => settleOutgoing({ update: () => undefined }, undefined)).toThrow(/needs an outcome state/);
});

test('unsentDeliveries counts queued transfers rhea has not written (link.credit only drops on write)', async () => {
  const result = new Promise<[number, number, number]>((r) =>
    server.on('sendable', (ctx: any) => {
      if (ctx.sender.__tested) return;
      ctx.sender.__tested = true;
      const credit = ctx.sender.credit;
      ctx.sender.send({ body: 1 });
      ctx.sender.send({ body: 2 });
      r([credit, ctx.sender.credit, unsentDeliveries(ctx.sender)]);
    }),
  );
  connect().open_receiver({ source: 'q', credit_window: 5 });
  const [before, after, unsent] = await result;
  expect(before).toBe(5);
  expect(after).toBe(5);
  expect(unsent).toBe(2);
});

test('alwaysEchoDrain answers a drain request that arrives when credit is already 0', async () => {
  server.on('sender_open', (ctx: any) => alwaysEchoDrain(ctx.sender));
  server.on('sendable', (ctx: any) => {
    if (ctx.sender.__sent) return;
    ctx.sender.__sent = true;
    // rhea can raise 'sendable' before our attach is written; a transfer sent synchronously would precede it.
    setImmediate(() => ctx.sender.send({ body: 'only' }));
  });
  server.on('sender_draining', (ctx: any) => completeDrain(ctx.sender));
  const receiver = connect().open_receiver({ source: 'q', credit_window: 0 });
  receiver.add_credit(1);
  receiver.on('message', () => receiver.drain_credit());
  await waitFor(receiver, 'receiver_drained');
  expect(receiver.credit).toBe(0);
});

test('holdAttach delays our attach reply until releaseAttach', async () => {
  let held: any;
  server.on('sender_open', (ctx: any) => {
    held = ctx.sender;
    holdAttach(ctx.sender);
  });
  const receiver = connect().open_receiver({ source: 'q' });
  let opened = false;
  receiver.on('receiver_open', () => (opened = true));
  await new Promise((r) => setTimeout(r, 300));
  expect(held).toBeDefined();
  expect(opened).toBe(false);
  held.set_source({ address: 'echoed' });
  releaseAttach(held);
  await waitFor(receiver, 'receiver_open');
  expect(receiver.source.address).toBe('echoed');
});

test('installRawCapture keeps the exact received bytes on decoded messages, once', async () => {
  installRawCapture();
  installRawCapture();
  const raw: Buffer = amqpMessage.encode({ body: 'x', application_properties: { a: 1 } });
  const decoded = amqpMessage.decode(raw);
  expect(rawBytesOf(decoded)?.equals(raw)).toBe(true);
  expect(Object.keys(decoded)).not.toContain('raw');
  const got = new Promise<Buffer | undefined>((r) => server.on('message', (ctx: any) => r(rawBytesOf(ctx.message))));
  const sender = connect().open_sender({ target: 'q' });
  sender.on('sendable', () => {
    if (!sender.__sent) sender.send({ body: 'wire', message_id: 'm' });
    sender.__sent = true;
  });
  const bytes = await got;
  expect(amqpMessage.decode(bytes).body).toBe('wire');
});
