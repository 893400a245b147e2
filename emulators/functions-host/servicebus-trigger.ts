/**
 * Service Bus queue triggers through the real `@azure/service-bus` SDK, settled like the host:
 * PeekLock; complete on success (when autoCompleteMessages), abandon on a throw, so the broker
 * redelivers and finally dead-letters at the queue's maxDeliveryCount. Single dispatch renews locks
 * up to maxAutoLockRenewalDuration; batches are not renewed (as in the host). Session functions
 * hold up to maxConcurrentSessions sessions, each processed one message (or batch) at a time.
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
    return {
      name: f.name,
      options: f.options,
      queueName: resolve(f.options.queueName, `Function "${f.name}" queueName`),
      batch: f.options.cardinality === 'many',
      sessions: Boolean(f.options.isSessionsEnabled),
      autoComplete: f.options.autoCompleteMessages ?? hostOptions.autoCompleteMessages,
    };
  });
  // One client per connection setting, like the host shares one per connection.
  const clients = new Map<string, SdkClient>();
  const receivers = new Set<ServiceBusReceiver>();
  const loops: Promise<void>[] = [];
  const abort = new AbortController();
  // Every session slot's receive call listens on this one signal; more than Node's default 10 is expected.
  setMaxListeners(0, abort.signal);
  const closers: (() => Promise<void>)[] = [];

  function clientFor(f: ServiceBusFunction): SdkClient {
    let client = clients.get(f.options.connection);
    if (!client) {
      client = serviceBusClientFor(f.options.connection, settings, f.name, hostOptions.clientTryTimeoutMs);
      clients.set(f.options.connection, client);
    }
    return client;
  }

  async function invoke(t: Trigger, messages: ServiceBusReceivedMessage[], receiver: ServiceBusReceiver): Promise<void> {
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
    // Without auto-completion there is no settlement at all: the lock expires and the broker redelivers.
    if (!t.autoComplete) return;
    await settleInOrder(receiver, async () => {
      for (const message of messages) {
        try {
          if (failed) await receiver.abandonMessage(message);
          else await receiver.completeMessage(message);
        } catch (err) {
          log(`[${t.name}] could not ${failed ? 'abandon' : 'complete'} message ${String(message.messageId)}: ${(err as Error).message}`);
        }
      }
    });
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

  function receiverOptions(t: Trigger) {
    return {
      receiveMode: 'peekLock' as const,
      skipParsingBodyAsJson: true,
      maxAutoLockRenewalDurationInMs: t.batch ? 0 : finiteOrMax(hostOptions.maxAutoLockRenewalDurationMs),
    };
  }

  /** Non-session, one message per invocation: the SDK's streaming receiver with maxConcurrentCalls. */
  function startSingle(t: Trigger, client: SdkClient): void {
    const receiver = client.createReceiver(t.queueName, receiverOptions(t));
    receivers.add(receiver);
    const subscription = receiver.subscribe(
      {
        processMessage: (message) => invoke(t, [message], receiver),
        processError: async (args) => {
          if (!abort.signal.aborted) log(`[${t.name}] receive error (${args.errorSource}): ${args.error.message}`);
        },
      },
      { autoCompleteMessages: false, maxConcurrentCalls: hostOptions.maxConcurrentCalls },
    );
    closers.push(() => subscription.close());
  }

  /** Non-session batches: one batch at a time (batch functions are serial per instance). */
  async function batchLoop(t: Trigger, client: SdkClient): Promise<void> {
    const receiver = client.createReceiver(t.queueName, receiverOptions(t));
    receivers.add(receiver);
    while (!abort.signal.aborted) {
      try {
        const messages = await receiver.receiveMessages(hostOptions.maxMessageBatchSize, {
          maxWaitTimeInMs: hostOptions.maxBatchWaitTimeMs,
          abortSignal: abort.signal,
        });
        if (messages.length > 0) await invoke(t, messages, receiver);
      } catch (err) {
        await pauseAfter(t, err);
      }
    }
  }

  /** One session slot: accept the next available session, drain it in order, release it when idle. */
  async function sessionLoop(t: Trigger, client: SdkClient): Promise<void> {
    while (!abort.signal.aborted) {
      let receiver: ServiceBusReceiver | undefined;
      try {
        receiver = await client.acceptNextSession(t.queueName, { ...receiverOptions(t), abortSignal: abort.signal });
        receivers.add(receiver);
        while (!abort.signal.aborted) {
          const messages = await receiver.receiveMessages(t.batch ? hostOptions.maxMessageBatchSize : 1, {
            maxWaitTimeInMs: t.batch ? Math.min(hostOptions.maxBatchWaitTimeMs, hostOptions.sessionIdleTimeoutMs) : hostOptions.sessionIdleTimeoutMs,
            abortSignal: abort.signal,
          });
          if (messages.length === 0) break;
          await invoke(t, messages, receiver);
        }
      } catch (err) {
        if (!isNoSessionAvailable(err)) await pauseAfter(t, err);
      } finally {
        if (receiver) {
          receivers.delete(receiver);
          await receiver.close().catch(() => undefined);
        }
      }
    }
  }

  async function pauseAfter(t: Trigger, err: unknown): Promise<void> {
    if (abort.signal.aborted) return;
    log(`[${t.name}] receive error on queue "${t.queueName}": ${(err as Error).message}; retrying in ${RECEIVE_RETRY_DELAY_MS} ms.`);
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
        const client = clientFor(t);
        if (t.sessions) {
          for (let i = 0; i < hostOptions.maxConcurrentSessions; i++) loops.push(sessionLoop(t, client));
        } else if (t.batch) {
          loops.push(batchLoop(t, client));
        } else {
          startSingle(t, client);
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
      // the client try-timeout (clientTryTimeoutMs). So: wait for the loops first, then close.
      await Promise.all(loops);
      await Promise.all([...receivers].map((r) => r.close().catch(() => undefined)));
      receivers.clear();
      await Promise.all([...clients.values()].map((c) => c.close().catch(() => undefined)));
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
