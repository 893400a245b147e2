/**
 * Service Bus queue triggers through the real `@azure/service-bus` SDK, with the receive loops of the
 * Service Bus extension (Azure/azure-sdk-for-net `Microsoft.Azure.WebJobs.Extensions.ServiceBus/src/Listeners/ServiceBusListener.cs`):
 * - single dispatch, no sessions: up to maxConcurrentCalls invocations at once, message locks renewed
 *   while the function runs (at most maxAutoLockRenewalDuration);
 * - single dispatch with sessions: maxConcurrentSessions sessions at once, one message at a time per
 *   session, the session lock renewed (at most maxAutoLockRenewalDuration);
 * - batch (`cardinality: 'many'`): ONE receive loop per function, so one batch at a time and, with
 *   sessions, one session at a time; neither message nor session locks are renewed; minMessageBatchSize
 *   and maxBatchWaitTime as the extension applies them.
 * A session is released when a receive waits sessionIdleTimeout (unset: clientRetryOptions.tryTimeout)
 * without a message. Settlement: complete on success when autoCompleteMessages; on a throw every message
 * of the invocation is abandoned (whatever autoCompleteMessages says), so the broker redelivers at once
 * and dead-letters at the queue's maxDeliveryCount. See README.md for the sources.
 */
import { setMaxListeners } from 'node:events';
import type { ServiceBusQueueFunctionOptions } from '@azure/functions';
import type { ServiceBusReceivedMessage, ServiceBusReceiver, ServiceBusClient as SdkClient } from '@azure/service-bus';
import type { ServiceBusHostOptions } from './config';
import type { HostLogger, InvocationRunner } from './invocation';
import { serviceBusClientFor } from './servicebus-connection';
import { batchTriggerMetadata, hostBody, singleTriggerMetadata } from './trigger-metadata';

export interface ServiceBusFunction {
  name: string;
  options: ServiceBusQueueFunctionOptions;
}

/** Pause after a receive loop fails (connection lost, entity missing) before it tries again. */
const RECEIVE_RETRY_DELAY_MS = 1000;

/**
 * After the first message a receive waits this long for more, then returns what it has: the .NET SDK's
 * `ReceiveMessagesAsync` (Azure.Messaging.ServiceBus `Amqp/AmqpReceiver.cs`: `BeginReceiveRemoteMessages(maxMessages,
 * TimeSpan.FromMilliseconds(20), …)`). The JS SDK's `receiveMessages` would wait up to 1 s, so batches are
 * received in two steps (the first message, then what comes within this window).
 */
const BATCH_FLUSH_MS = 20;

/**
 * How long one acceptNextSession asks the broker to wait for a session locally (Azure: the try timeout),
 * after which the loop asks again at once. A pending acceptNextSession ignores abort, so this bounds how
 * long close() waits; it changes which sessions are accepted and when in no way.
 */
const ACCEPT_SESSION_WAIT_MS = 3000;

export interface ServiceBusTriggerHost {
  start(): Promise<void>;
  /** Stop taking new messages; in-flight invocations continue and are settled. */
  stopReceiving(): Promise<void>;
  /** Close receivers and clients (after in-flight invocations finished). */
  stop(): Promise<void>;
  describe(): string[];
}

interface Trigger {
  name: string;
  options: ServiceBusQueueFunctionOptions;
  queueName: string;
  batch: boolean;
  sessions: boolean;
  autoComplete: boolean;
}

interface Clients {
  /** Receivers and settlement, with the configured try timeout. */
  main: SdkClient;
  /** acceptNextSession only (and the session receivers it returns): try timeout at most ACCEPT_SESSION_WAIT_MS. */
  sessions: SdkClient;
}

