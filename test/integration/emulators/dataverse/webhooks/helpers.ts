/** A loopback webhook receiver and registration calls made the way a registration tool makes them. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type client } from '../core/helpers';

export interface Received {
  url: URL;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  body: any;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Statuses to answer, in order; 200 once exhausted. */
  respond: number[];
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const r = { respond: [] as number[] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      received.push({ url: new URL(req.url ?? '/', 'http://receiver'), headers: req.headers, raw, body: JSON.parse(raw.toString('utf8')) });
      res.writeHead(r.respond.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(r, {
    url: `http://127.0.0.1:${port}/api/dataverse/webhook`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}

export const kv = (arr: Array<{ key: string; value: unknown }>): Map<string, any> => new Map(arr.map((x) => [x.key, x.value]));
const idOf = (h: Headers): string => /\(([0-9a-f-]{36})\)$/.exec(h.get('odata-entityid') ?? '')![1];

export type Api = ReturnType<typeof client>;

export async function createEndpoint(api: Api, body: Record<string, unknown>): Promise<string> {
  const r = await api.post('serviceendpoints', { name: 'test hook', contract: 8, ...body });
  if (r.status !== 204) throw new Error(`POST serviceendpoints answered ${r.status}: ${r.text}`);
  return idOf(r.headers);
}

/** Message and filter lookups, then the step (Learn: register-web-hook, reference/entities/sdkmessageprocessingstep). */
export async function createStep(api: Api, endpointId: string, message: string, table: string, extra: Record<string, unknown> = {}): Promise<string> {
  const m = await api.get(`sdkmessages?$select=sdkmessageid&$filter=name eq '${message}'`);
  const messageId = m.json!.value[0].sdkmessageid as string;
  const f = await api.get(`sdkmessagefilters?$select=sdkmessagefilterid&$filter=primaryobjecttypecode eq '${table}' and _sdkmessageid_value eq ${messageId}`);
  const filterId = f.json!.value[0].sdkmessagefilterid as string;
  const r = await api.post('sdkmessageprocessingsteps', {
    name: `test hook: ${message} of ${table}`,
    stage: 40,
    mode: 1,
    rank: 1,
    supporteddeployment: 0,
    asyncautodelete: false,
    'eventhandler_serviceendpoint@odata.bind': `/serviceendpoints(${endpointId})`,
    'sdkmessageid@odata.bind': `/sdkmessages(${messageId})`,
    'sdkmessagefilterid@odata.bind': `/sdkmessagefilters(${filterId})`,
    ...extra,
  });
  if (r.status !== 204) throw new Error(`POST sdkmessageprocessingsteps answered ${r.status}: ${r.text}`);
  return idOf(r.headers);
}

export async function createImage(api: Api, stepId: string, body: Record<string, unknown>) {
  return api.post('sdkmessageprocessingstepimages', { 'sdkmessageprocessingstepid@odata.bind': `/sdkmessageprocessingsteps(${stepId})`, ...body });
}
