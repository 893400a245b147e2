/**
 * GET /api/health: liveness for load balancers and `npm start`'s readiness check.
 * 200 `{status: 'ok'}` when the configuration the app started with is valid; otherwise 503
 * `{status: 'unhealthy', error: 'not_configured', problems: [{setting, problem, fix}], report}` with every problem
 * (file, route, field). Anonymous: the report names settings, files, routes and fields, never a key's value.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { ConfigurationCheck } from '../shared/config/configuration';
import { startupConfiguration } from '../shared/app';
import { httpFunction } from './definition';

export function createHealthHandler(check: () => ConfigurationCheck) {
  return async (_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const c = check();
    if (c.ok) return { status: 200, jsonBody: { status: 'ok' } };
    return {
      status: 503,
      headers: { 'cache-control': 'no-store' },
      jsonBody: { status: 'unhealthy', error: 'not_configured', problems: c.problems, report: c.report },
    };
  };
}

export const healthHandler = createHealthHandler(() => startupConfiguration());

export const health = httpFunction('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: healthHandler });