export function createServiceBusTriggerHost(
  functions: ServiceBusFunction[],
  hostOptions: ServiceBusHostOptions,
  settings: Record<string, string>,
  resolve: (value: string, where: string) => string,
  runner: InvocationRunner,
  log: HostLogger,
): ServiceBusTriggerHost {
  const triggers: Trigger[] = functions.map((f) => {
    if (f.options.sdkBinding) {
      throw new Error(`Function "${f.name}": sdkBinding (explicit settlement via @azure/functions-extensions-servicebus) is not supported by the local host.`);
    }
    // The Service Bus trigger does not support function-level retry: the host says so and runs without it.
    if ((f.options as { retry?: unknown }).retry !== undefined) log(`Retries are not supported for function 'Functions.${f.name}'.`);
    return {
      name: f.name,
      options: f.options,
      queueName: resolve(f.options.queueName, `Function "${f.name}" queueName`),
      batch: f.options.cardinality === 'many',
      sessions: Boolean(f.options.isSessionsEnabled),
      autoComplete: f.options.autoCompleteMessages ?? hostOptions.autoCompleteMessages,
    };
  });
  const tryTimeoutMs = hostOptions.clientTryTimeoutMs;
  /** A session receive waits this long for the session's next message before the session is released. */
  const sessionIdleMs = hostOptions.sessionIdleTimeoutMs ?? tryTimeoutMs;
  // One client per connection setting, like the host shares one per connection.
  const clients = new Map<string, Clients>();
  const receivers = new Set<ServiceBusReceiver>();
  const loops: Promise<void>[] = [];
  const abort = new AbortController();
  // Every session slot's receive call listens on this one signal; more than Node's default 10 is expected.
  setMaxListeners(0, abort.signal);
  const closers: (() => Promise<void>)[] = [];

  function clientsFor(f: ServiceBusFunction): Clients {
    let c = clients.get(f.options.connection);
    if (!c) {
      c = {
        main: serviceBusClientFor(f.options.connection, settings, f.name, tryTimeoutMs),
        sessions: serviceBusClientFor(f.options.connection, settings, f.name, Math.min(tryTimeoutMs, ACCEPT_SESSION_WAIT_MS)),
      };
      clients.set(f.options.connection, c);
    }
    return c;
  }

  async function invoke(t: Trigger, messages: ServiceBusReceivedMessage[], receiver: ServiceBusReceiver, renewal?: { stop(): void }): Promise<void> {
    const payload = t.batch ? messages.map(hostBody) : hostBody(messages[0]);
    const triggerMetadata = t.batch ? batchTriggerMetadata(messages) : singleTriggerMetadata(messages[0]);
    let failed = false;
    try {
      await runner.run(
        {
          functionName: t.name,
          triggerMetadata,
          trigger: {
            type: 'serviceBusTrigger',
            name: 'serviceBusTrigger',
            queueName: t.queueName,
            connection: t.options.connection,
            isSessionsEnabled: t.sessions,
            cardinality: t.batch ? 'many' : 'one',
          },
        },
        (context) => t.options.handler(payload, context),
      );
    } catch {
      failed = true;
    }
    // Renewal ends when the function returns (the SDK's processor cancels it in ProcessOneMessage's finally).
    renewal?.stop();
    // A failure is abandoned whatever autoCompleteMessages says; a success without auto-completion is left
    // unsettled (nothing in a Node function can settle it), so its lock expires and the broker redelivers.
    if (!failed && !t.autoComplete) return;
    await track(
      settleInOrder(receiver, async () => {
        for (const message of messages) {
          try {
            if (failed) await receiver.abandonMessage(message);
            else await receiver.completeMessage(message);
          } catch (err) {
            log(`[${t.name}] could not ${failed ? 'abandon' : 'complete'} message ${String(message.messageId)}: ${(err as Error).message}`);
          }
        }
      }),
    );
  }

  /** Settlements under way: stop() lets them finish before it closes the clients they use. */
  const settlements = new Set<Promise<void>>();
  function track(settlement: Promise<void>): Promise<void> {
    settlements.add(settlement);
    return settlement.finally(() => settlements.delete(settlement));
  }

  /**
   * One settlement at a time per receiver. rhea (under the SDK) merges the dispositions of adjacent
   * deliveries sent in the same tick into one range with the first one's outcome, so a complete and an
   * abandon from two concurrent invocations could both reach the broker as "complete": a lost message.
   */
  const settling = new WeakMap<ServiceBusReceiver, Promise<void>>();
  function settleInOrder(receiver: ServiceBusReceiver, settle: () => Promise<void>): Promise<void> {
    const next = (settling.get(receiver) ?? Promise.resolve()).then(settle);
    settling.set(receiver, next);
    return next;
  }

  /** The SDK's own renewal is off everywhere: it would go on after the function returned. */
  const receiverOptions = { receiveMode: 'peekLock' as const, skipParsingBodyAsJson: true, maxAutoLockRenewalDurationInMs: 0 };

  /**
   * Renews a message lock while the function runs, as the SDK's processor does (`ReceiverManager.RenewMessageLockAsync`):
   * before the lock ends (half the remaining time, at most 10 s early), until maxAutoLockRenewalDuration after receipt.
   */
  function renewWhileRunning(t: Trigger, receiver: ServiceBusReceiver, message: ServiceBusReceivedMessage): { stop(): void } {
    const until = Date.now() + hostOptions.maxAutoLockRenewalDurationMs;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const schedule = () => {
      const remaining = (message.lockedUntilUtc?.getTime() ?? Date.now()) - Date.now();
      const delay = remaining < 400 ? 0 : remaining - Math.min(remaining / 2, 10_000);
      if (stopped || Date.now() + delay >= until) return;
      timer = setTimeout(() => {
        if (stopped) return;
        receiver.renewMessageLock(message).then(schedule, (err: Error) => {
          if (!stopped) log(`[${t.name}] could not renew the lock of message ${String(message.messageId)}: ${err.message}`);
        });
      }, delay);
    };
    if (hostOptions.maxAutoLockRenewalDurationMs > 0) schedule();
    return {
      stop: () => {
        stopped = true;
        clearTimeout(timer);
      },
    };
  }

  /** Single dispatch without sessions: the SDK's streaming receiver with maxConcurrentCalls. */
  function startSingle(t: Trigger, client: SdkClient): void {
    const receiver = client.createReceiver(t.queueName, receiverOptions);
    receivers.add(receiver);
    const subscription = receiver.subscribe(
      {
        processMessage: (message) => invoke(t, [message], receiver, renewWhileRunning(t, receiver, message)),
        processError: async (args) => {
          if (!abort.signal.aborted) log(`[${t.name}] receive error (${args.errorSource}): ${args.error.message}`);
        },
      },
      { autoCompleteMessages: false, maxConcurrentCalls: hostOptions.maxConcurrentCalls },
    );
    closers.push(() => subscription.close());
  }

  /** Up to `max` messages: waits `waitMs` for the first, then BATCH_FLUSH_MS for the rest. */
  async function receiveBatch(receiver: ServiceBusReceiver, max: number, waitMs: number): Promise<ServiceBusReceivedMessage[]> {
    const first = await receiver.receiveMessages(1, { maxWaitTimeInMs: waitMs, abortSignal: abort.signal });
    if (first.length === 0 || max === 1) return first;
    // Not abortable: it ends within the flush window, and an abort mid-way would strand the first message.
    const rest = await receiver.receiveMessages(max - 1, { maxWaitTimeInMs: BATCH_FLUSH_MS });
    return [...first, ...rest];
  }

  async function acceptSession(t: Trigger, client: SdkClient, renewSessionLock: boolean): Promise<ServiceBusReceiver | undefined> {
    try {
      const receiver = await client.acceptNextSession(t.queueName, {
        ...receiverOptions,
        maxAutoLockRenewalDurationInMs: renewSessionLock ? finiteOrMax(hostOptions.maxAutoLockRenewalDurationMs) : 0,
        abortSignal: abort.signal,
      });
      receivers.add(receiver);
      return receiver;
    } catch (err) {
      if (isNoSessionAvailable(err)) return undefined;
      throw err;
    }
  }

  async function release(receiver: ServiceBusReceiver | undefined): Promise<void> {
    if (!receiver) return;
    receivers.delete(receiver);
    await receiver.close().catch(() => undefined);
  }

  /**
   * The extension's RunBatchReceiveLoopAsync: one loop per batch function. Without sessions it receives
   * from the queue; with sessions it holds one session until a receive waits sessionIdleTimeout for
   * nothing. With minMessageBatchSize > 1 messages are held until there are that many, or until
   * maxBatchWaitTime after they were first held (then what is held goes as a partial batch).
   */
  async function batchLoop(t: Trigger, c: Clients): Promise<void> {
    const max = hostOptions.maxMessageBatchSize;
    const min = hostOptions.minMessageBatchSize;
    const holding = min > 1;
    let held: ServiceBusReceivedMessage[] = [];
    let monitor: NodeJS.Timeout | undefined;
    let dispatching: Promise<void> = Promise.resolve();
    /** Invocations of this function never overlap: the loop and the held-messages timer take turns. */
    const exclusive = (work: () => Promise<void>): Promise<void> => (dispatching = dispatching.then(work, work));
    const takeHeld = (allowPartial: boolean): ServiceBusReceivedMessage[] => (held.length >= min || allowPartial ? held.splice(0, max) : []);
    const cancelMonitor = () => {
      clearTimeout(monitor);
      monitor = undefined;
    };
    const dispatchHeld = (receiver: ServiceBusReceiver) =>
      exclusive(async () => {
        const batch = takeHeld(true);
        if (batch.length > 0) await invoke(t, batch, receiver);
      });

    let receiver: ServiceBusReceiver | undefined = t.sessions ? undefined : c.main.createReceiver(t.queueName, receiverOptions);
    if (receiver) receivers.add(receiver);
    while (!abort.signal.aborted) {
      try {
        if (t.sessions && !receiver) {
          receiver = await acceptSession(t, c.sessions, false);
          held = [];
          if (!receiver) continue;
        }
        const current: ServiceBusReceiver = receiver as ServiceBusReceiver;
        // Without sessions the receive waits the try timeout (the extension passes no wait of its own).
        const messages = await receiveBatch(current, max, t.sessions ? sessionIdleMs : tryTimeoutMs);
        // Received while stopping: not dispatched (as in the extension); their locks expire.
        if (abort.signal.aborted) break;
        if (messages.length > 0) {
          await exclusive(async () => {
            if (holding) held.push(...messages);
            const batch = holding ? takeHeld(false) : messages;
            if (batch.length === 0) return;
            cancelMonitor();
            await invoke(t, batch, current);
          });
          if (holding && held.length > 0 && !monitor) {
            monitor = setTimeout(() => {
              monitor = undefined;
              void dispatchHeld(current);
            }, hostOptions.maxBatchWaitTimeMs);
          }
        } else if (t.sessions) {
          // The session is drained: what is held goes now, then the session is released.
          cancelMonitor();
          await dispatchHeld(current);
          await release(current);
          receiver = undefined;
        }
      } catch (err) {
        if (abort.signal.aborted) break;
        log(`[${t.name}] receive error on queue "${t.queueName}": ${(err as Error).message}`);
        if (t.sessions && receiver) {
          // Held messages of this session are dropped with it; their locks expire.
          cancelMonitor();
          await release(receiver);
          receiver = undefined;
        }
        if (!isSessionError(err)) await pauseAfter(t);
      }
    }
    // Stopping: held messages still go (the extension's StopAsync dispatches what remains).
    cancelMonitor();
    await dispatching;
    if (receiver && held.length > 0) await dispatchHeld(receiver);
    if (t.sessions) await release(receiver);
  }

  /** One of maxConcurrentSessions slots of a single-dispatch session function (the SDK's session processor). */
  async function sessionLoop(t: Trigger, client: SdkClient): Promise<void> {
    while (!abort.signal.aborted) {
      let receiver: ServiceBusReceiver | undefined;
      try {
        receiver = await acceptSession(t, client, true);
        while (receiver && !abort.signal.aborted) {
          const messages = await receiver.receiveMessages(1, { maxWaitTimeInMs: sessionIdleMs, abortSignal: abort.signal });
          if (messages.length === 0) break;
          await invoke(t, messages, receiver);
        }
      } catch (err) {
        if (!abort.signal.aborted) {
          log(`[${t.name}] receive error on queue "${t.queueName}": ${(err as Error).message}`);
          if (!isSessionError(err)) await pauseAfter(t);
        }
      } finally {
        await release(receiver);
      }
    }
  }

  async function pauseAfter(t: Trigger): Promise<void> {
    if (abort.signal.aborted) return;
    log(`[${t.name}] retrying the receive on queue "${t.queueName}" in ${RECEIVE_RETRY_DELAY_MS} ms.`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, RECEIVE_RETRY_DELAY_MS);
      abort.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }

  return {
    async start() {
      for (const t of triggers) {
        const c = clientsFor(t);
        if (t.batch) {
          loops.push(batchLoop(t, c));
        } else if (t.sessions) {
          for (let i = 0; i < hostOptions.maxConcurrentSessions; i++) loops.push(sessionLoop(t, c.sessions));
        } else {
          startSingle(t, c.main);
        }
      }
    },
    async stopReceiving() {
      abort.abort();
      await Promise.all(closers.map((close) => close().catch(() => undefined)));
    },
    async stop() {
      abort.abort();
      // A pending acceptNextSession ignores the abort signal, and once its connection is closed it
      // only gives up after the SDK's own 60 s link timeout; left open, the broker answers it within
      // ACCEPT_SESSION_WAIT_MS. So: wait for the loops first, then close.
      await Promise.all(loops);
      await Promise.allSettled([...settlements]);
      await Promise.all([...receivers].map((r) => r.close().catch(() => undefined)));
      receivers.clear();
      await Promise.all([...clients.values()].flatMap((c) => [c.main, c.sessions]).map((c) => c.close().catch(() => undefined)));
      clients.clear();
    },
    describe: () =>
      triggers.map(
        (t) =>
          `${t.name}: serviceBusTrigger (queue ${t.queueName}${t.sessions ? ', sessions' : ''}${t.batch ? ', batch' : ''}, connection ${t.options.connection})`,
      ),
  };
}

function finiteOrMax(ms: number): number {
  return Number.isFinite(ms) ? ms : Number.MAX_SAFE_INTEGER;
}

/** acceptNextSession gives up with these when no session has messages; that is the idle case, not a failure. */
function isNoSessionAvailable(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'SessionCannotBeLocked' || code === 'ServiceTimeout' || (err as Error | undefined)?.name === 'AbortError';
}

/** The session is gone (lock lost or taken): the loop takes the next one at once, as the extension does. */
function isSessionError(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'SessionLockLost' || code === 'SessionCannotBeLocked';
}
