/**
 * `dvsync import` writes carry DVSYNC_WRITE_TAG, as the worker's do, so a two-way route's ignoreOwnWrites
 * recognises imported rows when their change events come back (issue 9, defect 5: the import's own
 * wiring built the environment pools with the default tag). The tag is observed where it matters: in the
 * `tag` shared variable of the webhook event Dataverse sends for the written row.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { client } from '../emulators/dataverse/core/helpers';
import { createEndpoint, createStep, kv, startReceiver, type Receiver } from '../emulators/dataverse/webhooks/helpers';
import { spawnImport, startHarness, type Harness } from './harness';

let h: Harness;
let rx: Receiver;
beforeAll(async () => {
  [h, rx] = await Promise.all([startHarness(0.001), startReceiver()]);
  const api = client(h.dv.url('target'), 'registration-tool');
  const endpoint = await createEndpoint(api, { url: rx.url, authtype: 4, authvalue: 'k' });
  for (const message of ['Create', 'Update']) await createStep(api, endpoint, message, 'account', { mode: 0 });
});
afterAll(async () => {
  await Promise.all([h?.close(), rx?.close()]);
});

it('imported writes carry the configured write tag, not the default', async () => {
  const file = join(h.dir, 'tagged.jsonl');
  writeFileSync(file, ['TAG-1', 'TAG-2', 'TAG-3'].map((n) => JSON.stringify({ number: n, name: `Tagged ${n}` })).join('\n'));
  const run = spawnImport({ ...h, env: { ...h.env, DVSYNC_WRITE_TAG: 'erp-import' } }, [file, '--route', 'erp-accounts']);
  const done = await run.exit;
  expect(run.stderr()).not.toMatch(/stopped|error/i);
  expect(done.code).toBe(0);
  const events = rx.received.filter((r) => r.body.PrimaryEntityName === 'account');
  expect(events.length).toBeGreaterThanOrEqual(3);
  for (const e of events) expect(kv(e.body.SharedVariables).get('tag')).toBe('erp-import');
}, 60_000);

it('refuses a configuration the worker would refuse, naming the setting, and needs no Service Bus', async () => {
  const run = spawnImport({ ...h, env: { ...h.env, DVSYNC_WRITE_TAG: 'has spaces' } }, [join(h.dir, 'tagged.jsonl'), '--route', 'erp-accounts']);
  expect((await run.exit).code).toBe(2);
  expect(run.stderr()).toMatch(/DVSYNC_WRITE_TAG/);
  expect(run.stderr()).not.toMatch(/ServiceBusConnection/);
}, 60_000);
