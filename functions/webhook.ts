/**
 * POST /api/dataverse/webhook: Dataverse webhook intake (thin adapter over shared/webhook/intake.ts).
 * authLevel function: register the endpoint in Dataverse with auth type WebhookKey and the function key
 * (the host checks `?code=`); optional HttpHeader auth is checked in the core.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { IntakeHttpRequest, IntakeHttpResponse } from '../shared/webhook/http';
import { SettingsError } from '../shared/config/settings';
import { contextTelemetry } from '../shared/telemetry/telemetry';
import { handleWebhook } from '../shared/webhook/intake';
import { intakeRuntime, type IntakeRuntime } from '../shared/webhook/runtime';
import { httpFunction } from './definition';

/** HttpRequest ⇄ the intake cores' HTTP-agnostic request/response (shared with functions/ingest.ts). */
export function toIntakeRequest(request: HttpRequest): IntakeHttpRequest {
  return {
    header: (name) => request.headers.get(name),
    headers: () => request.headers.entries(),
    readBody: async () => new Uint8Array(await request.arrayBuffer()),
  };
}

export function toHttpResponse(r: IntakeHttpResponse): HttpResponseInit {
  return { status: r.status, headers: r.headers, jsonBody: r.jsonBody };
}

export function createWebhookHandler(runtime: () => Promise<IntakeRuntime>) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    let rt: IntakeRuntime;
    try {
      rt = await runtime();
    } catch (e) {
      // Misconfiguration: log the full report, tell the caller only to retry later.
      context.error(e instanceof SettingsError ? e.message : `intake runtime failed to start: ${(e as Error).stack ?? String(e)}`);
      return { status: 503, headers: { 'retry-after': '60' }, jsonBody: { error: 'not_configured', message: 'The intake is not configured; retry later.' } };
    }
    return toHttpResponse(await handleWebhook(rt, toIntakeRequest(request), contextTelemetry(context)));
  };
}

export const webhookHandler = createWebhookHandler(intakeRuntime);

export const webhook = httpFunction('dataverseWebhook', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'dataverse/webhook',
  handler: webhookHandler,
});
