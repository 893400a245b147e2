import { type ServiceBusError } from '@azure/service-bus';
import { type Fixture, startFixture } from './fixture';

let f: Fixture;
beforeAll(async () => {
  f = await startFixture([{ name: 'plain' }, { name: 'batch' }, { name: 'sessions', requiresSession: true }, { name: 'big' }]);
});
afterAll(() => f.close());

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as ServiceBusError).code ?? (err as Error).message;
  }
  return 'no error';
}

test('single, array and ServiceBusMessageBatch sends round-trip bodies and properties in order', async () => {
  const sender = f.client.createSender('plain');
  await sender.sendMessages({
    body: { kind: 'json', n: 1 },
    contentType: 'application/json',
    subject: 'subj',
    correlationId: 'corr-1',
    messageId: 'm-1',
    applicationProperties: { s: 'text', n: 42, b: true },
  });
  await sender.sendMessages([{ body: 'a string' }, { body: Buffer.from([1, 2, 3]) }]);
  const batch = await sender.createMessageBatch();
  expect(batch.maxSizeInBytes).toBe(256 * 1024);
  expect(batch.tryAddMessage({ body: 'in batch' })).toBe(true);
  await sender.sendMessages(batch);

  const receiver = f.client.createReceiver('plain', { receiveMode: 'receiveAndDelete' });
  const got = await receiver.receiveMessages(4, { maxWaitTimeInMs: 3000 });
  expect(got.map((m) => m.body)).toEqual([{ kind: 'json', n: 1 }, 'a string', Buffer.from([1, 2, 3]), 'in batch']);
  const first = got[0];
  expect(first).toMatchObject({ contentType: 'application/json', subject: 'subj', correlationId: 'corr-1', messageId: 'm-1', deliveryCount: 0 });
  expect(first.applicationProperties).toEqual({ s: 'text', n: 42, b: true });
  expect(first.enqueuedTimeUtc!.getTime()).toBeLessThanOrEqual(Date.now());
  const seqs = got.map((m) => m.sequenceNumber!.toNumber());
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  expect(new Set(seqs).size).toBe(4);
  // The service stamps a message-id when the sender gave none (the SDK's lock renewer relies on it).
  expect(typeof got[1].messageId).toBe('string');
  expect(got[1].lockToken).toBeUndefined();
  expect(await receiver.peekMessages(10)).toHaveLength(0);
  await receiver.close();
  await sender.close();
});

test('an unknown queue answers MessagingEntityNotFound for senders and receivers', async () => {
  expect(await codeOf(f.client.createSender('nope').sendMessages({ body: 1 }))).toBe('MessagingEntityNotFound');
  expect(await codeOf(f.client.createReceiver('nope').receiveMessages(1, { maxWaitTimeInMs: 500 }))).toBe('MessagingEntityNotFound');
});

test('a session queue refuses a message without sessionId, with the service text, and keeps what was accepted', async () => {
  const sender = f.client.createSender('sessions');
  await sender.sendMessages({ body: 'ok', sessionId: 's' });
  let error: Error | undefined;
  try {
    await sender.sendMessages({ body: 'no session' });
  } catch (err) {
    error = err as Error;
  }
  expect(error?.message).toContain('The SessionId was not set on a message, and it cannot be sent to the entity');
  const session = await f.client.acceptSession('sessions', 's');
  const got = await session.receiveMessages(1, { maxWaitTimeInMs: 2000 });
  expect(got.map((m) => m.body)).toEqual(['ok']);
  await session.completeMessage(got[0]);
  await session.close();
});

test('a message over 256 KB fails with MessageSizeExceeded; one under the limit goes through', async () => {
  const sender = f.client.createSender('big');
  expect(await codeOf(sender.sendMessages({ body: Buffer.alloc(300 * 1024, 7) }))).toBe('MessageSizeExceeded');
  await sender.sendMessages({ body: Buffer.alloc(200 * 1024, 9) });
  const got = await f.client.createReceiver('big', { receiveMode: 'receiveAndDelete' }).receiveMessages(1, { maxWaitTimeInMs: 3000 });
  expect((got[0].body as Buffer).length).toBe(200 * 1024);
  expect((got[0].body as Buffer)[1000]).toBe(9);
  const batch = await sender.createMessageBatch();
  expect(batch.tryAddMessage({ body: Buffer.alloc(300 * 1024) })).toBe(false);
});
