/**
 * One Web API request end to end: caller identity (401), fault injection, service protection
 * (429), dispatch, the cost-model delay, limit accounting and the response headers every
 * Dataverse response carries (x-ms-dop-hint, x-ms-ratelimit-*, REQ_ID).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { dispatch } from './dispatch';
import { DvError, errorResponse } from './errors';
import { ensureUser, principalOf } from './identity';
import type { EmulatorRuntime } from './runtime';
import type { DvRequest, DvResponse, RequestContext } from './types';

export type PipelineResult = DvResponse | { drop: true };

export async function handleWebApi(rt: EmulatorRuntime, envName: string, req: DvRequest, baseUrl: string): Promise<PipelineResult> {
  const env = rt.environments.get(envName)!;
  const limiter = rt.limiters.get(envName)!;
  const scale = rt.options.timeScale;
  const requestId = randomUUID();
  // The model's duration runs from arrival: the emulator's own processing is part of it, not added to it.
  const arrived = performance.now();
  rt.counters.requests++;
  const finish = (res: DvResponse, extra: Record<string, string> = {}): DvResponse => {
    res.headers = { ...res.headers, ...extra, 'x-ms-dop-hint': String(rt.options.limits.dopHint), req_id: requestId, 'odata-version': '4.0' };
    const k = String(res.status);
    rt.counters.responsesByStatus[k] = (rt.counters.responsesByStatus[k] ?? 0) + 1;
    return res;
  };
  const fail = async (err: DvError): Promise<DvResponse> => {
    if (err.status === 429) rt.counters.throttledByCode[err.code] = (rt.counters.throttledByCode[err.code] ?? 0) + 1;
    await sleep(rt.costModel.latencyMs * scale);
    return finish(errorResponse(err));
  };

  let principal: string;
  try {
    principal = principalOf(req.headers['authorization'], baseUrl.replace(/api\/data\/v9\.2\/$/, ''));
  } catch (e) {
    if (e instanceof DvError) return fail(e);
    throw e;
  }
  const fault = rt.faults.decide((s) => limiter.retryAfter(s));
  if (fault.kind === 'drop') {
    rt.counters.faultsInjected++;
    return { drop: true };
  }
  if (fault.kind === 'error') {
    rt.counters.faultsInjected++;
    return fail(fault.error);
  }

  let admission;
  try {
    admission = limiter.admit(principal);
  } catch (e) {
    if (e instanceof DvError) return fail(e);
    throw e;
  }
  let ctx: RequestContext | undefined;
  let res: DvResponse;
  try {
    const user = ensureUser(env, principal, (u) => rt.systemContext(env, u));
    ctx = {
      env,
      user,
      now: new Date(),
      tag: req.query.get('tag') ?? undefined,
      bypassPlugins: (req.headers['mscrm.bypasscustompluginexecution'] ?? '').toLowerCase() === 'true',
      bypassBusinessLogic: req.headers['mscrm.bypassbusinesslogicexecution'],
      suppressDuplicateDetection: (req.headers['mscrm.suppressduplicatedetection'] ?? 'true').toLowerCase() !== 'false',
      callerObjectId: req.headers['callerobjectid'],
      correlationId: randomUUID(),
      requestId,
      costMs: 0,
      writePath: 'single',
      costModel: rt.costModel,
      timeScale: scale,
      operations: {},
      baseUrl,
      dispatch,
    };
    res = await dispatch(req, ctx);
  } catch (e) {
    // A defect in a handler: answer like Dataverse's generic failure, and say what broke.
    res = errorResponse(new DvError(500, '0x80040216', `An unexpected error occurred. (${e instanceof Error ? e.message : String(e)})`));
  }
  const costMs = ctx?.costMs ?? 0;
  try {
    await sleep(Math.max(0, (rt.costModel.latencyMs + costMs + fault.extraMs) * scale - (performance.now() - arrived)));
  } finally {
    admission.release(costMs);
  }
  rt.counters.executionMsByUser[principal] = (rt.counters.executionMsByUser[principal] ?? 0) + costMs;
  for (const [k, n] of Object.entries(ctx?.operations ?? {})) rt.counters.operations[k] = (rt.counters.operations[k] ?? 0) + n;
  if (ctx?.privilegeDenied) {
    const mine = (rt.counters.privilegeDenied[principal] ??= {});
    for (const [k, n] of Object.entries(ctx.privilegeDenied)) mine[k] = (mine[k] ?? 0) + n;
  }
  return finish(res, admission.headers());
}
