/**
 * The webhook module's entry in the handler list. It never answers a request itself: it validates
 * registration writes, remembers what each write request carried, and, when synchronous steps
 * exist, runs the rest of the request inside one transaction so sync deliveries happen before the
 * response and a failing endpoint rolls the write back. `$batch` is not wrapped as a whole: each
 * part comes back through `dispatch` and is wrapped (joining its change set's transaction).
 */
import { parsePath } from '../path';
import { dispatcherOf, type DvRequest, type DvResponse, type Handler, type RequestContext } from '../types';
import { hasSyncSteps, isRegistrationTable } from './registry';
import { webhooksOf } from './runner';
import { validateRegistrationWrite } from './validate';

const inside = new WeakSet<DvRequest>();

class FailedResponse extends Error {
  constructor(readonly response: DvResponse) {
    super('rolled back');
  }
}

function organizationHost(ctx: RequestContext): string {
  try {
    return new URL(ctx.baseUrl).host;
  } catch {
    return `${ctx.env.info.uniqueName}.crm.dynamics.com`;
  }
}

export const webhookHandler: Handler = async (req, ctx) => {
  const hooks = webhooksOf(ctx.env);
  if (req.method === 'GET' || inside.has(req)) return undefined;
  hooks.rememberRequest(ctx.requestId, {
    userAgent: req.headers['user-agent'] ?? '',
    acceptLanguage: req.headers['accept-language'],
    suppressDuplicateDetection: (req.headers['mscrm.suppressduplicatedetection'] ?? '').toLowerCase() === 'true',
    organizationHost: organizationHost(ctx),
    bypassStepIds: (req.headers['mscrm.bypassbusinesslogicexecutionstepids'] ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
    timeScale: ctx.timeScale,
  });
  if (req.path === '$batch') return undefined;
  let segs: ReturnType<typeof parsePath>;
  try {
    segs = parsePath(req.path);
  } catch {
    return undefined;
  }
  const table = segs.length === 1 ? ctx.env.tableBySet(segs[0].name) : undefined;
  if (table && isRegistrationTable(table.logicalName) && (req.method === 'POST' || req.method === 'PATCH')) {
    const key = segs[0].key;
    const existingId = key?.kind === 'value' && key.value.type === 'guid' ? key.value.value.toLowerCase() : undefined;
    validateRegistrationWrite(req, ctx, table, existingId, hooks);
    return undefined;
  }
  if (!hasSyncSteps(ctx.env)) return undefined;
  const dispatch = dispatcherOf(ctx);
  inside.add(req);
  try {
    return await ctx.env.transaction(ctx, async () => {
      const before = ctx.tx!.events.length;
      const res = await dispatch(req, ctx);
      if (res.status >= 400) throw new FailedResponse(res); // undo partial writes of this request
      await hooks.deliverSync(ctx.tx!.events.slice(before));
      return res;
    });
  } catch (e) {
    if (e instanceof FailedResponse) return e.response;
    throw e;
  } finally {
    inside.delete(req);
  }
};
