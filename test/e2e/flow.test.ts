/**
 * Event intake to applied change, on the whole local stack: a person writes in the emulated source
 * environment → the emulator's registered webhook → the Functions host's intake → Service Bus emulator →
 * apply-changes worker → the emulated target (ledger in Azurite). Routes: demo/routes.json plus a scoped
 * route, so the demo's sample routes are what is tested.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Route } from '../../shared/routes/schema';
import { CLOSE_TIMEOUT_MS, deliveriesFor, settle, startE2eStack, waitFor, type E2eStack } from './harness';

const demoRoutes = JSON.parse(readFileSync(join(__dirname, '..', '..', 'demo', 'routes.json'), 'utf8')) as { routes: Route[] };
const PLACEHOLDER_OWNER = '00000000-0000-0000-0000-000000000001';

function routesWithScope(ownerUserId: string) {
  const routes = structuredClone(demoRoutes.routes);
  // description is mapped but not a filtering column: an update of it alone must not travel.
  routes.find((r) => r.name === 'accounts-to-target')!.target.columns.description = 'description';
  routes.push({
    name: 'opportunities-of-owner',
    source: { environment: 'source', table: 'opportunity', scope: 'User', ownerUserId },
    target: {
      environment: 'target',
      table: 'opportunity',
      entitySet: 'opportunities',
      key: ['dvs_externalid'],
      columns: { dvs_externalid: 'opportunityid', name: 'name' },
    },
  } as unknown as Route);
  return { routes };
}

let e2e: E2eStack;

beforeAll(async () => {
  e2e = await startE2eStack({ routes: routesWithScope(PLACEHOLDER_OWNER) });
  // The app reads routes on the first event (as the host does at first use); name the real owner before any write.
  const owner = await e2e.userAt('source', 'e2e-route-owner').whoAmI();
  writeFileSync(e2e.routesFile, JSON.stringify(routesWithScope(owner.UserId)));
}, 60_000);

afterAll(async () => {
  await e2e?.close();
}, CLOSE_TIMEOUT_MS);

test('the stack registered the webhook in source like a registration tool: WebhookKey endpoint, async post-operation steps, filtering attributes, images', async () => {
  const admin = e2e.userAt('source', 'e2e-admin');
  const [endpoint] = await admin.list('serviceendpoints?$select=serviceendpointid,name,url,contract,authtype,isauthvalueset&$filter=contract eq 8');
  expect(endpoint).toMatchObject({ name: 'dvsync local webhook', url: e2e.stack.webhooks!.webhookUrl, authtype: 4, isauthvalueset: true });
  const steps = await admin.list(
    `sdkmessageprocessingsteps?$select=name,stage,mode,filteringattributes&$filter=_eventhandler_value eq ${String(endpoint.serviceendpointid)}`,
  );
  const byName = Object.fromEntries(steps.map((s) => [s.name, s]));
  expect(Object.keys(byName).sort()).toEqual(
    ['Create', 'Update', 'Delete']
      .flatMap((m) => [`dvsync local webhook: ${m} of account`, `dvsync local webhook: ${m} of contact`, `dvsync local webhook: ${m} of opportunity`])
      .sort(),
  );
  for (const s of steps) expect(s).toMatchObject({ stage: 40, mode: 1 });
  expect(byName['dvsync local webhook: Update of account'].filteringattributes).toBe(
    'accountnumber,address1_city,creditonhold,emailaddress1,industrycode,name,telephone1',
  );
  expect(byName['dvsync local webhook: Update of opportunity'].filteringattributes ?? null).toBeNull(); // the scoped route listens to every update
  const images = await admin.list(
    "sdkmessageprocessingstepimages?$select=entityalias,imagetype,messagepropertyname,attributes&$filter=entityalias eq 'PostImage'",
  );
  expect(images.map((i) => i.attributes)).toContain(
    'accountid,accountnumber,address1_city,creditonhold,description,emailaddress1,industrycode,name,telephone1',
  );
  // The target environment gets only the reverse route's step.
  const targetSteps = await e2e.userAt('target', 'e2e-admin').list("sdkmessageprocessingsteps?$select=name&$filter=startswith(name,'dvsync local webhook')");
  expect(targetSteps.map((s) => s.name)).toEqual(['dvsync local webhook: Update of account']);
});

const targetAccount = (sourceId: string) => e2e.target.getByKey('accounts', { dvs_externalid: sourceId });

test('Create, Update and Delete of a source account arrive at the target, keyed by the source id', async () => {
  const id = await e2e.source.create('accounts', {
    name: 'Northwind',
    accountnumber: 'E2E-CUD-1',
    telephone1: '100',
    emailaddress1: '  Sales@Northwind.Example ',
  });
  const created = await waitFor(
    'the account to arrive',
    () => targetAccount(id),
    (r) => r !== undefined,
    e2e,
  );
  expect(created).toMatchObject({
    name: 'Northwind',
    accountnumber: 'E2E-CUD-1',
    telephone1: '100',
    emailaddress1: 'sales@northwind.example',
    dvs_externalid: id,
  });
  expect(created!.accountid).not.toBe(id); // the target has its own id; only the key carries the source id

  await e2e.source.update('accounts', id, { telephone1: '200', address1_city: 'Oslo' });
  const updated = await waitFor(
    'the update to arrive',
    () => targetAccount(id),
    (r) => r?.telephone1 === '200',
    e2e,
  );
  expect(updated).toMatchObject({ telephone1: '200', address1_city: 'Oslo', name: 'Northwind' });

  await e2e.source.delete('accounts', id);
  await waitFor(
    'the delete to arrive',
    () => targetAccount(id),
    (r) => r === undefined,
    e2e,
  );
  await settle(e2e);
  expect(await e2e.failures()).toEqual([]);
});

test('a trigger condition that is false keeps the row out; once true the row arrives', async () => {
  const id = await e2e.source.create('accounts', { name: '[internal] Staging', accountnumber: 'E2E-COND-1' });
  await settle(e2e);
  expect(deliveriesFor(e2e, 'source', id)).toEqual([{ message: 'Create', status: 202 }]); // delivered and answered…
  expect(await targetAccount(id)).toBeUndefined(); // …but not routed
  expect(e2e.logs.join('\n')).toMatch(/webhook\.skipped .*"route":"accounts-to-target".*trigger condition 1 .* is false/);

  await e2e.source.update('accounts', id, { name: 'Staging Ltd' });
  const arrived = await waitFor(
    'the renamed account to arrive',
    () => targetAccount(id),
    (r) => r !== undefined,
    e2e,
  );
  expect(arrived).toMatchObject({ name: 'Staging Ltd', accountnumber: 'E2E-COND-1' });
});

test('an update touching no filtering column does not travel; the next one that does carries the whole row', async () => {
  const id = await e2e.source.create('accounts', { name: 'Filter Co', accountnumber: 'E2E-FILT-1', description: 'first' });
  await waitFor(
    'the account to arrive',
    () => targetAccount(id),
    (r) => r?.description === 'first',
    e2e,
  );

  await e2e.source.update('accounts', id, { description: 'second' });
  await settle(e2e);
  expect(deliveriesFor(e2e, 'source', id).map((d) => d.message)).toEqual(['Create']);
  expect((await targetAccount(id))?.description).toBe('first');

  await e2e.source.update('accounts', id, { name: 'Filter Company' });
  const updated = await waitFor(
    'the rename to arrive',
    () => targetAccount(id),
    (r) => r?.name === 'Filter Company',
    e2e,
  );
  expect(updated?.description).toBe('second'); // the post image carries the unfiltered column along
});

test("scope User: only rows owned by the route's owner travel", async () => {
  const owner = e2e.userAt('source', 'e2e-route-owner');
  const someoneElse = e2e.userAt('source', 'e2e-other-user');
  const mine = await owner.create('opportunities', { name: 'Owned by the route owner' });
  const theirs = await someoneElse.create('opportunities', { name: 'Owned by someone else' });
  const arrived = await waitFor(
    "the owner's opportunity to arrive",
    () => e2e.target.getByKey('opportunities', { dvs_externalid: mine }),
    (r) => r !== undefined,
    e2e,
  );
  expect(arrived?.name).toBe('Owned by the route owner');
  await settle(e2e);
  expect(await e2e.target.getByKey('opportunities', { dvs_externalid: theirs })).toBeUndefined();
  expect(e2e.logs.join('\n')).toMatch(/webhook\.skipped .*"route":"opportunities-of-owner".*scope User: row is owned by systemuser/);
});

test("a contact's parentcustomerid becomes a lookup to the target's account, found by its alternate key", async () => {
  const account = await e2e.source.create('accounts', { name: 'Parent Inc', accountnumber: 'E2E-LOOK-1' });
  const targetParent = await waitFor(
    'the parent to arrive',
    () => targetAccount(account),
    (r) => r !== undefined,
    e2e,
  );
  const contact = await e2e.source.create('contacts', {
    firstname: 'Grace',
    lastname: 'Hopper',
    'parentcustomerid_account@odata.bind': `/accounts(${account})`,
  });
  const arrived = await waitFor(
    'the contact to arrive',
    () => e2e.target.getByKey('contacts', { dvs_externalid: contact }),
    (r) => r !== undefined,
    e2e,
  );
  expect(arrived).toMatchObject({ firstname: 'Grace', lastname: 'Hopper', _parentcustomerid_value: targetParent!.accountid });
});

test('two-way routes: the engine tags its writes and each echo is skipped with the reason', async () => {
  const id = await e2e.source.create('accounts', { name: 'Echo AS', accountnumber: 'E2E-ECHO-1', telephone1: '111' });
  const inTarget = await waitFor(
    'the account to arrive',
    () => targetAccount(id),
    (r) => r !== undefined,
    e2e,
  );
  await settle(e2e);
  const targetId = String(inTarget!.accountid);
  // The engine's create in target raised a target event; no route acted on it (the reverse route takes Updates only).
  const editor = e2e.userAt('target', 'e2e-target-editor');
  await editor.update('accounts', targetId, { telephone1: '222' });
  await waitFor(
    'the phone edited in target to reach source',
    () => e2e.source.get('accounts', id, ['telephone1']),
    (r) => r?.telephone1 === '222',
    e2e,
  );
  await settle(e2e);

  // The reverse write (tagged) raised a source Update: delivered, answered 202, skipped as our own write.
  expect(deliveriesFor(e2e, 'source', id).map((d) => `${d.message} ${d.status}`)).toEqual(['Create 202', 'Update 202']);
  expect(e2e.logs.join('\n')).toMatch(/webhook\.skipped .*"route":"accounts-to-target".*own write \(tag \\"dvsync\\"\)/);
  // Nothing bounced back: the target still has the editor's value, written once by the editor.
  expect((await targetAccount(id))?.telephone1).toBe('222');
  expect(deliveriesFor(e2e, 'target', targetId).map((d) => d.message)).toEqual(['Update']);
  expect(await e2e.failures()).toEqual([]);
});

describe('npm run demo (dvsync demo)', () => {
  const cli = join(__dirname, '..', '..', 'dist', 'cli', 'dvsync.js');
  const runCli = (args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [cli, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.once('exit', (code) => resolve({ code, out }));
    });

  test('against the running stack, every step of the story holds and nothing fails', async () => {
    const settings = e2e.stack.functionsHost.settings;
    const { code, out } = await runCli([
      '--dataverse-url',
      e2e.stack.dataverse!.url(),
      '--storage',
      settings.AzureWebJobsStorage,
      '--servicebus',
      settings.ServiceBusConnection,
    ]);
    expect(out).toMatch(/Demo complete: (\d+)\/\1 checks held/);
    expect(out).toContain('✓ "[internal] Test" never arrives');
    expect(out).toContain("✓ Fabrikam's phone edited in target flows back to source, and stops there");
    expect(out).not.toContain('✗');
    expect(code).toBe(0);
  }, 60_000);

  test('without a stack it says what to start and exits 1; a bad flag exits 2', async () => {
    const unreachable = await runCli(['--dataverse-url', 'http://127.0.0.1:9', '--step-timeout', '1']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.out).toMatch(/cannot reach the emulated environments .* at http:\/\/127\.0\.0\.1:9.*\n.*npm start/);
    const bad = await runCli(['--step-timeout', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('--step-timeout "soon" must be a number of seconds');
  });
});
