import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSchema } from '../../../../../emulators/dataverse/schema/load';

const dir = mkdtempSync(path.join(tmpdir(), 'dv-schema-'));
const write = (name: string, content: unknown) => {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
};
const base = {
  environments: [{ name: 'e' }],
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
  ],
};

describe('schema file validation names the file, table and column', () => {
  it('loads the shipped default schema with two environments', () => {
    const loaded = loadSchema();
    expect(loaded.file.environments.map((e) => e.name)).toEqual(['source', 'target']);
    const contact = loaded.build().tables.get('contact')!;
    expect(contact.navigation.get('parentcustomerid_account')).toEqual({
      kind: 'single',
      name: 'parentcustomerid_account',
      column: 'parentcustomerid',
      target: 'account',
    });
  });

  it('reports a bad column type', () => {
    const file = write('badtype.json', {
      ...base,
      tables: [
        ...base.tables,
        { logicalName: 'thing', entitySetName: 'things', primaryId: 'thingid', columns: { name: { type: 'string' }, size: { type: 'huge' } } },
      ],
    });
    expect(() => loadSchema(file)).toThrow(new RegExp(`${file.replace(/[.\\/]/g, '\\$&')}: invalid schema: table "thing", column "size"`));
  });

  it('reports an unknown lookup target and a key on a missing column', () => {
    const lookup = write('lookup.json', {
      ...base,
      tables: [
        ...base.tables,
        {
          logicalName: 'thing',
          entitySetName: 'things',
          primaryId: 'thingid',
          columns: { name: { type: 'string' }, ownerx: { type: 'lookup', targets: ['nothing'] } },
        },
      ],
    });
    expect(() => loadSchema(lookup)).toThrow(`${lookup}: table "thing", column "ownerx": lookup target table "nothing" is not defined.`);
    const key = write('key.json', {
      ...base,
      tables: [
        ...base.tables,
        {
          logicalName: 'thing',
          entitySetName: 'things',
          primaryId: 'thingid',
          columns: { name: { type: 'string' } },
          keys: [{ name: 'k', columns: ['code'] }],
        },
      ],
    });
    expect(() => loadSchema(key)).toThrow(`${key}: table "thing", key "k": column "code" does not exist.`);
  });

  it('reports unreadable and non-JSON files', () => {
    expect(() => loadSchema(path.join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read the schema file/);
    expect(() => loadSchema(write('broken.json', '{ nope'))).toThrow(/broken\.json: not valid JSON/);
  });
});
