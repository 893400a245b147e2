/**
 * `dvsync demo`: against a running `npm start` stack, performs the steps of scenario.ts in the emulated
 * source environment and waits (bounded) for each step's checks, with a live status line. Answers true
 * when every check held.
 */
import { ServiceBusClient } from '@azure/service-bus';
import { FailureStore } from '../shared/ledger/failures';
import { demoSteps, type Check } from './scenario';
import { formatSnapshot, Watcher, type Snapshot } from './watch';
import { DemoApiError, EnvironmentUser } from './web-api';

export interface DemoOptions {
  /** The Dataverse emulator's origin, e.g. http://127.0.0.1:7072 */
  dataverseUrl: string;
  /** Table Storage connection string of the stack (failures table); optional. */
  storage?: string;
  /** Service Bus connection string of the stack (queue depth); optional. */
  serviceBus?: string;
  queue: string;
  /** Bounded wait per step. */
  stepTimeoutMs: number;
  pollMs: number;
  out: (text: string) => void;
  /** Rewrite the status line in place (a terminal) instead of printing one line per change. */
  live: boolean;
}

export const DEMO_USER_TOKEN = 'demo-sales-rep';
export const DEMO_TARGET_EDITOR_TOKEN = 'demo-target-admin';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runDemo(o: DemoOptions): Promise<boolean> {
  const origin = o.dataverseUrl.replace(/\/+$/, '');
  const api = (env: string, token: string) => new EnvironmentUser(`${origin}/${env}/api/data/v9.2/`, token);
  const stage = { source: api('source', DEMO_USER_TOKEN), target: api('target', DEMO_USER_TOKEN), targetEditor: api('target', DEMO_TARGET_EDITOR_TOKEN) };
  const started = Date.now();

  try {
    await stage.source.whoAmI();
    await stage.target.whoAmI();
  } catch (err) {
    o.out(
      `dvsync demo: cannot reach the emulated environments "source" and "target" at ${origin}: ${(err as Error).message}\n` +
        'Start the local stack first (npm start), or pass --dataverse-url if it runs on another port.\n',
    );
    return false;
  }
  const endpoints = await stage.source.list('serviceendpoints?$select=name,url&$filter=contract eq 8').catch(() => []);
  if (endpoints.length === 0)
    o.out(
      'dvsync demo: warning: no webhook is registered in "source" (serviceendpoints is empty); events will not reach the Functions host. Check the "Webhooks:" lines of npm start.\n',
    );
  else o.out(`Webhook registered in source: ${endpoints.map((e) => `${e.name} → ${String(e.url)}`).join('; ')}\n`);

  const sb = o.serviceBus ? new ServiceBusClient(o.serviceBus) : undefined;
  const watcher = new Watcher({
    operatorUrl: `${origin}/_emulator/`,
    serviceBus: sb,
    queue: o.queue,
    failures: o.storage ? new FailureStore({ connectionString: o.storage }) : undefined,
    since: new Date(started - 1000),
  });
  const reported = new Set<string>();
  let lastLine = '';
  const show = (snap: Snapshot) => {
    const line = formatSnapshot(Date.now() - started, snap);
    for (const f of snap.failures ?? []) {
      const id = `${f.messageId}/${f.time}`;
      if (reported.has(id)) continue;
      reported.add(id);
      o.out(`${o.live ? '\r\x1b[K' : ''}  ✗ failure on route ${f.route ?? '?'} (${f.targetKey ?? f.sourceId ?? ''}): ${f.reason}: ${f.detail}\n`);
    }
    if (o.live) o.out(`\r\x1b[K${line}`);
    else if (line.replace(/^\[[^\]]*\]/, '') !== lastLine.replace(/^\[[^\]]*\]/, '')) o.out(`${line}\n`);
    lastLine = line;
  };

  const run = new Date().toISOString().replace(/\D/g, '').slice(4, 14);
  const results: Array<{ check: Check; ok: boolean }> = [];
  try {
    for (const [i, step] of demoSteps(stage, run).entries()) {
      o.out(`${o.live ? '\r\x1b[K' : ''}\n${i + 1}. ${step.title}\n`);
      for (const line of await step.act()) o.out(`   ${line}\n`);
      const pending = new Set(step.checks);
      const deadline = Date.now() + o.stepTimeoutMs;
      while (pending.size > 0 && Date.now() < deadline) {
        for (const check of [...pending]) {
          if (await check.holds().catch(() => false)) {
            pending.delete(check);
            results.push({ check, ok: true });
            o.out(`${o.live ? '\r\x1b[K' : ''}   ✓ ${check.what}  (${check.why})\n`);
          }
        }
        show(await watcher.snapshot());
        if (pending.size > 0) await sleep(o.pollMs);
      }
      for (const check of pending) {
        results.push({ check, ok: false });
        o.out(`${o.live ? '\r\x1b[K' : ''}   ✗ ${check.what}: not seen within ${o.stepTimeoutMs / 1000} s  (${check.why})\n`);
      }
    }
    const final = await watcher.snapshot();
    show(final);
    const failed = results.filter((r) => !r.ok).length;
    o.out(
      `${o.live ? '\n' : ''}\n${failed === 0 ? 'Demo complete' : 'Demo finished with problems'}: ${results.length - failed}/${results.length} checks held in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `${final.failures?.length ?? 'n/a'} failures recorded, queue ${final.queue ?? 'n/a'}.\n`,
    );
    if (failed > 0) o.out("See the npm start window for the intake's decisions (dvsync.event webhook.skipped … reason) and the worker's outcomes.\n");
    return failed === 0;
  } catch (err) {
    if (!(err instanceof DemoApiError)) throw err;
    o.out(`\ndvsync demo: a write failed: ${err.message}\n`);
    return false;
  } finally {
    await sb?.close().catch(() => undefined);
  }
}
