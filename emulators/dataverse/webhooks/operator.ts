/**
 * Operator surface of webhook delivery: the attempt log and system jobs, draining the async queue,
 * runtime options, the RowVersion mode per registration. `handleWebhookOperator` serves
 * `/_emulator/webhooks/*`; `webhookControl(dv)` is the same for code holding the emulator object
 * (end-to-end tests).
 */
import { DvError } from '../errors';
import { parseOptions } from '../options';
import type { EmulatorRuntime } from '../runtime';
import type { DvResponse } from '../types';
import { parseWebhookOptions, type WebhookOptionsInput } from './options';
import { ROW_VERSION_MODES, type RowVersionMode } from './row-version';
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
  /** The RowVersion settings: the emulator-wide mode and the per-registration overrides (lower-case ids). */
  rowVersion(): RowVersionSettings;
  /**
   * Set what the payloads' RowVersion fields carry: with `registrationId` (an sdkmessageprocessingstepid
   * or serviceendpointid) for that registration only, `null` removing its override; without, the
   * emulator-wide mode (option `webhookRowVersion`). Emulator-only: Dataverse has no such setting.
   */
  setRowVersion(mode: RowVersionMode | null, registrationId?: string): RowVersionSettings;
}

export interface RowVersionSettings {
  webhookRowVersion: RowVersionMode;
  webhookRowVersionByRegistration: Record<string, RowVersionMode>;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const invalid = (message: string) => new DvError(400, '0x80040203', message);

function checkMode(mode: unknown, where: string): asserts mode is RowVersionMode {
  if (!ROW_VERSION_MODES.includes(mode as RowVersionMode))
    throw invalid(`${where}: the mode must be one of ${ROW_VERSION_MODES.map((m) => `"${m}"`).join(', ')}; got ${JSON.stringify(mode ?? null)}.`);
}

export function webhookControl(rt: Pick<EmulatorRuntime, 'environments' | 'options'>): WebhookControl {
  const all = () => [...rt.environments.values()].map((env) => webhooksOf(env));
  const settings = (): RowVersionSettings => ({
    webhookRowVersion: rt.options.webhookRowVersion,
    webhookRowVersionByRegistration: { ...rt.options.webhookRowVersionByRegistration },
  });

  return {
    deliveries: (envName) =>
      all()
        .filter((h) => envName === undefined || h.env.name === envName)
        .map((h) => ({ environment: h.env.name, pending: h.queued, attempts: [...h.attempts], jobs: [...h.jobs] })),
    drain: async () => {
      await Promise.all(all().map((h) => h.drain()));
    },
    configure: (input) => {
      const options = parseWebhookOptions(input, 'webhooks configure');
      for (const h of all()) h.options = options;
    },
    clear: () => {
      for (const h of all()) h.clearLog();
    },
    rowVersion: settings,
    setRowVersion: (mode, registrationId) => {
      const where = registrationId === undefined ? 'webhook RowVersion' : `webhook RowVersion of ${registrationId}`;
      if (mode !== null || registrationId === undefined) checkMode(mode, where);
      if (registrationId === undefined) {
        rt.options = parseOptions({ ...rt.options, webhookRowVersion: mode }, where);
        return settings();
      }
      if (!GUID.test(registrationId)) throw invalid(`${where}: name the registration by the GUID of its sdkmessageprocessingstep or serviceendpoint.`);
      const by = { ...rt.options.webhookRowVersionByRegistration };
      if (mode === null) delete by[registrationId.toLowerCase()];
      else by[registrationId.toLowerCase()] = mode;
      rt.options = parseOptions({ ...rt.options, webhookRowVersionByRegistration: by }, where);
      return settings();
    },
  };
}

const json = (status: number, body: unknown): DvResponse => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function jsonBody(body: Buffer, where: string): unknown {
  try {
    return body.length ? JSON.parse(body.toString('utf8')) : {};
  } catch (e) {
    throw invalid(`${where}: the body is not valid JSON (${(e as Error).message}).`);
  }
}

/** `/_emulator/webhooks/rowversion[/<step or endpoint id>]`: GET, PUT {"mode": …}, DELETE (an override). */
function rowVersionRoute(control: WebhookControl, method: string, id: string | undefined, body: Buffer): DvResponse {
  const where = `${method} /_emulator/webhooks/rowversion${id ? `/${id}` : ''}`;
  if (method === 'GET') {
    const s = control.rowVersion();
    return json(
      200,
      id === undefined
        ? s
        : { id: id.toLowerCase(), override: s.webhookRowVersionByRegistration[id.toLowerCase()] ?? null, webhookRowVersion: s.webhookRowVersion },
    );
  }
  if (method === 'PUT') {
    const { mode } = (jsonBody(body, where) ?? {}) as { mode?: unknown };
    checkMode(mode, `${where} (body {"mode":"published"|"always"|"never"})`);
    return json(200, control.setRowVersion(mode, id));
  }
  if (method === 'DELETE' && id !== undefined) return json(200, control.setRowVersion(null, id));
  throw new DvError(
    404,
    '0x8006088a',
    `No operator endpoint ${where}. Use GET, PUT {"mode":"published"|"always"|"never"}${id ? ' or DELETE (removes the override)' : ''}.`,
  );
}

/** `/_emulator/webhooks/…`; undefined for other paths. */
export async function handleWebhookOperator(rt: EmulatorRuntime, method: string, path: string, body: Buffer): Promise<DvResponse | undefined> {
  const rv = /^\/_emulator\/webhooks\/rowversion(?:\/([^/]+))?\/?$/i.exec(path);
  if (rv) return rowVersionRoute(webhookControl(rt), method, rv[1] === undefined ? undefined : decodeURIComponent(rv[1]), body);
  const m = /^\/_emulator\/webhooks(\/[a-z]+)?(?:\/([a-z][a-z0-9-]*))?\/?$/.exec(path);
  if (!m) return undefined;
  const control = webhookControl(rt);
  const [, action, envName] = m;
  if (envName !== undefined && !rt.environments.has(envName))
    throw new DvError(404, '0x8006088a', `No environment named '${envName}'; known: ${[...rt.environments.keys()].join(', ')}.`);
  if (method === 'GET' && action === '/deliveries') return json(200, { environments: control.deliveries(envName) });
  if (method === 'DELETE' && action === '/deliveries') {
    control.clear();
    return json(200, { cleared: true });
  }
  if (method === 'POST' && action === '/drain') {
    await control.drain();
    return json(200, { drained: true, environments: control.deliveries(envName) });
  }
  if (method === 'PATCH' && action === '/config') {
    control.configure(jsonBody(body, 'PATCH /_emulator/webhooks/config') as WebhookOptionsInput);
    return json(200, { configured: true });
  }
  throw new DvError(
    404,
    '0x8006088a',
    `No operator endpoint ${method} ${path}. Webhook endpoints: GET|DELETE /_emulator/webhooks/deliveries[/<env>], POST /_emulator/webhooks/drain, PATCH /_emulator/webhooks/config, GET|PUT /_emulator/webhooks/rowversion[/<step or endpoint id>], DELETE /_emulator/webhooks/rowversion/<id>.`,
  );
}
