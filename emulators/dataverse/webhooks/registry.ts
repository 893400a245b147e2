/**
 * Reads registrations back from the rows the Web API stored: enabled webhook steps for a table and
 * message, with their endpoint (auth from the secret store) and images. Also seeds the system
 * tables `sdkmessage` / `sdkmessagefilter` with the standard messages.
 */
import { createHash, randomUUID } from 'node:crypto';
import { defaultCostModel } from '../cost';
import type { Environment } from '../store/environment';
import type { LookupValue, RequestContext, Row } from '../types';
import type { AuthType, EndpointRegistration, ImageRegistration, StepRegistration } from './registrations';
import type { StepMode, StepStage } from './serialize';
import { TABLE_MESSAGES } from './tables';

export const WEBHOOK_CONTRACT = 8;
const REGISTRATION_TABLES = new Set(['serviceendpoint', 'sdkmessage', 'sdkmessagefilter', 'sdkmessageprocessingstep', 'sdkmessageprocessingstepimage']);
export const isRegistrationTable = (table: string): boolean => REGISTRATION_TABLES.has(table);

export function stableId(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A SYSTEM context for seeding: no events, no cost, no privilege checks. */
export function systemWriteContext(env: Environment): RequestContext {
  return {
    env,
    user: { systemUserId: stableId(`system/${env.info.organizationId}`), principal: 'SYSTEM', name: 'SYSTEM' },
    now: new Date(),
    bypassPlugins: false,
    suppressDuplicateDetection: true,
    correlationId: randomUUID(),
    requestId: randomUUID(),
    costMs: 0,
    writePath: 'single',
    costModel: defaultCostModel,
    timeScale: 1,
    operations: {},
    baseUrl: '',
    quiet: true,
    system: true,
  };
}

export const messageId = (name: string): string => stableId(`sdkmessage/${name}`);
export const filterId = (message: string, table: string): string => stableId(`sdkmessagefilter/${message}/${table}`);

/** Add the standard messages and a filter per (message, table) unless present (after a reset they are gone). */
export function ensureSystemRows(env: Environment): void {
  if (!env.table('sdkmessage') || env.getRow('sdkmessage', messageId('Create'))) return;
  const ctx = systemWriteContext(env);
  for (const name of TABLE_MESSAGES)
    env.create(ctx, 'sdkmessage', {
      sdkmessageid: messageId(name),
      name,
      categoryname: name === 'Create' || name === 'Update' || name === 'Delete' ? 'Base' : 'Standard',
    });
  for (const table of env.schema.tables.keys()) {
    if (isRegistrationTable(table)) continue;
    for (const name of TABLE_MESSAGES) {
      env.create(ctx, 'sdkmessagefilter', {
        sdkmessagefilterid: filterId(name, table),
        name: `${name} ${table}`,
        primaryobjecttypecode: table,
        secondaryobjecttypecode: 'none',
        sdkmessageid: { id: messageId(name), table: 'sdkmessage' },
      });
    }
  }
}

const lookupId = (v: Row[string]): string | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as LookupValue).id : undefined);
export const splitList = (s: Row[string]): string[] =>
  typeof s === 'string'
    ? s
        .split(',')
        .map((x) => x.trim().toLowerCase())
        .filter(Boolean)
    : [];

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescapeXml = (s: string): string => s.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => XML_ENTITIES[e]);

/** `<settings><setting name="k" value="v" /></settings>` → pairs; undefined when it is not that shape. */
export function parseSettingsXml(xml: string): Array<[string, string]> | undefined {
  const body = /^\s*<settings>([\s\S]*)<\/settings>\s*$/.exec(xml);
  if (!body) return undefined;
  const pairs: Array<[string, string]> = [];
  const rest = body[1].replace(/<setting\s+name="([^"]*)"\s+value="([^"]*)"\s*\/>/g, (_, n: string, v: string) => {
    pairs.push([unescapeXml(n), unescapeXml(v)]);
    return '';
  });
  return rest.trim() === '' && pairs.length > 0 ? pairs : undefined;
}

export function authPairs(authType: AuthType, authValue: string | undefined): Array<[string, string]> {
  if (authValue === undefined) return [];
  return authType === 4 ? [['code', authValue]] : (parseSettingsXml(authValue) ?? []);
}

function endpointOf(env: Environment, id: string, secrets: Map<string, string>): EndpointRegistration | undefined {
  const row = env.getRow('serviceendpoint', id);
  if (!row || row.contract !== WEBHOOK_CONTRACT || typeof row.url !== 'string') return undefined;
  const authType = row.authtype as AuthType;
  return { id, name: String(row.name), url: row.url, authType, auth: authPairs(authType, secrets.get(id)) };
}

function imagesOf(env: Environment, stepId: string): ImageRegistration[] {
  const out: ImageRegistration[] = [];
  for (const r of env.rowsOf('sdkmessageprocessingstepimage')) {
    if (lookupId(r.sdkmessageprocessingstepid) !== stepId) continue;
    out.push({
      id: String(r.sdkmessageprocessingstepimageid),
      alias: String(r.entityalias ?? r.name),
      imageType: r.imagetype as 0 | 1 | 2,
      attributes: splitList(r.attributes),
    });
  }
  return out;
}

/** Enabled webhook steps for `message` on `table`, by rank then name. */
export function stepsFor(env: Environment, table: string, message: string, secrets: Map<string, string>): StepRegistration[] {
  if (!env.table('sdkmessageprocessingstep')) return [];
  const steps: StepRegistration[] = [];
  for (const r of env.rowsOf('sdkmessageprocessingstep')) {
    if (r.statecode !== 0) continue;
    const msg = env.getRow('sdkmessage', lookupId(r.sdkmessageid) ?? '');
    if (msg?.name !== message) continue;
    const filter = env.getRow('sdkmessagefilter', lookupId(r.sdkmessagefilterid) ?? '');
    if (filter?.primaryobjecttypecode !== table) continue;
    const endpoint = endpointOf(env, lookupId(r.eventhandler) ?? '', secrets);
    if (!endpoint) continue;
    const id = String(r.sdkmessageprocessingstepid);
    const filtering = splitList(r.filteringattributes);
    steps.push({
      id,
      name: String(r.name),
      message,
      table,
      mode: r.mode as StepMode,
      stage: r.stage as StepStage,
      rank: Number(r.rank ?? 1),
      filteringAttributes: filtering.length ? filtering : undefined,
      asyncAutoDelete: r.asyncautodelete === true,
      endpoint,
      images: imagesOf(env, id),
    });
  }
  return steps.sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name));
}

/** True when any enabled step is synchronous (the write path then waits for deliveries). */
export function hasSyncSteps(env: Environment): boolean {
  if (!env.table('sdkmessageprocessingstep')) return false;
  for (const r of env.rowsOf('sdkmessageprocessingstep')) if (r.statecode === 0 && r.mode === 0) return true;
  return false;
}
