import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { client, idFromEntityId, start } from './helpers';
import type { DataverseEmulator } from '../../../../../emulators/dataverse';

// A schema with composite, integer and lookup alternate keys (Learn: use-alternate-key-reference-record).
const schema = {
  environments: [{ name: 'keys' }],
  tables: [
    { logicalName: 'businessunit', entitySetName: 'businessunits', primaryId: 'businessunitid', ownership: 'None', columns: { name: { type: 'string' } } },
    {
      logicalName: 'systemuser',
      entitySetName: 'systemusers',
      primaryId: 'systemuserid',
      primaryName: 'fullname',
      ownership: 'None',
      columns: { fullname: { type: 'string' } },
    },
    { logicalName: 'account', entitySetName: 'accounts', primaryId: 'accountid', columns: { name: { type: 'string' } } },
    {
      logicalName: 'example_record',
      entitySetName: 'example_records',
      primaryId: 'example_recordid',
      columns: {
        name: { type: 'string' },
        example_key1: { type: 'int' },
        example_key2: { type: 'int' },
        example_code: { type: 'string', maxLength: 20 },
        example_accountid: { type: 'lookup', targets: ['account'] },
      },
      keys: [
        { name: 'pair', columns: ['example_key1', 'example_key2'] },
        { name: 'per_account', columns: ['example_accountid', 'example_code'] },
      ],
    },
  ],
};

let dv: DataverseEmulator;
let api: ReturnType<typeof client>;
beforeAll(async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dv-keys-')), 'schema.json');
  writeFileSync(file, JSON.stringify(schema));
  dv = await start({ schemaFile: file });
  api = client(dv.url('keys'));
});
afterAll(() => dv.close());

it('upserts by a composite integer key and echoes it in OData-EntityId (Learn: use-upsert-insert-update-record)', async () => {
  const r = await api.patch('example_records(example_key1=2,example_key2=2)', { name: 'two' });
  expect(r.status).toBe(204);
  expect(r.headers.get('odata-entityid')).toBe(`${dv.url('keys')}example_records(example_key1=2,example_key2=2)`);
  const got = await api.get('example_records(example_key2=2,example_key1=2)?$select=name,example_key1');
  expect(got.json).toMatchObject({ name: 'two', example_key1: 2 });
  expect((await api.get('example_records(example_key1=2)')).json!.error.code).toBe('0x80060890');
  expect((await api.get("example_records(example_key1='2',example_key2=2)")).status).toBe(400);
});

it('addresses a key that includes a lookup with _x_value=<guid> (Learn: use-alternate-key-reference-record)', async () => {
  const acc = idFromEntityId((await api.post('accounts', { name: 'a' })).headers);
  const path1 = `example_records(_example_accountid_value=${acc},example_code='C-1')`;
  expect((await api.patch(path1, { name: 'linked' })).status).toBe(204);
  const got = await api.get(`${path1}?$select=name,_example_accountid_value`);
  expect(got.json).toMatchObject({ name: 'linked', _example_accountid_value: acc });
});

it('refuses key values containing characters that break key addressing (Learn: define-alternate-keys-entity)', async () => {
  const acc = idFromEntityId((await api.post('accounts', { name: 'b' })).headers);
  const r = await api.get(`example_records(_example_accountid_value=${acc},example_code='a${encodeURIComponent('/')}b')`);
  expect(r.status).toBe(400);
  expect(r.json!.error.message).toContain('cannot use in alternate-key addressing');
});
