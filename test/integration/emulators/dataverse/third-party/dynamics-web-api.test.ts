/**
 * Conformance with a Web API client written by others against real Dataverse: the npm package
 * `dynamics-web-api` (AleksandrRogov/DynamicsWebApi), used unmodified with its serverUrl pointed at the
 * emulator. Every expectation below is what the library returns against real Dataverse, given the
 * documented wire behaviour (the documenting Learn page in each test name: `Learn: <slug>` is
 * https://learn.microsoft.com/power-apps/developer/data-platform/<slug>).
 */
import { DynamicsWebApi } from 'dynamics-web-api';
import { startDataverseEmulator, type DataverseEmulator } from '../../../../../emulators/dataverse';

/** Rows as the library returns them: the columns plus annotations (`@odata.etag`, `_x_value_Formatted`, …). */

type Row = Record<string, any>;

let dv: DataverseEmulator;
let api: DynamicsWebApi;
let strictApi: DynamicsWebApi;

/** The environment root as a real org URL would be given: `https://<org>.crm.dynamics.com/`. */
const serverUrlOf = (webApiUrl: string): string => webApiUrl.replace(/api\/data\/v9\.2\/$/, '');

beforeAll(async () => {
  dv = await startDataverseEmulator({ port: 0, timeScale: 0.0001 });
  const config = { serverUrl: serverUrlOf(dv.url('target')), onTokenRefresh: async () => 'third-party-client' };
  api = new DynamicsWebApi(config);
  // 2.5.0's propagateErrors stops the library from turning upsert 412/404 into null (its `src/requests/upsert.ts`).
  strictApi = new DynamicsWebApi({ ...config, propagateErrors: true });
});
afterAll(() => dv.close());

interface RequestError {
  status?: number;
  code?: string;
  message: string;
}
const failure = async (p: Promise<unknown>): Promise<RequestError> => {
  try {
    await p;
  } catch (e) {
    return e as RequestError;
  }
  throw new Error('expected the call to fail');
};

