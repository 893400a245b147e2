/**
 * Response metadata surfaced on every Web API call (success or failure). The throttle controller
 * feeds on it: `x-ms-dop-hint` sets the concurrency ceiling, `Retry-After` pauses the lane, and the
 * rate-limit headers (debugging aids per Microsoft, so only a soft brake) slow the lane near 0.
 */
export interface ResponseMeta {
  status: number;
  /** Wall time of the HTTP exchange, headers and body included. */
  durationMs: number;
  /** `x-ms-dop-hint`: the server's recommended degree of parallelism for this environment. */
  dopHint?: number;
  /** `Retry-After` converted to milliseconds (seconds or an HTTP date). */
  retryAfterMs?: number;
  /** `x-ms-ratelimit-burst-remaining-xrm-requests`: requests left on this web server's window. */
  burstRemaining?: number;
  /**
   * `x-ms-ratelimit-time-remaining-xrm-requests`, in ms. The server sends seconds with a grouping
   * separator and two decimals (`1,200.00` = the full 20-minute budget), observed on live environments.
   */
  timeRemainingMs?: number;
  /** `REQ_ID` / `x-ms-service-request-id`, for support tickets. */
  requestId?: string;
}

type HeaderSource = Headers | Record<string, string | undefined>;

export function headerValue(headers: HeaderSource | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers as Record<string, string | undefined>)) {
    if (k.toLowerCase() === wanted) return v;
  }
  return undefined;
}

function nonNegativeNumber(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text.trim());
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** `Retry-After` is delta-seconds (what Dataverse sends) or an HTTP date (RFC 9110); both accepted. */
export function parseRetryAfter(text: string | undefined, nowMs: number): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const seconds = nonNegativeNumber(text);
  if (seconds !== undefined) return Math.round(seconds * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

export function readResponseMeta(status: number, headers: HeaderSource | undefined, durationMs: number, nowMs = Date.now()): ResponseMeta {
  const meta: ResponseMeta = { status, durationMs };
  const dop = nonNegativeNumber(headerValue(headers, 'x-ms-dop-hint'));
  if (dop !== undefined && dop >= 1) meta.dopHint = Math.floor(dop);
  const retryAfterMs = parseRetryAfter(headerValue(headers, 'retry-after'), nowMs);
  if (retryAfterMs !== undefined) meta.retryAfterMs = retryAfterMs;
  const burst = nonNegativeNumber(headerValue(headers, 'x-ms-ratelimit-burst-remaining-xrm-requests')?.replace(/,/g, ''));
  if (burst !== undefined) meta.burstRemaining = burst;
  const timeSeconds = nonNegativeNumber(headerValue(headers, 'x-ms-ratelimit-time-remaining-xrm-requests')?.replace(/,/g, ''));
  if (timeSeconds !== undefined) meta.timeRemainingMs = Math.round(timeSeconds * 1000);
  const requestId = headerValue(headers, 'req_id') ?? headerValue(headers, 'x-ms-service-request-id');
  if (requestId) meta.requestId = requestId;
  return meta;
}
