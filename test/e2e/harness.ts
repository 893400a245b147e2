/**
 * The whole local stack in this jest worker on free ports (Azurite, Service Bus emulator, Dataverse
 * emulator with a small timeScale, the Functions host running dist/functions), with the webhook
 * registered in the emulated environments exactly as `npm start` does. One stack per test file: the
 * app's runtimes are cached per process, like in a real function app.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import type { DataverseEmulator } from '../../emulators/dataverse';
import { webhookControl, type WebhookControl } from '../../emulators/dataverse/webhooks/operator';
import { startStack, type StackHandle } from '../../emulators/stack';
import { FailureStore, type FailureRecord } from '../../shared/ledger/failures';
import { queueDepth } from '../../demo/queue-depth';
import { EmulatorOperator, EnvironmentUser, type Row } from '../../demo/web-api';

/** Bound on closing the stack (the Functions host waits for in-flight invocations before it stops). */
export const CLOSE_TIMEOUT_MS = 90_000;

export const ALL_PORTS_FREE = { functions: 0, serviceBus: 0, dataverse: 0, azuriteTable: 0, azuriteBlob: 0 };

export interface E2eStack {
  stack: StackHandle;
  /** A person editing the source / target environment (their own systemuser). */
  source: EnvironmentUser;
  target: EnvironmentUser;
  userAt(environment: string, token: string): EnvironmentUser;
  operator: EmulatorOperator;
  failures(): Promise<FailureRecord[]>;
  /** Messages waiting in the changes queue (peeked; includes scheduled ones). */
  queueDepth(): Promise<number>;
  /** The emulator's webhook delivery log and async queue (drain waits for every pending delivery). */
  webhooks: WebhookControl;
  /** Routes file the host reads (loaded on the first event, so a test may finish it before writing). */
  routesFile: string;
  /** Host log lines so far (intake decisions, worker outcomes). */
  logs: string[];
  close(): Promise<void>;
}

export async function startE2eStack(options: { routes: object; timeScale?: number; settings?: Record<string, string> }): Promise<E2eStack> {
  const dir = mkdtempSync(join(tmpdir(), 'dvsync-e2e-'));
  const routesFile = join(dir, 'routes.json');
  writeFileSync(routesFile, JSON.stringify(options.routes, null, 2));
  const logs: string[] = [];
  const stack = await startStack({
    ports: ALL_PORTS_FREE,
    log: (line) => logs.push(line),
    dataverse: { timeScale: options.timeScale ?? 0.01 },
    settings: { DVSYNC_ROUTES_FILE: routesFile, ...options.settings },
  });
  if (!stack.dataverse || !stack.webhooks) {
    await stack.close();
    throw new Error(`The stack did not start the Dataverse emulator or did not register the webhook:\n${stack.summary.join('\n')}`);
  }
  const dv = stack.dataverse;
  const settings = stack.functionsHost.settings;
  const failureStore = new FailureStore({ connectionString: settings.AzureWebJobsStorage });
  const sb = new ServiceBusClient(settings.ServiceBusConnection);
  const queue = settings.DVSYNC_CHANGES_QUEUE || 'dvsync-changes';
  return {
    stack,
    source: new EnvironmentUser(dv.url('source'), 'e2e-source-user'),
    target: new EnvironmentUser(dv.url('target'), 'e2e-target-user'),
    userAt: (environment, token) => new EnvironmentUser(dv.url(environment), token),
    operator: new EmulatorOperator(dv.operatorUrl!),
    failures: () => failureStore.list(),
    queueDepth: () => queueDepth(sb, queue),
    webhooks: webhookControl((dv.emulator as DataverseEmulator).runtime),
    routesFile,
    logs,
    close: async () => {
      await sb.close().catch(() => undefined);
      await stack.close();
    },
  };
}

/**
 * Polls `probe` until `done(value)` holds; a bounded wait, never a fixed sleep. On timeout the error shows
 * the last value and the host's last log lines, so a failure explains itself.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  e2e?: Pick<E2eStack, 'logs'>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (done(last)) return last;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = e2e ? `\nLast host log lines:\n${e2e.logs.slice(-40).join('\n')}` : '';
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what}. Last value: ${JSON.stringify(last)}${lastError ? `; last error: ${(lastError as Error).message}` : ''}${tail}`,
  );
}

/**
 * Waits until everything in flight has landed: the emulator delivered every webhook (the worker's own
 * writes raise new ones), the changes queue is empty, twice in a row a moment apart.
 */
export async function settle(e2e: E2eStack, timeoutMs = 20_000): Promise<void> {
  let quietRounds = 0;
  await waitFor(
    'webhooks delivered and the changes queue drained',
    async () => {
      await e2e.webhooks.drain();
      const depth = await e2e.queueDepth();
      const pending = e2e.webhooks.deliveries().reduce((n, r) => n + r.pending, 0);
      quietRounds = depth === 0 && pending === 0 ? quietRounds + 1 : 0;
      if (quietRounds < 3) await new Promise((r) => setTimeout(r, 200));
      return { depth, pending, quietRounds };
    },
    (v) => v.quietRounds >= 3,
    e2e,
    timeoutMs,
  );
}

/** Webhook attempts the emulated environment made for one row (any step), in order. */
export function deliveriesFor(e2e: E2eStack, environment: string, recordId: string): Array<{ message: string; status?: number }> {
  return e2e.webhooks
    .deliveries(environment)
    .flatMap((r) => r.attempts)
    .filter((a) => a.recordId.toLowerCase() === recordId.toLowerCase())
    .map((a) => ({ message: a.message, status: a.status }));
}

export function selectKey(row: Row | undefined, columns: string[]): Row | undefined {
  return row === undefined ? undefined : Object.fromEntries(columns.map((c) => [c, row[c]]));
}
