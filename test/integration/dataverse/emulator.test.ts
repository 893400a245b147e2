/** The client against the Dataverse emulator on a free port (two independent implementations of the protocol). */
import { startDataverseEmulator, type DataverseEmulator } from '../../../emulators/dataverse';
import { DataverseClient } from '../../../shared/dataverse/client';
import { DataverseError } from '../../../shared/dataverse/errors';
import { bindValue } from '../../../shared/dataverse/keys';
import { staticTokenProvider } from '../../../shared/dataverse/auth';
import { ThrottleLane } from '../../../shared/throttle/lane';

let dv: DataverseEmulator;
let client: DataverseClient;

beforeAll(async () => {
  dv = await startDataverseEmulator({ port: 0, timeScale: 0.001 });
  client = new DataverseClient({ baseUrl: dv.url('target'), tokens: staticTokenProvider('app-user-1'), pageSize: 2 });
});
afterAll(async () => {
  await dv?.close();
});

describe('Dataverse client against the emulator', () => {
  it('creates a row and reads it back; responses carry x-ms-dop-hint', async () => {
    const created = await client.create('accounts', { name: 'Contoso', accountnumber: 'C-1' });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.meta.dopHint).toBeGreaterThanOrEqual(1);
    const { row, etag } = await client.retrieve('accounts', created.id as string, { select: ['name'] });
    expect(row.name).toBe('Contoso');
    expect(etag).toMatch(/^W\/"/);
  });

  it('upserts by alternate key with quotes in the value (204, OData-EntityId in key form), then updates the same row', async () => {
    const first = await client.upsert('accounts', { accountnumber: "O'Brien 1" }, { name: 'First' });
    expect(first.meta.status).toBe(204);
    expect(first.entityUrl).toContain('accountnumber=');
    await client.upsert('accounts', { accountnumber: "O'Brien 1" }, { name: 'Second' });
    const { row } = await client.retrieve('accounts', { accountnumber: "O'Brien 1" }, { select: ['name', 'accountnumber'] });
    expect(row).toMatchObject({ name: 'Second', accountnumber: "O'Brien 1" });
    const rep = await client.upsert('accounts', { accountnumber: 'REP-1' }, { name: 'Rep' }, { returnRepresentation: ['accountid'] });
    expect(rep.created).toBe(true);
    expect(rep.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('update-only (If-Match: *) on a missing row is notFound; create-only on an existing one is duplicateKey', async () => {
    const missing = await client.update('accounts', { accountnumber: 'NOPE-1' }, { name: 'x' }).catch((e) => e);
    expect(missing).toBeInstanceOf(DataverseError);
    expect(missing).toMatchObject({ kind: 'notFound', status: 404, retryable: false });
    await client.upsert('accounts', { accountnumber: 'DUP-1' }, { name: 'x' });
    const dup = await client.upsert('accounts', { accountnumber: 'DUP-1' }, { name: 'y' }, { mode: 'createOnly' }).catch((e) => e);
    expect(dup).toMatchObject({ kind: 'duplicateKey', status: 412 });
  });

  it('binds a lookup by alternate key, and a missing parent is notFound', async () => {
    await client.upsert('contacts', { dvs_externalid: 'P-1' }, { lastname: 'Parent' });
    await client.upsert(
      'accounts',
      { accountnumber: 'CHILD-1' },
      { name: 'Child', 'primarycontactid@odata.bind': bindValue('contacts', { dvs_externalid: 'P-1' }) },
    );
    const { row } = await client.retrieve('accounts', { accountnumber: 'CHILD-1' }, { select: ['_primarycontactid_value'] });
    expect(row._primarycontactid_value).toMatch(/^[0-9a-f-]{36}$/);
    const orphan = await client
      .upsert('accounts', { accountnumber: 'CHILD-2' }, { name: 'Orphan', 'primarycontactid@odata.bind': bindValue('contacts', { dvs_externalid: 'MISSING' }) })
      .catch((e) => e);
    expect(orphan).toMatchObject({ kind: 'notFound', code: '0x80060891' });
  });

  it('runs a $batch change set atomically and reports per-operation outcomes', async () => {
    const ok = await client.batch([
      {
        changeSet: [
          { method: 'POST', url: 'contacts', body: { lastname: 'Batch' } },
          { method: 'PATCH', url: "accounts(accountnumber='B-1')", body: { name: 'B1' } },
        ],
      },
      { method: 'GET', url: "accounts(accountnumber='B-1')?$select=name" },
    ]);
    expect(ok.outcomes.map((o) => o.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const failed = await client.batch(
      [
        {
          changeSet: [
            { method: 'PATCH', url: "accounts(accountnumber='B-2')", body: { name: 'rolled back' } },
            { method: 'PATCH', url: "accounts(accountnumber='NOPE-2')", headers: { 'If-Match': '*' }, body: { name: 'x' } },
          ],
        },
        { method: 'PATCH', url: "accounts(accountnumber='B-3')", body: { name: 'after' } },
      ],
      { continueOnError: true },
    );
    expect(failed.outcomes.map((o) => o.state)).toEqual(['rolledBack', 'failed', 'succeeded']);
    const gone = await client.retrieve('accounts', { accountnumber: 'B-2' }).catch((e) => e);
    expect(gone).toMatchObject({ kind: 'notFound' });
  });

  it('UpsertMultiple by alternate key through @odata.id', async () => {
    const result = await client.upsertMultiple({ entitySet: 'accounts', logicalName: 'account' }, [
      { key: { accountnumber: 'UM-1' }, body: { name: 'Bulk 1', accountnumber: 'UM-1' } },
      { key: { accountnumber: 'UM-2' }, body: { name: 'Bulk 2' } },
    ]);
    expect(result.meta.status).toBe(204);
    const { row } = await client.retrieve('accounts', { accountnumber: 'UM-2' }, { select: ['name'] });
    expect(row.name).toBe('Bulk 2');
  });

  it('pages a query by following @odata.nextLink', async () => {
    for (const n of [1, 2, 3, 4, 5]) await client.create('leads', { subject: `Page ${n}` });
    const pages = [];
    for await (const page of client.queryPages('leads', { select: ['subject'], filter: "startswith(subject,'Page')" })) pages.push(page);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.flatMap((p) => p.rows.map((r) => r.subject)).sort()).toEqual(['Page 1', 'Page 2', 'Page 3', 'Page 4', 'Page 5']);
  });

  it('tracks changes: full read with a delta link, then only the changes and deletions', async () => {
    let deltaLink: string | undefined;
    const firstIds: string[] = [];
    for await (const page of client.changes('contacts', { select: ['lastname'] })) {
      for (const c of page.changes) if (c.type === 'upsert') firstIds.push(String(c.row.contactid));
      deltaLink = page.deltaLink ?? deltaLink;
    }
    expect(deltaLink).toBeDefined();
    const fresh = await client.create('contacts', { lastname: 'Delta' });
    await client.delete('contacts', firstIds[0]);
    const changes = [];
    let next: string | undefined;
    for await (const page of client.changes('contacts', { deltaLink })) {
      changes.push(...page.changes);
      next = page.deltaLink ?? next;
    }
    expect(changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'upsert', row: expect.objectContaining({ contactid: fresh.id }) }),
        { type: 'delete', id: firstIds[0] },
      ]),
    );
    expect(next).toBeDefined();
  });

  it('change pages expose nextLink; a read resumed from a saved nextLink continues without gaps or repeats', async () => {
    for (const n of [1, 2, 3, 4, 5]) await client.create('leads', { subject: `Track ${n}` });
    const all: string[] = [];
    const links: string[] = [];
    for await (const page of client.changes('leads', { select: ['subject'] })) {
      for (const c of page.changes) if (c.type === 'upsert') all.push(String(c.row.leadid));
      if (page.nextLink) links.push(page.nextLink);
      expect(page.nextLink === undefined).toBe(page.deltaLink !== undefined); // exactly one of them per page
    }
    expect(links.length).toBeGreaterThanOrEqual(2);
    // Stop after the first page, as a crashed pass would, and resume from its nextLink.
    const firstPage: string[] = [];
    for await (const page of client.changes('leads', { select: ['subject'] })) {
      for (const c of page.changes) if (c.type === 'upsert') firstPage.push(String(c.row.leadid));
      break;
    }
    const rest: string[] = [];
    let deltaLink: string | undefined;
    for await (const page of client.changes('leads', { nextLink: links[0] })) {
      for (const c of page.changes) if (c.type === 'upsert') rest.push(String(c.row.leadid));
      deltaLink = page.deltaLink ?? deltaLink;
    }
    expect([...firstPage, ...rest]).toEqual(all);
    expect(deltaLink).toContain('$deltatoken=');
  });

  it('lookupLogicalNames asks for the lookuplogicalname annotation, naming the table of a polymorphic lookup', async () => {
    const account = await client.create('accounts', { name: 'Parent for annotations' });
    const contact = await client.create('contacts', { lastname: 'Annotated', 'parentcustomerid_account@odata.bind': `/accounts(${account.id})` });
    const find = async (lookupLogicalNames: boolean) => {
      for await (const page of client.changes('contacts', { select: ['lastname', '_parentcustomerid_value'], lookupLogicalNames })) {
        for (const c of page.changes) if (c.type === 'upsert' && c.row.contactid === contact.id) return c.row;
      }
      throw new Error('contact not in the change pages');
    };
    const plain = await find(false);
    expect(plain._parentcustomerid_value).toBe(account.id);
    expect(plain['_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname']).toBeUndefined();
    const annotated = await find(true);
    expect(annotated['_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname']).toBe('account');
  });

  it('getTableInfo reads entity set, primary id and keys with their status (cached)', async () => {
    const info = await client.getTableInfo('account');
    expect(info).toMatchObject({ entitySet: 'accounts', primaryId: 'accountid' });
    expect(info.keys.find((k) => k.columns.join() === 'accountnumber')?.status).toBe('Active');
    expect(await client.getTableInfo('account')).toBe(info);
  });

  it('a 429 with Retry-After is absorbed by the throttle lane: it pauses, then the call succeeds', async () => {
    // Model seconds at timeScale 0.001: a 2 s storm, and a Retry-After (2.5 s) that outlasts it, so exactly the
    // first call is refused however slow a loaded CI machine is, and the lane's single pause ends the storm.
    const lane = new ThrottleLane('target/app-user-2');
    const res = await fetch(`${dv.operatorUrl}config`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ faults: { throttleStormSeconds: 2000, throttleStormRetryAfterSeconds: 2500 } }),
    });
    expect(res.status).toBe(200);
    const statuses: number[] = [];
    const probe = new DataverseClient({
      baseUrl: dv.url('target'),
      tokens: staticTokenProvider('app-user-2'),
      onResponse: (m) => {
        statuses.push(m.status);
        lane.observe(m);
      },
    });
    const result = await lane.run(() => probe.create('accounts', { name: 'After storm' }));
    expect(statuses[0]).toBe(429);
    expect(statuses.at(-1)).toBe(204);
    expect(result.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lane.snapshot().limit).toBeLessThan(4);
  });
});
