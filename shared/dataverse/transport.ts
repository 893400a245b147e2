/**
 * The one place that talks HTTP: Node's global fetch (undici, keep-alive by default). fetch keeps no
 * cookie jar, so the ARRAffinity cookie is never sent back and requests spread over all web servers
 * (Learn: send-parallel-requests). Every exchange reports its ResponseMeta; non-success statuses become DataverseErrors.
 */
import { toWireJson } from './wire-json';
import type { TokenProvider } from './auth';
import { classify, DataverseError } from './errors';
import { readResponseMeta, type ResponseMeta } from './meta';
import type { ClientSettings, RequestOptions } from './options';

export interface HttpRequest extends RequestOptions {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Relative to the Web API base (`accounts(…)`), or absolute (a nextLink / deltaLink). */
  url: string;
  /** Query parameters appended to the URL (values are encoded here). */
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  /** JSON-serialised unless `rawBody` is given. */
  json?: unknown;
  rawBody?: string;
  /** Statuses returned to the caller instead of thrown (e.g. a $batch 400 still carries a multipart body). */
  acceptStatuses?: readonly number[];
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body when it is JSON, else undefined. */
  json: unknown;
  meta: ResponseMeta;
  url: string;
}

export class Transport {
  constructor(
    readonly settings: ClientSettings,
    private readonly tokens: TokenProvider,
    private readonly onResponse?: (meta: ResponseMeta) => void,
  ) {}

  resolve(url: string, query?: Record<string, string | undefined>): string {
    const absolute = new URL(url, this.settings.baseUrl).toString();
    // Built by hand: URLSearchParams writes spaces as '+', which OData reads as a plus sign.
    const extra = Object.entries(query ?? {})
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
      .join('&');
    if (!extra) return absolute;
    return `${absolute}${absolute.includes('?') ? '&' : '?'}${extra}`;
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    try {
      return await this.attempt(request);
    } catch (e) {
      // 401: the cached token may have been revoked or expired early; refresh once, then fail.
      if (e instanceof DataverseError && e.kind === 'auth' && e.status === 401) {
        this.tokens.invalidate();
        return this.attempt(request);
      }
      throw e;
    }
  }

  private async attempt(request: HttpRequest): Promise<HttpResponse> {
    const url = this.resolve(request.url, request.query);
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'OData-MaxVersion': '4.0',
      'OData-Version': '4.0',
      Authorization: `Bearer ${await this.tokens.getToken(request.signal)}`,
    };
    if (request.method === 'GET') headers['If-None-Match'] = 'null';
    let body: string | undefined;
    if (request.rawBody !== undefined) body = request.rawBody;
    else if (request.json !== undefined) {
      body = toWireJson(request.json);
      headers['Content-Type'] = 'application/json; charset=utf-8';
    }
    Object.assign(headers, request.headers);

    const timeout = AbortSignal.timeout(request.timeoutMs ?? this.settings.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const started = performance.now();
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { method: request.method, headers, body, signal, redirect: 'manual' });
      text = await response.text();
    } catch (e) {
      // The caller's own abort is not a Dataverse failure: surface it untouched.
      if (request.signal?.aborted) throw request.signal.reason;
      throw classify(timeout.aborted ? timeout.reason : e, { method: request.method, url });
    }
    const meta = readResponseMeta(response.status, response.headers, performance.now() - started);
    this.onResponse?.(meta);
    const contentType = response.headers.get('content-type') ?? '';
    const json = text && /json/i.test(contentType) ? safeJson(text) : undefined;
    const ok = (response.status >= 200 && response.status < 300) || response.status === 304 || request.acceptStatuses?.includes(response.status);
    if (!ok) throw classify({ status: response.status, headers: response.headers, body: json ?? text, meta }, { method: request.method, url });
    return { status: response.status, headers: response.headers, text, json, meta, url };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
