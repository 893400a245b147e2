/**
 * HTTP triggers: a node HTTP server that routes `/<routePrefix>/<route>` to the app's handlers,
 * enforces authLevel with function/master keys (401 like the host), builds a real `HttpRequest`
 * (raw body bytes untouched) and translates the handler's `HttpResponseInit | HttpResponse` back.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { HttpRequest, HttpResponse, type HttpFunctionOptions, type HttpMethod, type HttpResponseInit } from '@azure/functions';
import { FUNCTION_KEY_SETTING, MASTER_KEY_SETTING } from './config';
import type { HostLogger, InvocationRunner } from './invocation';
import { redactLine, redactUrl } from './redact';
import { compileRoute, matchRoute, type CompiledRoute } from './routes';

/** The host's default request body limit (104857600 bytes); larger requests get 413. */
const MAX_REQUEST_BODY_BYTES = 100 * 1024 * 1024;

export interface HttpFunction {
  name: string;
  options: HttpFunctionOptions;
}

interface RouteEntry {
  name: string;
  options: HttpFunctionOptions;
  route: CompiledRoute;
  methods: Set<string>;
  authLevel: 'anonymous' | 'function' | 'admin';
}

export interface HttpTriggerHost {
  server: Server;
  /** One line per function: methods, URL and auth level, like `func start` prints. */
  describe(baseUrl: string): string[];
}

export function createHttpTriggerHost(
  functions: HttpFunction[],
  routePrefix: string,
  settings: Record<string, string>,
  runner: InvocationRunner,
  log: HostLogger = (line) => process.stderr.write(`${line}\n`),
): HttpTriggerHost {
  const routes = functions.map((f): RouteEntry => ({
    name: f.name,
    options: f.options,
    route: compileRoute(f.options.route ?? f.name, f.name),
    methods: new Set((f.options.methods ?? (['GET', 'POST'] satisfies HttpMethod[])).map((m) => m.toUpperCase())),
    authLevel: f.options.authLevel ?? 'anonymous',
  }));
  routes.sort((a, b) => routeRank(a.route) - routeRank(b.route));
  const prefix = routePrefix ? routePrefix.toLowerCase().split('/') : [];

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Reached when the client went away mid-request or writing the response failed; the socket is all that is
      // left to close. The URL may carry the key (?code=), and so may the error's text: neither is logged as is.
      log(
        redactLine(`functions-host: failed to answer ${req.method} ${redactUrl(req.url)}: ${String(err)}`, [
          settings[FUNCTION_KEY_SETTING],
          settings[MASTER_KEY_SETTING],
        ]),
      );
      res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const segments = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map(safeDecode);
    const underPrefix = prefix.every((p, i) => segments[i]?.toLowerCase() === p) ? segments.slice(prefix.length) : undefined;
    const method = (req.method ?? 'GET').toUpperCase();
    let match: { entry: RouteEntry; params: Record<string, string> } | undefined;
    for (const entry of underPrefix ? routes : []) {
      const params = matchRoute(entry.route, underPrefix!);
      if (params && entry.methods.has(method)) {
        match = { entry, params };
        break;
      }
    }
    // The host answers an unknown route, and a known route with a method it does not allow, with 404.
    if (!match) return void send(res, 404);
    if (!authorized(match.entry.authLevel, url, req)) return void send(res, 401);

    const body = await readBody(req);
    if (body === 'too-large') return void send(res, 413);
    const request = new HttpRequest({
      method,
      url: url.toString(),
      headers: headerRecord(req),
      query: queryRecord(url.searchParams),
      params: match.params,
      body: { bytes: body },
    });
    let response: HttpResponse;
    try {
      const result = await runner.run(
        {
          functionName: match.entry.name,
          trigger: {
            type: 'httpTrigger',
            name: 'httpTrigger',
            authLevel: match.entry.authLevel,
            methods: [...match.entry.methods],
            route: match.entry.route.template,
          },
        },
        (context) => match!.entry.options.handler(request, context),
      );
      response = isHttpResponse(result) ? result : new HttpResponse((result ?? {}) as HttpResponseInit);
    } catch {
      // The host hides the error from the caller (it is in the log) and answers 500 with no body.
      return void send(res, 500);
    }
    await writeResponse(res, response);
  }

  function authorized(level: RouteEntry['authLevel'], url: URL, req: IncomingMessage): boolean {
    if (level === 'anonymous') return true;
    const header = req.headers['x-functions-key'];
    const presented = url.searchParams.get('code') ?? (Array.isArray(header) ? header[0] : header);
    if (!presented) return false;
    const master = settings[MASTER_KEY_SETTING];
    if (safeEqual(presented, master)) return true;
    return level === 'function' && safeEqual(presented, settings[FUNCTION_KEY_SETTING]);
  }

  return {
    server,
    describe: (baseUrl) =>
      routes.map((r) => {
        const path = [routePrefix, r.route.template.replace(/^\/+/, '')].filter(Boolean).join('/');
        return `${r.name}: [${[...r.methods].join(',')}] ${baseUrl}/${path}${r.authLevel === 'anonymous' ? '' : ` (authLevel ${r.authLevel})`}`;
      }),
  };
}

/** Literal segments before parameters, constrained before free, optional and catch-all last (ASP.NET precedence). */
function routeRank(route: CompiledRoute): number {
  let rank = 0;
  route.segments.forEach((s, i) => {
    const weight = 'literal' in s ? 0 : s.param.catchAll ? 4 : s.param.optional ? 3 : s.param.constraint ? 1 : 2;
    rank += weight * 5 ** (8 - Math.min(i, 8));
  });
  return rank;
}

/** `instanceof` fails when the app resolved its own copy of @azure/functions; the shape is what matters. */
function isHttpResponse(value: unknown): value is HttpResponse {
  return (
    value instanceof HttpResponse ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as HttpResponse).arrayBuffer === 'function' &&
      typeof (value as HttpResponse).status === 'number')
  );
}

function safeEqual(presented: string, expected: string | undefined): boolean {
  if (!expected) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (values) headers[name] = values.join(', ');
  }
  return headers;
}

function queryRecord(params: URLSearchParams): Record<string, string> {
  const query: Record<string, string> = {};
  for (const key of new Set(params.keys())) query[key] = params.getAll(key).join(',');
  return query;
}

async function readBody(req: IncomingMessage): Promise<Uint8Array | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BODY_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function writeResponse(res: ServerResponse, response: HttpResponse): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = [...response.headers.getSetCookie(), ...response.cookies.map(serializeCookie)];
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, headers);
  res.end(body);
}

function send(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': '0' });
  res.end();
}

function serializeCookie(cookie: HttpResponse['cookies'][number]): string {
  const parts = [`${cookie.name}=${cookie.value}`];
  if (cookie.domain) parts.push(`Domain=${cookie.domain}`);
  if (cookie.path) parts.push(`Path=${cookie.path}`);
  if (cookie.expires !== undefined) parts.push(`Expires=${new Date(cookie.expires).toUTCString()}`);
  if (cookie.maxAge !== undefined) parts.push(`Max-Age=${cookie.maxAge}`);
  if (cookie.secure) parts.push('Secure');
  if (cookie.httpOnly) parts.push('HttpOnly');
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join('; ');
}
