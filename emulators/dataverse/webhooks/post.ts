/** One HTTP POST of a webhook payload: auth per type, the x-ms-dynamics-* headers, a timeout. */
import type { EndpointRegistration } from './registrations';

export interface PostResult {
  status?: number;
  /** Network error or timeout (no status). */
  error?: string;
  durationMs: number;
}

export interface WebhookHeaders {
  organizationHost: string;
  entityName: string;
  requestName: string;
  correlationId: string;
  sizeExceeded: boolean;
}

/** The endpoint URL with its WebhookKey / HttpQueryString values appended. */
export function deliveryUrl(endpoint: EndpointRegistration): URL {
  const url = new URL(endpoint.url);
  if (endpoint.authType === 4 || endpoint.authType === 6) for (const [k, v] of endpoint.auth) url.searchParams.append(k, v);
  return url;
}

export function deliveryHeaders(endpoint: EndpointRegistration, h: WebhookHeaders): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-ms-dynamics-organization': h.organizationHost,
    'x-ms-dynamics-entity-name': h.entityName,
    'x-ms-dynamics-request-name': h.requestName,
    'x-ms-correlation-request-id': h.correlationId,
  };
  if (h.sizeExceeded) headers['x-ms-dynamics-msg-size-exceeded'] = 'true';
  if (endpoint.authType === 5) for (const [k, v] of endpoint.auth) headers[k.toLowerCase()] = v;
  return headers;
}

export async function postWebhook(url: URL, headers: Record<string, string>, body: Buffer, timeoutMs: number): Promise<PostResult> {
  const started = performance.now();
  try {
    const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer().catch(() => undefined); // Dataverse ignores the body; drain it to free the socket
    return { status: res.status, durationMs: performance.now() - started };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError';
    return {
      error: timedOut ? `no response within ${Math.round(timeoutMs)} ms` : `${err.message}${err.cause?.code ? ` (${err.cause.code})` : ''}`,
      durationMs: performance.now() - started,
    };
  }
}

/** The URL as logged: no query values (they are secrets). */
export const redactedUrl = (url: URL): string => `${url.origin}${url.pathname}${url.search ? '?…' : ''}`;