describe('dynamics-web-api against the emulator: single rows', () => {
  it('creates without a body (GUID from OData-EntityId) and with return=representation (Learn: webapi/create-entity-web-api)', async () => {
    const id = await api.create<Row, string>({ collection: 'accounts', data: { name: 'DWA plain' } });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const rep = await api.create<Row>({
      collection: 'accounts',
      data: { name: 'DWA rep', numberofemployees: 12 },
      returnRepresentation: true,
      select: ['name', 'numberofemployees'],
    });
    expect(rep.name).toBe('DWA rep');
    expect(rep.numberofemployees).toBe(12);
    expect(rep['@odata.etag']).toMatch(/^W\/"\d+"$/);
    expect(rep.accountid).toMatch(/^[0-9a-f-]{36}$/);
    expect(rep.oDataContext).toContain('$metadata#accounts(name,numberofemployees,accountid)/$entity');

    const read = await api.retrieve({ collection: 'accounts', key: id, select: ['name'] });
    expect(read).toMatchObject({ name: 'DWA plain', accountid: id });
  });

  it('retrieves by alternate key, with formatted values when asked (Learn: use-alternate-key-reference-record)', async () => {
    await api.create<Row>({ collection: 'accounts', data: { name: 'Keyed', accountnumber: 'DWA-K1', numberofemployees: 1500, creditonhold: true } });
    const row = await api.retrieve({
      collection: 'accounts',
      key: "accountnumber='DWA-K1'",
      select: ['name', 'numberofemployees', 'creditonhold'],
      includeAnnotations: 'OData.Community.Display.V1.FormattedValue',
    });
    expect(row.name).toBe('Keyed');
    expect(row.numberofemployees_Formatted).toBe('1,500');
    expect(row.creditonhold_Formatted).toBe('Yes');
  });

  it('upserts by alternate key: create then update, 204 without a GUID, so the library resolves undefined (Learn: use-upsert-insert-update-record)', async () => {
    const created = await api.upsert<Row>({ collection: 'accounts', key: "accountnumber='DWA-U1'", data: { name: 'Upsert v1' } });
    expect(created).toBeUndefined();
    const updated = await api.upsert<Row>({ collection: 'accounts', key: "accountnumber='DWA-U1'", data: { name: 'Upsert v2' } });
    expect(updated).toBeUndefined();
    const rows = await api.retrieveMultiple({ collection: 'accounts', filter: "accountnumber eq 'DWA-U1'", select: ['name'] });
    expect(rows.value.map((r) => r.name)).toEqual(['Upsert v2']);
  });

  it('upsert with return=representation answers 201 on create and 200 on update with the row (Learn: use-upsert-insert-update-record)', async () => {
    const first = await api.upsert<Row>({
      collection: 'accounts',
      key: "accountnumber='DWA-U2'",
      data: { name: 'Rep v1' },
      returnRepresentation: true,
      select: ['name', 'accountnumber'],
    });
    expect(first).toMatchObject({ name: 'Rep v1', accountnumber: 'DWA-U2' });
    const second = await api.upsert<Row>({
      collection: 'accounts',
      key: "accountnumber='DWA-U2'",
      data: { name: 'Rep v2' },
      returnRepresentation: true,
      select: ['name'],
    });
    expect(second.name).toBe('Rep v2');
    expect(second.accountid).toBe(first.accountid);
    expect(second['@odata.etag']).not.toBe(first['@odata.etag']);
  });

  it('If-None-Match: * is create-only: 412 0x80040237 on an existing row (null from the legacy wrapper) (Learn: webapi/perform-conditional-operations-using-web-api)', async () => {
    await api.upsert<Row>({ collection: 'accounts', key: "accountnumber='DWA-U3'", data: { name: 'Exists' } });
    await expect(api.upsert<Row>({ collection: 'accounts', key: "accountnumber='DWA-U3'", data: { name: 'Again' }, ifnonematch: '*' })).resolves.toBeNull();
    const err = await failure(strictApi.upsert<Row>({ collection: 'accounts', key: "accountnumber='DWA-U3'", data: { name: 'Again' }, ifnonematch: '*' }));
    expect(err.status).toBe(412);
    expect(err.code).toBe('0x80040237');
    expect(err.message).toBe('A record with matching key values already exists.');
    const fresh = await api.upsert<Row>({
      collection: 'accounts',
      key: "accountnumber='DWA-U4'",
      data: { name: 'New' },
      ifnonematch: '*',
      returnRepresentation: true,
      select: ['name'],
    });
    expect(fresh.name).toBe('New');
  });

  it('If-Match: * is update-only: 404 0x80060891 for a missing alternate key (Learn: webapi/perform-conditional-operations-using-web-api)', async () => {
    await expect(api.upsert<Row>({ collection: 'accounts', key: "accountnumber='DWA-none'", data: { name: 'x' }, ifmatch: '*' })).resolves.toBeNull();
    const err = await failure(strictApi.upsert<Row>({ collection: 'accounts', key: "accountnumber='DWA-none'", data: { name: 'x' }, ifmatch: '*' }));
    expect(err.status).toBe(404);
    expect(err.code).toBe('0x80060891');
    expect(err.message).toBe('A record with the specified key values does not exist in account entity');
    const none = await api.retrieveMultiple({ collection: 'accounts', filter: "accountnumber eq 'DWA-none'" });
    expect(none.value).toEqual([]);
  });

  it('update sends If-Match: * (404 0x80040217 for a missing id), honours an etag (412 0x80060882 when stale), deletes (Learn: webapi/perform-conditional-operations-using-web-api)', async () => {
    const rep = await api.create<Row>({ collection: 'accounts', data: { name: 'To update' }, returnRepresentation: true, select: ['name'] });
    const id: string = rep.accountid;
    await api.update({ collection: 'accounts', key: id, data: { telephone1: '555-0100' } });
    const after = await api.retrieve({ collection: 'accounts', key: id, select: ['name', 'telephone1'] });
    expect(after).toMatchObject({ name: 'To update', telephone1: '555-0100' });

    const missing = await failure(api.update({ collection: 'accounts', key: '00000000-0000-0000-0000-00000000abcd', data: { name: 'x' } }));
    expect(missing.status).toBe(404);
    expect(missing.code).toBe('0x80040217');

    // The legacy wrapper answers a stale etag with false; propagateErrors shows the 412.
    await expect(api.update({ collection: 'accounts', key: id, data: { name: 'stale' }, ifmatch: rep['@odata.etag'] })).resolves.toBe(false);
    const stale = await failure(strictApi.update({ collection: 'accounts', key: id, data: { name: 'stale' }, ifmatch: rep['@odata.etag'] }));
    expect(stale.status).toBe(412);
    expect(stale.code).toBe('0x80060882');
    await expect(api.update({ collection: 'accounts', key: id, data: { name: 'fresh' }, ifmatch: after['@odata.etag'] })).resolves.toBe(true);

    await api.deleteRecord({ collection: 'accounts', key: id });
    const gone = await failure(api.retrieve({ collection: 'accounts', key: id }));
    expect(gone.status).toBe(404);
    expect(gone.code).toBe('0x80040217');
  });

  it('sets lookups with @odata.bind by GUID and by alternate key, and clears them with null (Learn: webapi/associate-disassociate-entities-using-web-api)', async () => {
    const accountId = await api.create<Row, string>({ collection: 'accounts', data: { name: 'Parent', accountnumber: 'DWA-P1' } });
    const contact = await api.create<Row>({
      collection: 'contacts',
      data: { lastname: 'Bound', 'parentcustomerid_account@odata.bind': `accounts(${accountId})` },
      returnRepresentation: true,
      select: ['lastname', '_parentcustomerid_value'],
      includeAnnotations: '*',
    });
    expect(contact._parentcustomerid_value).toBe(accountId);
    expect(contact._parentcustomerid_value_LogicalName).toBe('account');
    expect(contact._parentcustomerid_value_NavigationProperty).toBe('parentcustomerid_account');
    expect(contact._parentcustomerid_value_Formatted).toBe('Parent');

    const byKey = await api.create<Row>({
      collection: 'contacts',
      data: { lastname: 'ByKey', 'parentcustomerid_account@odata.bind': "/accounts(accountnumber='DWA-P1')" },
      returnRepresentation: true,
      select: ['_parentcustomerid_value'],
    });
    expect(byKey._parentcustomerid_value).toBe(accountId);

    await api.update({ collection: 'contacts', key: byKey.contactid, data: { 'parentcustomerid_account@odata.bind': null } });
    const cleared = await api.retrieve({ collection: 'contacts', key: byKey.contactid, select: ['_parentcustomerid_value'] });
    expect(cleared._parentcustomerid_value).toBeNull();

    const missing = await failure(
      api.create<Row>({ collection: 'contacts', data: { lastname: 'x', 'parentcustomerid_account@odata.bind': "/accounts(accountnumber='DWA-nobody')" } }),
    );
    expect(missing.status).toBe(404);
    expect(missing.code).toBe('0x80060891');
  });
});

