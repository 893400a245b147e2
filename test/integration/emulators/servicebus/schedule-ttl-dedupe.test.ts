import type Long from 'long';
import { type Fixture, sleep, startFixture } from './fixture';

let f: Fixture;
beforeAll(async () => {
  f = await startFixture([
    { name: 'scheduled' },
    { name: 'dedupe', requiresDuplicateDetection: true, duplicateDetectionHistoryTimeWindow: 'PT10M' },
    { name: 'ttl', defaultMessageTimeToLive: 'PT1H', deadLetteringOnMessageExpiration: true },
    { name: 'ttl-drop', deadLetteringOnMessageExpiration: false },
    { name: 'paging' },
  ]);
});
afterAll(() => f.close());

test('scheduleMessages: peek shows state scheduled, nothing arrives early, the message arrives after its time; cancel removes one', async () => {
  const sender = f.client.createSender('scheduled');
  const at = new Date(Date.now() + 1000);
  const [keep, drop] = await sender.scheduleMessages([{ body: 'keep' }, { body: 'drop' }], at);
  expect(drop.greaterThan(keep)).toBe(true);
  const receiver = f.client.createReceiver('scheduled', { receiveMode: 'receiveAndDelete' });
  const peeked = await receiver.peekMessages(10);
  expect(peeked.map((m) => [m.body, m.state])).toEqual([
    ['keep', 'scheduled'],
    ['drop', 'scheduled'],
  ]);
  expect(peeked[0].scheduledEnqueueTimeUtc?.getTime()).toBe(at.getTime());
  await sender.cancelScheduledMessages(drop);
  expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 })).toHaveLength(0);
  const got = await receiver.receiveMessages(2, { maxWaitTimeInMs: 2500 });
  expect(got.map((m) => m.body)).toEqual(['keep']);
  expect(got[0].enqueuedTimeUtc!.getTime()).toBeGreaterThanOrEqual(at.getTime());
});

test('sendMessages with scheduledEnqueueTimeUtc is held until that time', async () => {
  const sender = f.client.createSender('scheduled');
  await sender.sendMessages({ body: 'timed', scheduledEnqueueTimeUtc: new Date(Date.now() + 800) });
  const receiver = f.client.createReceiver('scheduled', { receiveMode: 'receiveAndDelete' });
  expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 })).toHaveLength(0);
  await sleep(800);
  const got = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
  expect(got.map((m) => m.body)).toEqual(['timed']);
});

test('duplicate detection keeps one copy per messageId inside the window, in single sends and batches', async () => {
  const sender = f.client.createSender('dedupe');
  await sender.sendMessages({ body: 1, messageId: 'same' });
  await sender.sendMessages({ body: 2, messageId: 'same' });
  await sender.sendMessages([
    { body: 3, messageId: 'same' },
    { body: 4, messageId: 'other' },
  ]);
  const got = await f.client.createReceiver('dedupe', { receiveMode: 'receiveAndDelete' }).receiveMessages(5, { maxWaitTimeInMs: 800 });
  expect(got.map((m) => [m.messageId, m.body])).toEqual([
    ['same', 1],
    ['other', 4],
  ]);
});

test('an expired message is not delivered and goes to the DLQ with TTLExpiredException when the queue says so', async () => {
  await f.client.createSender('ttl').sendMessages([{ body: 'short', timeToLive: 300 }, { body: 'long' }]);
  await sleep(500);
  const receiver = f.client.createReceiver('ttl', { receiveMode: 'receiveAndDelete' });
  const got = await receiver.receiveMessages(2, { maxWaitTimeInMs: 800 });
  expect(got.map((m) => m.body)).toEqual(['long']);
  expect(got[0].expiresAtUtc!.getTime() - got[0].enqueuedTimeUtc!.getTime()).toBe(3600_000);
  const [dead] = await f.client
    .createReceiver('ttl', { subQueueType: 'deadLetter', receiveMode: 'receiveAndDelete' })
    .receiveMessages(1, { maxWaitTimeInMs: 2000 });
  expect(dead.body).toBe('short');
  expect(dead.deadLetterReason).toBe('TTLExpiredException');
  expect(dead.deadLetterSource).toBe('ttl');
});

test('without deadLetteringOnMessageExpiration an expired message is dropped', async () => {
  await f.client.createSender('ttl-drop').sendMessages({ body: 'gone', timeToLive: 200 });
  await sleep(1300); // past the background sweep
  expect(await f.client.createReceiver('ttl-drop').peekMessages(5)).toHaveLength(0);
  expect(await f.client.createReceiver('ttl-drop', { subQueueType: 'deadLetter' }).peekMessages(5)).toHaveLength(0);
});

test('peekMessages pages through the queue and honours fromSequenceNumber', async () => {
  await f.client.createSender('paging').sendMessages(Array.from({ length: 7 }, (_, i) => ({ body: i })));
  const receiver = f.client.createReceiver('paging');
  const page1 = await receiver.peekMessages(3);
  const page2 = await receiver.peekMessages(3);
  const page3 = await receiver.peekMessages(3);
  expect([...page1, ...page2, ...page3].map((m) => m.body)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  const from = await receiver.peekMessages(2, { fromSequenceNumber: page2[0].sequenceNumber as Long });
  expect(from.map((m) => m.body)).toEqual([3, 4]);
  expect(await receiver.peekMessages(3)).toHaveLength(0 + 2); // continues after the explicit page: 5, 6
});
