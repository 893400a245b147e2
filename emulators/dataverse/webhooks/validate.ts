/**
 * Validation of registration writes, before the generic row handler stores them: what Dataverse
 * checks on serviceendpoint / sdkmessageprocessingstep / sdkmessageprocessingstepimage rows
 * (Learn: register-web-hook, reference/entities/sdkmessageprocessingstep). Binds are resolved with the row code's own parser, so a missing
 * sdkmessage / filter / endpoint answers the documented 404 0x80040217.
 */
import { randomUUID } from 'node:crypto';
import { dvErrors } from '../errors';
import { parseBody, parseJsonObject } from '../rows/body';
import type { TableDef } from '../schema/model';
import type { DvRequest, LookupValue, RequestContext, Row } from '../types';
import { parseSettingsXml, splitList, WEBHOOK_CONTRACT } from './registry';
import type { EnvironmentWebhooks } from './runner';

const idOf = (v: Row[string]): string | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as LookupValue).id : undefined);
const invalid = (set: string, message: string) => dvErrors.invalidArgument(`${set}: ${message}`);

/** Validate a POST/PATCH on a registration set; may rewrite `req.body` (authvalue moves to the secret store). */
export function validateRegistrationWrite(
  req: DvRequest,
  ctx: RequestContext,
  table: TableDef,
  existingId: string | undefined,
  hooks: EnvironmentWebhooks,
): void {
  const body = parseJsonObject(table, req.body);
  const existing = existingId ? ctx.env.getRow(table.logicalName, existingId) : undefined;
  const { authvalue: _secret, ...columns } = body; // not a stored column (see tables.ts)
  const values: Row = { ...(existing ?? {}), ...parseBody(ctx.env, table, columns).values };
  const set = table.entitySetName;
  switch (table.logicalName) {
    case 'serviceendpoint':
      return validateEndpoint(req, body, values, existingId, hooks, set);
    case 'sdkmessageprocessingstep':
      return validateStep(ctx, values, set);
    case 'sdkmessageprocessingstepimage':
      return validateImage(ctx, values, set);
    default:
      return undefined;
  }
}

