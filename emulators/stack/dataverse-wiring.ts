/**
 * How the local stack connects the app to the emulated Dataverse environments:
 * - DVSYNC_ENVIRONMENTS for every emulated environment (staticToken credential, the environment's Web API
 *   base, its organizationId), so the intake accepts its webhooks and the worker writes to it;
 * - DVSYNC_ROUTES_FILE = demo/routes.json when the user configured no routes;
 * - after the Functions host is up: the webhook registration (endpoint + steps + images) in every emulated
 *   environment a route listens to, through the Web API, pointing at the host's /api/dataverse/webhook.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { routesFileSchema, type Route } from '../../shared/routes/schema';
import { planSteps, type StepPlan } from './webhook-plan';
import { primaryIdAttribute, registerWebhook, WebApi, WebhookRegistrationError } from './webhook-registration';

/** Bearer token of the application user the app writes with (the emulator names the user after it). */
export const LOCAL_APP_TOKEN = 'dvsync-local-app';
/** Bearer token the stack registers webhooks with (like an admin running a registration tool). */
export const LOCAL_ADMIN_TOKEN = 'dvsync-local-admin';
export const ROUTES_FILE_SETTING = 'DVSYNC_ROUTES_FILE';
export const ROUTES_INLINE_SETTING = 'DVSYNC_ROUTES';
/** The intake's route for Dataverse webhooks (functions/webhook.ts), under the host's route prefix. */
export const WEBHOOK_ROUTE = 'dataverse/webhook';

export interface EmulatedEnvironment {
  name: string;
  uniqueName: string;
  organizationId: string;
  /** Web API base, ending in /api/data/v9.2/. */
  apiBaseUrl: string;
}

/** The shape of the Dataverse emulator handle this file needs (emulators/dataverse/index.ts). */
export interface DataverseEmulatorView {
  url(envName?: string): string;
  environments?: Map<string, unknown>;
}

export function emulatedEnvironments(dv: DataverseEmulatorView): EmulatedEnvironment[] {
  return [...(dv.environments?.entries() ?? [])].flatMap(([name, env]) => {
    const info = (env as { info?: { uniqueName?: string; organizationId?: string } }).info;
    if (!info?.organizationId) return [];
    return [{ name, uniqueName: info.uniqueName ?? name, organizationId: info.organizationId, apiBaseUrl: dv.url(name) }];
  });
}

/** The organization URL of an emulated environment: its own folder on the emulator's origin. */
export function organizationUrl(env: EmulatedEnvironment): string {
  return env.apiBaseUrl.replace(/api\/data\/v9\.2\/?$/, '');
}

/** DVSYNC_ENVIRONMENTS (JSON) for the emulated environments. */
export function environmentsSetting(envs: readonly EmulatedEnvironment[], token = LOCAL_APP_TOKEN): string {
  const out: Record<string, unknown> = {};
  for (const e of envs)
    out[e.name] = { url: organizationUrl(e), apiBaseUrl: e.apiBaseUrl, organizationId: e.organizationId, credentials: [{ type: 'staticToken', token }] };
  return JSON.stringify(out);
}

export function demoRoutesFile(appDir: string): string {
  return join(appDir, 'demo', 'routes.json');
}

/** True when local.settings.json or the environment already names routes (an empty string is not a setting). */
export function hasConfiguredRoutes(configured: Record<string, string>): boolean {
  return Boolean(configured[ROUTES_FILE_SETTING]?.trim() || configured[ROUTES_INLINE_SETTING]?.trim());
}

/** What the started Dataverse emulator contributes to the app settings (lowest precedence; see settings.ts). */
export function dataverseAppSettings(envs: readonly EmulatedEnvironment[], configured: Record<string, string>, appDir: string): Record<string, string> {
  const settings: Record<string, string> = {};
  if (envs.length) settings.DVSYNC_ENVIRONMENTS = environmentsSetting(envs);
  if (!hasConfiguredRoutes(configured) && existsSync(demoRoutesFile(appDir))) {
    settings[ROUTES_FILE_SETTING] = demoRoutesFile(appDir);
  }
  return settings;
}

/** The routes the host runs with, read the way the app reads them (file first, else inline JSON). */
export function effectiveRoutes(settings: Record<string, string>, appDir: string): { origin: string; routes: Route[] } | undefined {
  const file = settings[ROUTES_FILE_SETTING]?.trim();
  const inline = settings[ROUTES_INLINE_SETTING]?.trim();
  let origin: string;
  let text: string;
  if (file) {
    origin = isAbsolute(file) ? file : resolve(settings.AzureWebJobsScriptRoot ?? appDir, file);
    text = readFileSync(origin, 'utf8');
  } else if (inline) {
    origin = ROUTES_INLINE_SETTING;
    text = inline;
  } else {
    return undefined;
  }
  const parsed = routesFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new WebhookRegistrationError(
      `${origin}: invalid routes (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}); the app will refuse them too.`,
    );
  return { origin, routes: parsed.data.routes };
}

export interface WebhookWiringInput {
  environments: readonly EmulatedEnvironment[];
  /** The host's effective app settings (routes). */
  settings: Record<string, string>;
  appDir: string;
  /** e.g. http://127.0.0.1:7071 */
  functionsUrl: string;
  functionKey: string;
  routePrefix?: string;
}

export interface WebhookWiringResult {
  /** environment → registered steps. */
  registered: Map<string, StepPlan[]>;
  webhookUrl: string;
  routesOrigin?: string;
  /** Summary lines for `npm start`. */
  lines: string[];
}

/** Registers the host's webhook in every emulated environment a route listens to. */
export async function registerEmulatedWebhooks(input: WebhookWiringInput): Promise<WebhookWiringResult> {
  const webhookUrl = `${input.functionsUrl}/${input.routePrefix ?? 'api'}/${WEBHOOK_ROUTE}`;
  const loaded = effectiveRoutes(input.settings, input.appDir);
  if (!loaded) return { registered: new Map(), webhookUrl, lines: ['Webhooks:    no routes configured (DVSYNC_ROUTES_FILE); nothing registered.'] };
  const byName = new Map(input.environments.map((e) => [e.name, e]));
  const primaryIds = new Map<string, string>();
  for (const route of loaded.routes) {
    const env = route.source.environment ? byName.get(route.source.environment) : undefined;
    const key = `${route.source.environment}/${route.source.table}`;
    if (env && !primaryIds.has(key))
      primaryIds.set(key, await primaryIdAttribute(new WebApi({ apiBaseUrl: env.apiBaseUrl, token: LOCAL_ADMIN_TOKEN }), route.source.table));
  }
  const plan = planSteps(
    loaded.routes.filter((r) => r.source.environment && byName.has(r.source.environment)),
    (env, table) => primaryIds.get(`${env}/${table}`) ?? `${table}id`,
  );
  const lines = [`Webhooks:    ${webhookUrl} (auth WebhookKey = the function key), routes from ${loaded.origin}`];
  for (const [envName, steps] of plan) {
    const env = byName.get(envName)!;
    await registerWebhook({ apiBaseUrl: env.apiBaseUrl, token: LOCAL_ADMIN_TOKEN }, webhookUrl, input.functionKey, steps);
    for (const s of steps) {
      const filter = s.message === 'Update' ? ` filtering ${s.filteringAttributes?.join(',') ?? '(all columns)'}` : '';
      lines.push(`  ${envName}: ${s.message} of ${s.table}${filter} → ${s.routes.join(', ')}`);
    }
  }
  return { registered: plan, webhookUrl, routesOrigin: loaded.origin, lines };
}
