/**
 * Registers the local Functions host's webhook in a (emulated) Dataverse environment through the Web API,
 * the way a registration tool does against a real one (Learn: register-web-hook): a WebHook service
 * endpoint (contract 8, auth WebhookKey = the function key), then per planned step the sdkmessage and
 * sdkmessagefilter lookups, the sdkmessageprocessingstep (post-operation, async) and its images.
 * Idempotent: an endpoint or step with the same name is reused (the endpoint's url and key are updated).
 */
import type { StepPlan } from './webhook-plan';

export const ENDPOINT_NAME = 'dvsync local webhook';
const WEBHOOK_CONTRACT = 8;
const AUTH_WEBHOOK_KEY = 4;
const STAGE_POST_OPERATION = 40;
const MODE_ASYNC = 1;

export interface RegistrationTarget {
  /** Web API base of the environment, ending in /api/data/v9.2/. */
  apiBaseUrl: string;
  /** Bearer token of the registering user. */
  token: string;
}

export interface RegisteredStep {
  name: string;
  id: string;
  reused: boolean;
}

export class WebhookRegistrationError extends Error {
  override name = 'WebhookRegistrationError';
}

export class WebApi {
  constructor(private readonly target: RegistrationTarget) {}

  async send(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown>; entityId?: string }> {
    const url = new URL(path, this.target.apiBaseUrl).toString();
    const res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${this.target.token}`,
        accept: 'application/json',
        'odata-version': '4.0',
        'odata-maxversion': '4.0',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    if (text) {
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        json = { raw: text };
      }
    }
    if (!res.ok) {
      const error = (json.error as { code?: string; message?: string } | undefined) ?? {};
      throw new WebhookRegistrationError(
        `${method} ${url} answered ${res.status}${error.code ? ` ${error.code}` : ''}: ${error.message ?? text.slice(0, 300)}`,
      );
    }
    const entityId = res.headers.get('odata-entityid')?.match(/\(([0-9a-f-]{36})\)\s*$/i)?.[1];
    return { status: res.status, json, ...(entityId ? { entityId } : {}) };
  }

  async list(path: string): Promise<Record<string, unknown>[]> {
    const r = await this.send('GET', path);
    return Array.isArray(r.json.value) ? (r.json.value as Record<string, unknown>[]) : [];
  }

  async create(set: string, body: Record<string, unknown>, idColumn: string): Promise<string> {
    const r = await this.send('POST', set, body);
    const id = r.entityId ?? (typeof r.json[idColumn] === 'string' ? (r.json[idColumn] as string) : undefined);
    if (!id) throw new WebhookRegistrationError(`POST ${set} succeeded but named no ${idColumn} (no OData-EntityId header).`);
    return id;
  }
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The primary id column of a table, from EntityDefinitions metadata. */
export async function primaryIdAttribute(api: WebApi, table: string): Promise<string> {
  const r = await api.send('GET', `EntityDefinitions(LogicalName=${quote(table)})?$select=PrimaryIdAttribute`);
  const id = r.json.PrimaryIdAttribute;
  if (typeof id !== 'string') throw new WebhookRegistrationError(`EntityDefinitions(LogicalName='${table}') has no PrimaryIdAttribute.`);
  return id;
}

export async function ensureEndpoint(api: WebApi, name: string, url: string, functionKey: string): Promise<string> {
  const body = { name, contract: WEBHOOK_CONTRACT, authtype: AUTH_WEBHOOK_KEY, authvalue: functionKey, url };
  const existing = await api.list(`serviceendpoints?$select=serviceendpointid,name&$filter=name eq ${quote(name)}`);
  const id = existing[0]?.serviceendpointid;
  if (typeof id === 'string') {
    await api.send('PATCH', `serviceendpoints(${id})`, body);
    return id;
  }
  return api.create('serviceendpoints', body, 'serviceendpointid');
}

export function stepName(endpointName: string, step: Pick<StepPlan, 'message' | 'table'>): string {
  return `${endpointName}: ${step.message} of ${step.table}`;
}

export async function ensureStep(api: WebApi, endpointId: string, endpointName: string, step: StepPlan): Promise<RegisteredStep> {
  const name = stepName(endpointName, step);
  const existing = await api.list(`sdkmessageprocessingsteps?$select=sdkmessageprocessingstepid,name&$filter=name eq ${quote(name)}`);
  const existingId = existing[0]?.sdkmessageprocessingstepid;
  if (typeof existingId === 'string') return { name, id: existingId, reused: true };

  const messages = await api.list(`sdkmessages?$select=sdkmessageid&$filter=name eq ${quote(step.message)}`);
  const messageId = messages[0]?.sdkmessageid;
  if (typeof messageId !== 'string') throw new WebhookRegistrationError(`No sdkmessage named "${step.message}": the environment does not know the message.`);
  const filters = await api.list(
    `sdkmessagefilters?$select=sdkmessagefilterid&$filter=primaryobjecttypecode eq ${quote(step.table)} and _sdkmessageid_value eq ${messageId}`,
  );
  const filterId = filters[0]?.sdkmessagefilterid;
  if (typeof filterId !== 'string')
    throw new WebhookRegistrationError(`No sdkmessagefilter for ${step.message} of "${step.table}": the table does not support that message.`);

  const id = await api.create(
    'sdkmessageprocessingsteps',
    {
      name,
      stage: STAGE_POST_OPERATION,
      mode: MODE_ASYNC,
      rank: 1,
      supporteddeployment: 0,
      asyncautodelete: true,
      ...(step.filteringAttributes ? { filteringattributes: step.filteringAttributes.join(',') } : {}),
      'eventhandler_serviceendpoint@odata.bind': `/serviceendpoints(${endpointId})`,
      'sdkmessageid@odata.bind': `/sdkmessages(${messageId})`,
      'sdkmessagefilterid@odata.bind': `/sdkmessagefilters(${filterId})`,
    },
    'sdkmessageprocessingstepid',
  );
  for (const image of step.images) {
    await api.create(
      'sdkmessageprocessingstepimages',
      {
        name: image.alias,
        entityalias: image.alias,
        imagetype: image.imageType,
        messagepropertyname: image.messagePropertyName,
        attributes: image.attributes.join(','),
        'sdkmessageprocessingstepid@odata.bind': `/sdkmessageprocessingsteps(${id})`,
      },
      'sdkmessageprocessingstepimageid',
    );
  }
  return { name, id, reused: false };
}

/** Endpoint + every planned step of one environment. */
export async function registerWebhook(
  target: RegistrationTarget,
  webhookUrl: string,
  functionKey: string,
  steps: readonly StepPlan[],
  endpointName = ENDPOINT_NAME,
): Promise<{ endpointId: string; steps: RegisteredStep[] }> {
  const api = new WebApi(target);
  const endpointId = await ensureEndpoint(api, endpointName, webhookUrl, functionKey);
  const registered: RegisteredStep[] = [];
  for (const step of steps) registered.push(await ensureStep(api, endpointId, endpointName, step));
  return { endpointId, steps: registered };
}