function validateEndpoint(
  req: DvRequest,
  body: Record<string, unknown>,
  values: Row,
  existingId: string | undefined,
  hooks: EnvironmentWebhooks,
  set: string,
): void {
  if (typeof values.name !== 'string' || values.name.trim() === '') throw invalid(set, "'name' is required: a unique name for the endpoint.");
  if (values.contract === undefined || values.contract === null) throw invalid(set, "'contract' is required (8 = Webhook).");
  const authValue = body.authvalue;
  if (authValue !== undefined && authValue !== null && typeof authValue !== 'string') throw invalid(set, "'authvalue' must be a string.");
  if (typeof authValue === 'string' && authValue.length > 2048)
    throw dvErrors.validation("The length of the 'authvalue' attribute of the 'serviceendpoint' entity exceeded the maximum allowed length of '2048'.");
  if (values.contract === WEBHOOK_CONTRACT) {
    let url: URL | undefined;
    try {
      url = typeof values.url === 'string' ? new URL(values.url) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      throw invalid(set, `a Webhook endpoint (contract 8) needs 'url', an absolute http(s) URL; got ${JSON.stringify(values.url ?? null)}.`);
    if (values.authtype !== 4 && values.authtype !== 5 && values.authtype !== 6) {
      throw invalid(
        set,
        `a Webhook endpoint needs 'authtype' 4 (WebhookKey), 5 (HttpHeader) or 6 (HttpQueryString); got ${JSON.stringify(values.authtype ?? null)}.`,
      );
    }
    const secret = typeof authValue === 'string' ? authValue : existingId ? hooks.secrets.get(existingId) : undefined;
    if (secret === undefined || secret === '')
      throw invalid(set, "a Webhook endpoint needs 'authvalue': the key (WebhookKey) or the <settings> XML (HttpHeader, HttpQueryString).");
    if (values.authtype !== 4 && !parseSettingsXml(secret)) {
      throw invalid(
        set,
        `'authvalue' for authtype ${String(values.authtype)} must be XML like <settings><setting name="x-api-key" value="…" /></settings> with at least one setting.`,
      );
    }
  }
  if (typeof authValue === 'string') {
    const id = existingId ?? (typeof body.serviceendpointid === 'string' ? body.serviceendpointid.toLowerCase() : randomUUID());
    hooks.secrets.set(id, authValue);
    const rest: Record<string, unknown> = { ...body, isauthvalueset: true };
    delete rest.authvalue;
    if (!existingId) rest.serviceendpointid = id;
    req.body = Buffer.from(JSON.stringify(rest), 'utf8');
  }
}

function filterTable(ctx: RequestContext, values: Row): string | undefined {
  const filter = ctx.env.getRow('sdkmessagefilter', idOf(values.sdkmessagefilterid) ?? '');
  return typeof filter?.primaryobjecttypecode === 'string' ? filter.primaryobjecttypecode : undefined;
}

function checkAttributes(ctx: RequestContext, table: string | undefined, list: Row[string], what: string, set: string): void {
  const def = table ? ctx.env.table(table) : undefined;
  if (!def) return;
  const unknown = splitList(list).filter((a) => !def.columns.has(a));
  if (unknown.length) throw invalid(set, `${what} names columns that '${table}' does not have: ${unknown.join(', ')}.`);
}

function validateStep(ctx: RequestContext, values: Row, set: string): void {
  if (typeof values.name !== 'string' || values.name.trim() === '') throw invalid(set, "'name' is required.");
  const messageId = idOf(values.sdkmessageid);
  if (!messageId)
    throw invalid(set, "'sdkmessageid@odata.bind' is required: bind the message, e.g. \"/sdkmessages(<id>)\" from GET sdkmessages?$filter=name eq 'Create'.");
  if (!idOf(values.eventhandler))
    throw invalid(set, '\'eventhandler_serviceendpoint@odata.bind\' is required: bind the endpoint, e.g. "/serviceendpoints(<id>)".');
  if (values.stage !== 10 && values.stage !== 20 && values.stage !== 40)
    throw invalid(set, `'stage' must be 10 (pre-validation), 20 (pre-operation) or 40 (post-operation); got ${JSON.stringify(values.stage ?? null)}.`);
  if (values.mode === 1 && values.stage !== 40) throw invalid(set, 'asynchronous steps (mode 1) can only be registered on stage 40 (post-operation).');
  const filterId = idOf(values.sdkmessagefilterid);
  if (filterId) {
    const filter = ctx.env.getRow('sdkmessagefilter', filterId);
    if (idOf(filter?.sdkmessageid ?? null) !== messageId)
      throw invalid(
        set,
        `the sdkmessagefilter ${filterId} belongs to another message than the bound sdkmessage ${messageId}; look the filter up with _sdkmessageid_value eq ${messageId}.`,
      );
  }
  const message = ctx.env.getRow('sdkmessage', messageId)?.name;
  if (values.filteringattributes && message !== 'Update')
    throw invalid(set, `'filteringattributes' only applies to Update steps; this step is for ${String(message)}.`);
  checkAttributes(ctx, filterTable(ctx, values), values.filteringattributes, "'filteringattributes'", set);
}

function validateImage(ctx: RequestContext, values: Row, set: string): void {
  const step = ctx.env.getRow('sdkmessageprocessingstep', idOf(values.sdkmessageprocessingstepid) ?? '');
  if (!step) throw invalid(set, '\'sdkmessageprocessingstepid@odata.bind\' is required: bind the step, e.g. "/sdkmessageprocessingsteps(<id>)".');
  if (values.imagetype !== 0 && values.imagetype !== 1 && values.imagetype !== 2)
    throw invalid(set, "'imagetype' is required: 0 (PreImage), 1 (PostImage) or 2 (Both).");
  if (typeof values.entityalias !== 'string' || values.entityalias === '')
    throw invalid(set, "'entityalias' is required: the key the image gets in Pre/PostEntityImages.");
  if (typeof values.messagepropertyname !== 'string' || values.messagepropertyname === '')
    throw invalid(set, "'messagepropertyname' is required: 'Target' (Update, Delete) or 'Id' (Create).");
  const message = ctx.env.getRow('sdkmessage', idOf(step.sdkmessageid) ?? '')?.name;
  if (message === 'Create' && values.imagetype !== 1) throw invalid(set, 'a Create step has no pre image; use imagetype 1 (PostImage).');
  if (message === 'Delete' && values.imagetype !== 0) throw invalid(set, 'a Delete step has no post image; use imagetype 0 (PreImage).');
  if (values.imagetype !== 0 && step.stage !== 40) throw invalid(set, 'post images are only available on stage 40 (post-operation) steps.');
  checkAttributes(ctx, filterTable(ctx, step), values.attributes, "'attributes'", set);
}
