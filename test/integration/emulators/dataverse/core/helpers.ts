/** Start a Dataverse emulator on a free loopback port and talk to it over real HTTP. */
import { startDataverseEmulator, type DataverseEmulator, type EmulatorOptionsInput } from '../../../../../emulators/dataverse';

export const FAST: EmulatorOptionsInput = { port: 0, timeScale: 0.001 };

export async function start(options: EmulatorOptionsInput = {}): Promise<DataverseEmulator> {
  return startDataverseEmulator({ ...FAST, ...options });
}

export function client(base: string, token = 'test-user') {
  const headers = (extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${token}`,
    accept: 'application/json',
    'odata-version': '4.0',
    'odata-maxversion': '4.0',
    'content-type': 'application/json',
    ...extra,
  });
  const call = async (method: string, path: string, body?: unknown, extra?: Record<string, string>) => {
    const res = await fetch(base + path, { method, headers: headers(extra), body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };
  return {
    get: (p: string, h?: Record<string, string>) => call('GET', p, undefined, h),
    post: (p: string, b: unknown, h?: Record<string, string>) => call('POST', p, b, h),
    patch: (p: string, b: unknown, h?: Record<string, string>) => call('PATCH', p, b, h),
    put: (p: string, b: unknown, h?: Record<string, string>) => call('PUT', p, b, h),
    del: (p: string, h?: Record<string, string>) => call('DELETE', p, undefined, h),
  };
}

export const idFromEntityId = (h: Headers): string => /\(([0-9a-f-]{36})\)$/.exec(h.get('odata-entityid') ?? '')![1];
