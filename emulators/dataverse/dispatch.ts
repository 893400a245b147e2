/**
 * Routing for one Web API request (the HTTP server and each `$batch` part call this). Auth,
 * service protection, faults and the cost-model delay live in pipeline.ts, around dispatch.
 */
import { DvError, dvErrors, errorResponse } from './errors';
import { handlers } from './handlers';
import type { DvRequest, DvResponse, RequestContext } from './types';

export async function dispatch(req: DvRequest, ctx: RequestContext): Promise<DvResponse> {
  try {
    for (const handler of handlers) {
      const res = await handler(req, ctx);
      if (res) return withODataVersion(res);
    }
    const first = req.path.split(/[/(]/)[0] ?? '';
    throw dvErrors.resourceNotFound(first || req.path);
  } catch (err) {
    if (err instanceof DvError) return errorResponse(err);
    throw err;
  }
}

function withODataVersion(res: DvResponse): DvResponse {
  if (!res.headers['odata-version']) res.headers['odata-version'] = '4.0';
  return res;
}
