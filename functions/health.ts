/** GET /api/health: liveness for load balancers and `npm start`'s readiness check. */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { httpFunction } from './definition';

export async function healthHandler(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  return { status: 200, jsonBody: { status: 'ok' } };
}

export const health = httpFunction('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: healthHandler });
