/** Real emulator on a loopback port with fetch helpers, shared by the query, batch, bulk and changes conformance tests. */
import { startDataverseEmulator, type DataverseEmulator } from '../../../../../emulators/dataverse';

export interface Harness {
  dv: DataverseEmulator;
  base: string;
  call(method: string, path: string, opts?: { body?: unknown; headers?: Record<string, string>; raw?: string }): Promise<Response>;
  json(res: Response): Promise<any>;
}

export async function startHarness(): Promise<Harness> {
  const dv = await startDataverseEmulator({ port: 0, timeScale: 0.0001 });
  const base = dv.url();
  return {
    dv,
    base,
    call: (method, path, opts = {}) =>
      fetch(path.startsWith('http') ? path : base + path, {
        method,
        headers: {
          authorization: 'Bearer test-token',
          accept: 'application/json',
          'odata-version': '4.0',
          'odata-maxversion': '4.0',
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...opts.headers,
        },
        body: opts.raw ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined),
      }),
    json: async (res) => JSON.parse(await res.text()),
  };
}