describe('dynamics-web-api against the emulator: $batch (Learn: webapi/execute-batch-operations-using-web-api)', () => {
  it('runs a change set (LF line endings, Content-IDs from 100001, $n references) and a GET outside it', async () => {
    // One instance per batch: the library keeps batch state per instance (its `startBatch`/`executeBatch`).
    const batchApi = api.initializeInstance();
    batchApi.startBatch();
    batchApi.create({ collection: 'accounts', data: { name: 'Batch parent' }, contentId: '1' });
    batchApi.create({ collection: 'contacts', data: { lastname: 'Batch child', 'parentcustomerid_account@odata.bind': '$1' } });
    batchApi.upsert({ collection: 'accounts', key: "accountnumber='DWA-B1'", data: { name: 'Batch upsert' } });
    batchApi.retrieveMultiple({ collection: 'accounts', filter: "name eq 'Batch parent'", select: ['name'] });
    const results = await batchApi.executeBatch();
    expect(results).toHaveLength(4);
    const [parentId, childId, upserted, query] = results;
    expect(parentId).toMatch(/^[0-9a-f-]{36}$/);
    expect(childId).toMatch(/^[0-9a-f-]{36}$/);
    expect(upserted).toBeUndefined(); // alternate-key OData-EntityId carries no GUID (Learn: use-upsert-insert-update-record)
    expect(query.value.map((r: any) => r.name)).toEqual(['Batch parent']);
    const child = await api.retrieve({ collection: 'contacts', key: childId, select: ['_parentcustomerid_value'] });
    expect(child._parentcustomerid_value).toBe(parentId);
  });

  it('rolls back the whole change set when one operation fails, and reports only that failure (MicrosoftDocs/powerapps-docs issue #2843)', async () => {
    const batchApi = api.initializeInstance();
    batchApi.startBatch();
    batchApi.create({ collection: 'accounts', data: { name: 'Rolled back' } });
    batchApi.create({ collection: 'accounts', data: { name: 'Bad', nosuchcolumn: 1 } });
    // The outer status is the failure's (400), so the library rejects with the parsed parts.
    // Batch parts keep the envelope as parsed: { error: { code, message }, status, headers }.
    const parts = (await failure(batchApi.executeBatch())) as unknown as Array<{ status: number; error: RequestError; headers: Record<string, string> }>;
    expect(parts).toHaveLength(1);
    expect(parts[0].status).toBe(400);
    expect(parts[0].error.code).toBe('0x80048d19');
    expect(parts[0].error.message).toContain("Invalid property 'nosuchcolumn'");
    expect(parts[0].headers.req_id).toMatch(/^[0-9a-f-]{36}$/);
    const found = await api.retrieveMultiple({ collection: 'accounts', filter: "name eq 'Rolled back'" });
    expect(found.value).toEqual([]);
  });

  it('with continueOnError later parts still run and failures come back as errors in the result array', async () => {
    const batchApi = api.initializeInstance();
    batchApi.startBatch();
    batchApi.create({ collection: 'accounts', data: { name: 'COE bad', nosuchcolumn: 1 }, inChangeSet: false });
    batchApi.create({ collection: 'accounts', data: { name: 'COE good' }, inChangeSet: false });
    const results = await batchApi.executeBatch({ continueOnError: true });
    expect(results).toHaveLength(2);
    expect(results[0]).toBeInstanceOf(Error);
    expect(results[0].status).toBe(400);
    expect(results[1]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('dynamics-web-api against the emulator: paging and change tracking (Learn: webapi/query/page-results, use-change-tracking-synchronize-data-external-systems)', () => {
  beforeAll(async () => {
    const batchApi = api.initializeInstance();
    batchApi.startBatch();
    for (let i = 0; i < 7; i++) batchApi.create({ collection: 'leads', data: { subject: `Page ${i}`, lastname: `L${i}` } });
    await batchApi.executeBatch();
  });

  it('pages with maxPageSize and the nextLink, and retrieveAll follows every page', async () => {
    const first = await api.retrieveMultiple({ collection: 'leads', select: ['subject'], maxPageSize: 3 });
    expect(first.value).toHaveLength(3);
    expect(first.oDataNextLink).toContain('$skiptoken=');
    const second = await api.retrieveMultiple({ collection: 'leads', select: ['subject'], maxPageSize: 3 }, first.oDataNextLink);
    expect(second.value).toHaveLength(3);
    const all = await api.retrieveAll({ collection: 'leads', select: ['subject'], maxPageSize: 3 });
    expect(all.value.map((r) => r.subject).sort()).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `Page ${i}`));
    expect(new Set([...first.value, ...second.value].map((r) => r.leadid)).size).toBe(6);
  });

  it('tracks changes: delta link, then changed rows and $deletedEntity entries', async () => {
    const initial = await api.retrieveAll({ collection: 'leads', select: ['subject'], trackChanges: true, maxPageSize: 4 });
    expect(initial.value).toHaveLength(7);
    expect(initial.oDataDeltaLink).toContain('$deltatoken=');

    const [changed, deleted] = [initial.value[0].leadid, initial.value[1].leadid];
    await api.update({ collection: 'leads', key: changed, data: { subject: 'Changed' } });
    await api.deleteRecord({ collection: 'leads', key: deleted });
    const added = await api.create<Row>({ collection: 'leads', data: { subject: 'Added' } });

    const delta = await api.retrieveMultiple({ collection: 'leads', select: ['subject'] }, initial.oDataDeltaLink);
    expect(delta.value.filter((r) => r.subject !== undefined).map((r) => [r.leadid, r.subject])).toEqual([
      [changed, 'Changed'],
      [added, 'Added'],
    ]);
    expect(delta.value.filter((r) => r.reason === 'deleted').map((r) => r.id)).toEqual([deleted]);
    expect(delta.oDataDeltaLink).toContain('$deltatoken=');
    const empty = await api.retrieveMultiple({ collection: 'leads', select: ['subject'] }, delta.oDataDeltaLink);
    expect(empty.value).toEqual([]);
  });

  it('refuses FetchXML with 501 and a message naming the OData alternative (not supported by the emulator)', async () => {
    const err = await failure(api.fetch({ collection: 'leads', fetchXml: '<fetch><entity name="lead"><attribute name="subject" /></entity></fetch>' }));
    expect(err.status).toBe(501);
    expect(err.message).toContain('does not support FetchXML');
  });

  it('refuses single-property URLs (updateSingleProperty) with 404 naming the segment (not supported by the emulator)', async () => {
    const id = await api.create<Row, string>({ collection: 'leads', data: { subject: 'Single' } });
    const err = await failure(api.updateSingleProperty({ collection: 'leads', key: id, fieldValuePair: { subject: 'Changed' } }));
    expect(err.status).toBe(404);
    expect(err.code).toBe('0x8006088a');
    expect(err.message).toContain("segment 'subject'");
    expect((await api.retrieve({ collection: 'leads', key: id, select: ['subject'] })).subject).toBe('Single');
  });

  it('counts with $count and the /$count segment', async () => {
    const counted = await api.retrieveMultiple({ collection: 'leads', count: true, select: ['subject'], filter: "startswith(subject,'Page')" });
    expect(counted.oDataCount).toBe(counted.value.length);
    await expect(api.count({ collection: 'leads' })).resolves.toBe((await api.retrieveAll({ collection: 'leads', select: ['subject'] })).value.length);
  });
});
