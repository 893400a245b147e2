import { spawn } from 'child_process';
import path from 'path';
import { ServiceBusClient } from '@azure/service-bus';
import rhea = require('rhea');
import { startServiceBusEmulator } from '../../../../emulators/servicebus';

const cli = path.join(__dirname, '..', '..', '..', '..', 'dist', 'cli', 'dvsync.js');

test('`dvsync emulator servicebus --port 0` prints a working connection string and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [cli, 'emulator', 'servicebus', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const connectionString = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /Connection string: (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  expect(out).toContain('dvsync-changes, dvsync-inbound');
  const client = new ServiceBusClient(connectionString);
  await client.createSender('dvsync-inbound').sendMessages({ body: 'via cli' });
  const [m] = await client.createReceiver('dvsync-inbound', { receiveMode: 'receiveAndDelete' }).receiveMessages(1, { maxWaitTimeInMs: 3000 });
  expect(m.body).toBe('via cli');
  await client.close();
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(out).toContain('Service Bus emulator stopped.');
});

test('bad CLI input and a bad config file fail with a clear message', async () => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawn(process.execPath, [cli, 'emulator', 'servicebus', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.once('exit', (code) => resolve({ code, err }));
    });
  expect(await run(['--port', 'abc'])).toMatchObject({ code: 2, err: expect.stringContaining('--port must be an integer') });
  expect(await run(['--frobnicate'])).toMatchObject({ code: 2, err: expect.stringContaining('unknown option "--frobnicate"') });
  expect(await run(['--port', '0', '--config', '/nonexistent/queues.json'])).toMatchObject({
    code: 1,
    err: expect.stringContaining('/nonexistent/queues.json: cannot read queue config'),
  });
});

test('the emulator heartbeats idle connections, so a client idle timeout never fires', async () => {
  const emulator = await startServiceBusEmulator({ port: 0 });
  const container = rhea.create_container({ id: 'idle-client' });
  // rhea closes a connection that receives no frame within twice its idle timeout.
  const connection = container.connect({ port: emulator.port, host: '127.0.0.1', idle_time_out: 300, reconnect: false } as never);
  let dropped = false;
  connection.on('disconnected', () => (dropped = true));
  connection.on('connection_close', () => (dropped = true));
  await new Promise((r) => connection.once('connection_open', r));
  await new Promise((r) => setTimeout(r, 1500));
  expect(dropped).toBe(false);
  expect(connection.is_open()).toBe(true);
  connection.close();
  await emulator.close();
});

/**
 * "Promptly" means without waiting on anything a client could hold open: the SDK's 60 s idle
 * heartbeat, a 60 s acceptNextSession wait, lock timers. The bound sits far below those and far
 * above any scheduling delay on a busy 2-core machine, so it cannot flake and still catches a hang.
 */
const PROMPTLY_MS = 15_000;

test('close() ends open client connections promptly and frees the port', async () => {
  const emulator = await startServiceBusEmulator({ port: 0 });
  const connection = rhea.create_container({ id: 'close-client' }).connect({ port: emulator.port, host: '127.0.0.1', reconnect: false } as never);
  await new Promise((r) => connection.once('connection_open', r));
  const disconnected = new Promise((r) => connection.once('disconnected', r));
  const started = Date.now();
  await emulator.close();
  await disconnected;
  expect(Date.now() - started).toBeLessThan(PROMPTLY_MS);
  const again = await startServiceBusEmulator({ port: emulator.port });
  expect(again.port).toBe(emulator.port);
  await again.close();
});

test('close() under load: receivers attached, messages in flight and a session wait pending; it resolves promptly and frees the port', async () => {
  const emulator = await startServiceBusEmulator({ port: 0, queues: [{ name: 'busy' }, { name: 'sessions', requiresSession: true }] });
  const client = new ServiceBusClient(emulator.connectionString, { retryOptions: { maxRetries: 0, timeoutInMs: 60_000 } });
  const sender = client.createSender('busy');
  let batch = await sender.createMessageBatch();
  for (let i = 0; i < 3000; i++) {
    if (!batch.tryAddMessage({ body: { i } })) {
      await sender.sendMessages(batch);
      batch = await sender.createMessageBatch();
      batch.tryAddMessage({ body: { i } });
    }
  }
  await sender.sendMessages(batch);
  // A streaming receiver that never settles (locks held, deliveries in flight), a second one
  // mid-receiveMessages, and an acceptNextSession that would wait 60 s for a session.
  let received = 0;
  let releaseHandlers: () => void = () => undefined;
  const handlersHeld = new Promise<void>((r) => (releaseHandlers = r));
  const streaming = client.createReceiver('busy', { maxAutoLockRenewalDurationInMs: 0 });
  let subscription: { close(): Promise<void> } | undefined;
  const stopRetrying = new AbortController();
  const firstDelivery = new Promise<void>((resolve) => {
    subscription = streaming.subscribe(
      {
        processMessage: async () => {
          received++;
          resolve();
          await handlersHeld;
        },
        processError: async () => undefined,
      },
      { maxConcurrentCalls: 100, autoCompleteMessages: false, abortSignal: stopRetrying.signal },
    );
  });
  const batchReceive = client
    .createReceiver('busy', { maxAutoLockRenewalDurationInMs: 0 })
    .receiveMessages(500, { maxWaitTimeInMs: 60_000 })
    .catch(() => []);
  const sessionWait = client.acceptNextSession('sessions').then(
    () => 'accepted',
    () => 'failed',
  );
  await firstDelivery;
  expect(received).toBeGreaterThan(0);

  const started = Date.now();
  await emulator.close();
  expect(Date.now() - started).toBeLessThan(PROMPTLY_MS);
  // The session wait ends with the connection instead of running out its 60 s.
  expect(await sessionWait).toBe('failed');
  await batchReceive;
  const again = await startServiceBusEmulator({ port: emulator.port });
  expect(again.port).toBe(emulator.port);
  await again.close();
  // The SDK retries a detached subscription forever (its back-off timer only stops on abort).
  stopRetrying.abort();
  releaseHandlers();
  await subscription?.close();
  await client.close();
});
