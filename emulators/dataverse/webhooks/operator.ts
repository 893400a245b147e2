/**
 * Operator surface of webhook delivery: the attempt log and system jobs, draining the async queue,
 * runtime options. `handleWebhookOperator` serves `/_emulator/webhooks/*`; `webhookControl(dv)` is
 * the same for code holding the emulator object (end-to-end tests).
 */
import { DvError } from '../errors';
import type { EmulatorRuntime } from '../runtime';
import type { DvResponse } from '../types';
import { parseWebhookOptions, type WebhookOptionsInput } from './options';
import { webhooksOf, type DeliveryAttempt, type SystemJob } from './runner';

export interface WebhookReport {
  environment: string;
  /** Async deliveries queued or running. */
  pending: number;
  attempts: DeliveryAttempt[];
  jobs: SystemJob[];
}

export interface WebhookControl {
  /** Attempts and system jobs, per environment (all when no name). */
  deliveries(envName?: string): WebhookReport[];
  /** Resolves when every environment's async queue is empty. */
  drain(): Promise<void>;
  /** Change options (timeouts, time zones, size limit) for every environment; validated. */
  configure(input: WebhookOptionsInput): void;
  /** Forget logged attempts and jobs. */
  clear(): void;
}

export function webhookControl(rt: Pick<EmulatorRuntime, 'environments' | 'options'>): WebhookControl {
  const all = () => [...rt.environments.values()].map((env) => webhooksOf(env));

  return {
    deliveries: (envName) => all()
      .filter((h) => envName === undefined || h.env.name === envName)
      .map((h) => ({ environment: h.env.name, pending: h.queued, attempts: [...h.attempts], jobs: [...h.jobs] })),
    drain: async () => { await Promise.all(all().map((h) => h.drain())); },
    configure: (input) => {
      const options = parseWebhookOptions(input, 'webhooks configure');
      for (const h of all()) h.options = options;
    },
    clear: () => { for (const h of all()) h.clearLog(); },
  };
}

const json = (status: number, body: unknown): DvResponse => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** `/_emulator/webhooks/…`; undefined for other paths. */
export async function handleWebhookOperator(rt: EmulatorRuntime, method: string, path: string, body: Buffer): Promise<DvResponse | undefined> {
  const m = /^\/_emulator\/webhooks(\/[a-z]+)?(?:\/([a-z][a-z0-9-]*))?\/?$/.exec(path);
  if (!m) return undefined;
  const control = webhookControl(rt);
  const [, action, envName] = m;
  if (envName !== undefined && !rt.environments.has(envName)) throw new DvError(404, '0x8006088a', `No environment named '${envName}'; known: ${[...rt.environments.keys()].join(', ')}.`);
  if (method === 'GET' && action === '/deliveries') return json(200, { environments: control.deliveries(envName) });
  if (method === 'DELETE' && action === '/deliveries') { control.clear(); return json(200, { cleared: true }); }
  if (method === 'POST' && action === '/drain') { await control.drain(); return json(200, { drained: true, environments: control.deliveries(envName) }); }
  if (method === 'PATCH' && action === '/config') {
    let input: unknown;
    try { input = body.length ? JSON.parse(body.toString('utf8')) : {}; } catch (e) { throw new DvError(400, '0x80040203', `PATCH /_emulator/webhooks/config: the body is not valid JSON (${(e as Error).message}).`); }
    control.configure(input as WebhookOptionsInput);
    return json(200, { configured: true });
  }
  throw new DvError(404, '0x8006088a', `No operator endpoint ${method} ${path}. Webhook endpoints: GET|DELETE /_emulator/webhooks/deliveries[/<env>], POST /_emulator/webhooks/drain, PATCH /_emulator/webhooks/config.`);
}
