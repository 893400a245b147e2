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
import { intakeRuntime } from '../shared/app';
import type { IntakeRuntime } from '../shared/webhook/runtime';
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

/**
 * The answer while the configuration is invalid (the app started with a report, see functions/all.ts): 503, so
 * Dataverse retries once (a fix deployed by then gets the change), with what is wrong. Nothing was accepted.
 */
export function notConfiguredResponse(e: unknown, context: InvocationContext, what: string): HttpResponseInit {
  const problems =
    e instanceof SettingsError
      ? e.issues
      : [
          {
            setting: '(configuration)',
            problem: `the ${what} failed to start: ${(e as Error)?.message ?? String(e)}`,
            fix: 'a configuration `dvsync settings check` accepts',
          },
        ];
  context.error(e instanceof SettingsError ? e.message : `${what} failed to start: ${(e as Error)?.stack ?? String(e)}`);
  return {
    status: 503,
    headers: { 'retry-after': '60' },
    jsonBody: {
      error: 'not_configured',
      message: `dvsync is not configured (${problems.length} problem(s) in the app settings or the routes file), so this request was NOT accepted. Fix the configuration and restart the app; GET /api/health shows the same report.`,
      problems,
    },
  };
}

export function createWebhookHandler(runtime: () => Promise<IntakeRuntime>) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    let rt: IntakeRuntime;
    try {
      rt = await runtime();
    } catch (e) {
      return notConfiguredResponse(e, context, 'webhook intake');
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
