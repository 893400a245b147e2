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
    const [first, second] = req.path.split('/');
    const set = (first ?? '').split('(')[0];
    if (second !== undefined && ctx.env.tableBySet(set)) {
      const segment = second.split('(')[0];
      throw new DvError(
        404,
        '0x8006088a',
        `Resource not found for the segment '${segment}'. This emulator does not serve property or related-entity URLs (${set}(<key>)/${segment}); read or write the whole row, or use /$ref for associations.`,
      );
    }
    throw dvErrors.resourceNotFound(set || req.path);
  } catch (err) {
    if (err instanceof DvError) return errorResponse(err);
    throw err;
  }
}

function withODataVersion(res: DvResponse): DvResponse {
  if (!res.headers['odata-version']) res.headers['odata-version'] = '4.0';
  return res;
}
