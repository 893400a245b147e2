import { type ServiceBusError, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { type Fixture, sleep, startFixture } from './fixture';

let f: Fixture;
beforeAll(async () => {
  f = await startFixture([
    { name: 'orders', requiresSession: true, lockDuration: 'PT5S' },
    { name: 'empty', requiresSession: true },
    { name: 'streamed', requiresSession: true, lockDuration: 'PT5S' },
  ]);
});
afterAll(() => f.close());

async function errorCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as ServiceBusError).code;
  }
}

test('sessions: strict order per session, state, renew, locked session refused, next session, abandon on close', async () => {
  const sender = f.client.createSender('orders');
  const interleaved = [1, 2, 3, 4, 5].flatMap((i) => [
    { body: `s1-${i}`, sessionId: 's1' },
    { body: `s2-${i}`, sessionId: 's2' },
  ]);
  await sender.sendMessages(interleaved);

  const s1 = await f.client.acceptSession('orders', 's1', { maxAutoLockRenewalDurationInMs: 0 });
  expect(s1.sessionId).toBe('s1');
  expect(s1.sessionLockedUntilUtc.getTime()).toBeGreaterThan(Date.now());
  const got = await s1.receiveMessages(5, { maxWaitTimeInMs: 3000 });
  expect(got.map((m) => m.body)).toEqual(['s1-1', 's1-2', 's1-3', 's1-4', 's1-5']);
  expect(got.every((m) => m.sessionId === 's1')).toBe(true);

  await s1.setSessionState({ cursor: 5 });
  expect(await s1.getSessionState()).toEqual({ cursor: 5 });
  const before = s1.sessionLockedUntilUtc.getTime();
  await sleep(50);
  const renewed = await s1.renewSessionLock();
  expect(renewed.getTime()).toBeGreaterThan(before);

  expect(await errorCode(f.client.acceptSession('orders', 's1'))).toBe('SessionCannotBeLocked');

  const next = await f.client.acceptNextSession('orders', { maxAutoLockRenewalDurationInMs: 0 });
  expect(next.sessionId).toBe('s2');
  const [first] = await next.receiveMessages(1, { maxWaitTimeInMs: 3000 });
  expect(first.body).toBe('s2-1');
  await next.abandonMessage(first);
  await next.close();

  for (const m of got) await s1.completeMessage(m);
  await s1.close();

  const again = await f.client.acceptSession('orders', 's2', { maxAutoLockRenewalDurationInMs: 0 });
  const rest = await again.receiveMessages(5, { maxWaitTimeInMs: 3000 });
  expect(rest.map((m) => m.body)).toEqual(['s2-1', 's2-2', 's2-3', 's2-4', 's2-5']);
  expect(rest[0].deliveryCount).toBe(1);
  for (const m of rest) await again.completeMessage(m);
  await again.close();

  // State survives the receiver: a later owner reads it back.
  const reopened = await f.client.acceptSession('orders', 's1', { maxAutoLockRenewalDurationInMs: 0 });
  expect(await reopened.getSessionState()).toEqual({ cursor: 5 });
  await reopened.close();
});

test('acceptNextSession with no session available fails with ServiceTimeout after the client timeout', async () => {
  const started = Date.now();
  expect(await errorCode(f.client.acceptNextSession('empty'))).toBe('ServiceTimeout');
  const waited = Date.now() - started;
  expect(waited).toBeGreaterThanOrEqual(1500);
  expect(waited).toBeLessThan(5000);
});

test('a session that appears while acceptNextSession waits is handed to that receiver', async () => {
  const pending = f.client.acceptNextSession('empty', { maxAutoLockRenewalDurationInMs: 0 });
  await sleep(300);
  await f.client.createSender('empty').sendMessages({ body: 'late', sessionId: 'late-session' });
  const receiver = await pending;
  expect(receiver.sessionId).toBe('late-session');
  const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
  expect(m.body).toBe('late');
  await receiver.completeMessage(m);
  await receiver.close();
});

test('session subscribe() with auto-complete delivers in order', async () => {
  await f.client.createSender('streamed').sendMessages([1, 2, 3, 4].map((n) => ({ body: n, sessionId: 'feed' })));
  const receiver = await f.client.acceptSession('streamed', 'feed');
  const seen: ServiceBusReceivedMessage[] = [];
  await new Promise<void>((resolve, reject) => {
    receiver.subscribe({
      processMessage: async (m) => {
        seen.push(m);
        if (seen.length === 4) setTimeout(resolve, 300);
      },
      processError: async (args) => reject(args.error),
    });
  });
  expect(seen.map((m) => m.body)).toEqual([1, 2, 3, 4]);
  await receiver.close();
  const check = await f.client.acceptSession('streamed', 'feed', { maxAutoLockRenewalDurationInMs: 0 });
  expect(await check.peekMessages(10)).toHaveLength(0);
  await check.close();
});
