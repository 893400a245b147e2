/** POST /api/ingest/{route}: records from external systems (thin adapter over shared/webhook/ingest.ts). */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { contextTelemetry } from '../shared/telemetry/telemetry';
import { handleIngest } from '../shared/webhook/ingest';
import { intakeRuntime } from '../shared/app';
import type { IntakeRuntime } from '../shared/webhook/runtime';
import { httpFunction } from './definition';
import { notConfiguredResponse, toHttpResponse, toIntakeRequest } from './webhook';

export function createIngestHandler(runtime: () => Promise<IntakeRuntime>) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    let rt: IntakeRuntime;
    try {
      rt = await runtime();
    } catch (e) {
      return notConfiguredResponse(e, context, 'ingest');
    }
    return toHttpResponse(await handleIngest(rt, request.params.route ?? '', toIntakeRequest(request), contextTelemetry(context)));
  };
}

export const ingestHandler = createIngestHandler(intakeRuntime);

export const ingest = httpFunction('ingest', { methods: ['POST'], authLevel: 'function', route: 'ingest/{route}', handler: ingestHandler });
