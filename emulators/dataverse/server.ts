/**
 * node:http front end. Path-based environments: `/<env>/api/data/v9.2/…`, and the default
 * environment also at `/api/data/v9.2/…`; operator endpoints at `/_emulator/…`.
 */
import http from 'node:http';
import { DvError, errorResponse } from './errors';
import { handleOperator } from './operator';
import { handleWebApi } from './pipeline';
import type { EmulatorRuntime } from './runtime';
import type { DvRequest, DvResponse } from './types';

const API = /^\/(?:([a-z][a-z0-9-]*)\/)?api\/data\/v9\.[0-2]\/?(.*)$/;

function send(res: http.ServerResponse, r: DvResponse): void {
  res.writeHead(r.status, r.headers);
  res.end(r.body);
}

export function createServer(rt: EmulatorRuntime): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(rt, req, Buffer.concat(chunks)).then(
        (r) => {
          if ('drop' in r) req.socket.destroy();
          else send(res, r);
        },
        (e: unknown) =>
          send(res, errorResponse(new DvError(500, '0x80040216', `An unexpected error occurred. (${e instanceof Error ? e.message : String(e)})`))),
      );
    });
  });
}

async function handle(rt: EmulatorRuntime, req: http.IncomingMessage, body: Buffer): Promise<DvResponse | { drop: true }> {
  const host = req.headers.host ?? `${rt.options.host}:${rt.options.port}`;
  const url = new URL(req.url ?? '/', `http://${host}`);
  if (url.pathname.startsWith('/_emulator/')) return handleOperator(rt, req.method ?? 'GET', url.pathname, body);
  const m = API.exec(url.pathname);
  const envName = m ? (m[1] ?? rt.defaultEnvironment) : undefined;
  if (!m || !rt.environments.has(envName!)) {
    const seg = url.pathname.split('/').filter(Boolean)[0] ?? '';
    return errorResponse(
      new DvError(
        404,
        '0x8006088a',
        `Resource not found for the segment '${seg}'. Web API URLs look like ${`http://${host}/<environment>/api/data/v9.2/`}; environments: ${[...rt.environments.keys()].join(', ')}.`,
      ),
    );
  }
  let path: string;
  try {
    path = decodeURIComponent(m[2]);
  } catch {
    return errorResponse(new DvError(400, '0x80060888', `The request URI '${url.pathname}' is not valid percent-encoding.`));
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  const dvReq: DvRequest = { method: req.method ?? 'GET', path, query: url.searchParams, headers, body };
  const baseUrl = `http://${host}/${m[1] ? `${m[1]}/` : ''}api/data/v9.2/`;
  return handleWebApi(rt, envName!, dvReq, baseUrl);
}
