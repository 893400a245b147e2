/**
 * Operator endpoints under `/_emulator/` (no auth): reset, load rows, counters, runtime config,
 * alternate-key status, denied privileges, save/load state. Answers are JSON; errors are {"error":{"code","message"}}.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { DvError, dvErrors, errorResponse } from './errors';
import { PRIVILEGE_ACTIONS } from './privileges';
import { parseBody } from './rows/body';
import type { EmulatorRuntime } from './runtime';
import type { EnvironmentState } from './store/environment';
import type { DvResponse } from './types';
import { handleWebhookOperator, webhookControl } from './webhooks';

const json = (status: number, body: unknown): DvResponse => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function parseJson(body: Buffer, what: string): unknown {
  try {
    return body.length ? JSON.parse(body.toString('utf8')) : {};
  } catch (e) {
    throw new DvError(400, '0x80048d19', `${what}: the body is not valid JSON (${(e as Error).message}).`);
  }
}

export async function handleOperator(rt: EmulatorRuntime, method: string, path: string, body: Buffer): Promise<DvResponse> {
  try {
    return await route(rt, method, path.replace(/\/+$/, ''), body);
  } catch (e) {
    if (e instanceof DvError) return errorResponse(e);
    return errorResponse(new DvError(400, '0x80040203', e instanceof Error ? e.message : String(e)));
  }
}

async function route(rt: EmulatorRuntime, method: string, path: string, body: Buffer): Promise<DvResponse> {
  const env = (name: string) => {
    const e = rt.environments.get(name);
    if (!e) throw new DvError(404, '0x8006088a', `No environment named '${name}'; known: ${[...rt.environments.keys()].join(', ')}.`);
    return e;
  };
  const webhooks = await handleWebhookOperator(rt, method, path, body);
  if (webhooks) return webhooks;
  let m: RegExpExecArray | null;
  if (method === 'POST' && path === '/_emulator/reset') {
    rt.reset();
    webhookControl(rt).clear();
    return json(200, { reset: true });
  }
  if (method === 'GET' && path === '/_emulator/counters') {
    const limits = Object.fromEntries([...rt.limiters].map(([n, l]) => [n, l.snapshot()]));
    return json(200, { ...rt.counters, windows: limits });
  }
  if (method === 'GET' && path === '/_emulator/config') return json(200, { ...rt.options, faults: rt.faults.faults });
  if (method === 'PATCH' && path === '/_emulator/config')
    return json(200, rt.reconfigure(parseJson(body, 'PATCH /_emulator/config') as Record<string, unknown>));
  if (method === 'POST' && (m = /^\/_emulator\/environments\/([^/]+)\/tables\/([^/]+)\/rows$/.exec(path))) {
    const e = env(m[1]);
    const table = e.table(m[2]);
    if (!table) throw dvErrors.resourceNotFound(m[2]);
    const input = parseJson(body, 'load rows');
    const rows = Array.isArray(input) ? input : (input as { rows?: unknown }).rows;
    if (!Array.isArray(rows)) throw dvErrors.invalidArgument('load rows: send a JSON array of rows, or {"rows":[…]}; each row is a Web API create body.');
    const ctx = rt.systemContext(e);
    const ids = await e.transaction(ctx, () =>
      rows.map((r, i) => {
        try {
          if (r === null || typeof r !== 'object' || Array.isArray(r)) throw dvErrors.invalidArgument('a row must be a JSON object');
          const { values } = parseBody(e, table, r as Record<string, unknown>);
          return String(e.create(ctx, table.logicalName, values)[table.primaryId]);
        } catch (err) {
          if (err instanceof DvError) throw new DvError(err.status, err.code, `rows[${i}]: ${err.message} Nothing was loaded.`);
          throw err;
        }
      }),
    );
    return json(200, { loaded: ids.length, ids });
  }
  if (method === 'PUT' && (m = /^\/_emulator\/environments\/([^/]+)\/tables\/([^/]+)\/keys\/([^/]+)$/.exec(path))) {
    const { status } = parseJson(body, 'set key status') as { status?: string };
    if (!['Active', 'Pending', 'InProgress', 'Failed'].includes(status ?? ''))
      throw dvErrors.invalidArgument('set key status: body must be {"status":"Active"|"Pending"|"InProgress"|"Failed"}.');
    return json(200, { status: env(m[1]).setKeyStatus(m[2], decodeURIComponent(m[3]), status as 'Active') });
  }
  if ((m = /^\/_emulator\/environments\/([^/]+)\/privileges(?:\/([^/]+))?$/.exec(path))) {
    // The privilege switch (privileges.ts): PUT replaces what one principal lacks, DELETE restores it (or everyone's).
    const privileges = env(m[1]).privileges;
    const principal = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
    if (method === 'GET') return json(200, principal === undefined ? privileges.list() : { principal, deny: privileges.deniedTo(principal) });
    if (method === 'DELETE') {
      privileges.clear(principal);
      return json(200, principal === undefined ? {} : { principal, deny: [] });
    }
    if (method === 'PUT' && principal !== undefined) {
      const { deny } = parseJson(body, 'set denied privileges') as { deny?: unknown };
      if (!Array.isArray(deny) || deny.some((d) => d === null || typeof d !== 'object' || typeof (d as { table?: unknown }).table !== 'string')) {
        throw dvErrors.invalidArgument(
          `set denied privileges: body must be {"deny":[{"table":"<logical name>","action":"${PRIVILEGE_ACTIONS.join('"|"')}"}, …]}; [] restores every privilege.`,
        );
      }
      privileges.set(principal, deny as Array<{ table: string; action: string }>);
      return json(200, { principal, deny: privileges.deniedTo(principal) });
    }
  }
  if (method === 'POST' && (path === '/_emulator/state/save' || path === '/_emulator/state/load')) {
    const { file } = parseJson(body, path) as { file?: string };
    if (!file) throw dvErrors.invalidArgument(`${path}: body must be {"file":"<path of a JSON state file>"}.`);
    if (path.endsWith('save')) {
      const state = Object.fromEntries([...rt.environments].map(([n, e]) => [n, e.snapshot()]));
      await writeFile(file, JSON.stringify({ format: 'dvsync-dataverse-state/1', environments: state }));
      return json(200, { saved: file });
    }
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { format?: string; environments?: Record<string, EnvironmentState> };
    if (parsed.format !== 'dvsync-dataverse-state/1' || !parsed.environments)
      throw dvErrors.invalidArgument(`${file}: not a state file saved by POST /_emulator/state/save.`);
    for (const [n, s] of Object.entries(parsed.environments)) env(n).restore(s);
    return json(200, { loaded: file });
  }
  throw new DvError(404, '0x8006088a', `No operator endpoint ${method} ${path}. See emulators/dataverse/README.md "Operator endpoints".`);
}
