/** Helpers for comparing emitted RemoteExecutionContexts with the real fixtures, field by field. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseSchemaFile } from '../../../../../emulators/dataverse/schema/load';
import { buildSchema } from '../../../../../emulators/dataverse/schema/model';
import type { TableSpecInput } from '../../../../../emulators/dataverse/schema/spec';
import { Environment } from '../../../../../emulators/dataverse/store/environment';
import type { RequestContext, Row, WriteEvent } from '../../../../../emulators/dataverse/types';
import { defaultCostModel } from '../../../../../emulators/dataverse/cost';
import { WEBHOOK_FIXTURES_DIR } from '../../../../helpers/fixtures';

export const FIXTURES = WEBHOOK_FIXTURES_DIR;
export type J = any;

export function fixtureText(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}
export function fixture(name: string): J {
  return JSON.parse(fixtureText(name));
}

/** key/value array → Map */
export const kvMap = (arr: J[]): Map<string, J> => new Map(arr.map((x: J) => [x.key, x.value]));
export const kvKeys = (arr: J[]): string[] => arr.map((x: J) => x.key);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\/Date\(-?\d+\)\/$/;
const DATE_OFFSET = /^\/Date\(-?\d+[+-]\d{4}\)\/$/;

/** The wire shape of a value: kinds for primitives, key order and `__type` verbatim for objects. */
export function shape(v: J): J {
  if (v === null) return 'null';
  if (typeof v === 'string') return DATE.test(v) ? 'date' : DATE_OFFSET.test(v) ? 'date+offset' : GUID.test(v) ? 'guid' : 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (Array.isArray(v)) return v.map(shape);
  const out: J = {};
  for (const [k, x] of Object.entries(v)) out[k] = k === '__type' ? x : shape(x);
  return out;
}

/** A minimal schema: the given tables plus the systemuser/businessunit every schema needs. */
export function environmentWith(tables: TableSpecInput[], info: Partial<Environment['info']> = {}): Environment {
  const file = parseSchemaFile(
    {
      environments: [{ name: 'fx' }],
      tables: [
        { logicalName: 'businessunit', entitySetName: 'businessunits', primaryId: 'businessunitid', ownership: 'None', columns: { name: { type: 'string' } } },
        {
          logicalName: 'systemuser',
          entitySetName: 'systemusers',
          primaryId: 'systemuserid',
          primaryName: 'fullname',
          ownership: 'None',
          columns: { fullname: { type: 'string' }, azureactivedirectoryobjectid: { type: 'uniqueidentifier' } },
        },
        ...tables,
      ],
    },
    'fixture schema',
  );
  return new Environment(
    {
      name: 'fx',
      uniqueName: 'orgfx',
      organizationId: '0ba4ce62-d2d6-4681-bc25-b3bfb695d4d6',
      friendlyName: 'fx',
      businessUnitId: 'c3ec0cc2-d836-eb11-bf68-0022489b563d',
      ...info,
    },
    buildSchema(file, 'fixture schema'),
  );
}

export function quietContext(env: Environment, userId: string): RequestContext {
  return {
    env,
    user: { systemUserId: userId, principal: 'p', name: 'n' },
    now: new Date(),
    bypassPlugins: false,
    suppressDuplicateDetection: true,
    correlationId: 'c',
    requestId: 'r',
    costMs: 0,
    writePath: 'single',
    costModel: defaultCostModel,
    timeScale: 1,
    operations: {},
    baseUrl: '',
    quiet: true,
  };
}

export function writeEvent(env: Environment, partial: Partial<WriteEvent> & Pick<WriteEvent, 'message' | 'table' | 'id'>): WriteEvent {
  return {
    changedColumns: [],
    versionNumber: 1,
    userId: '00000000-0000-0000-0000-000000000001',
    correlationId: 'aaaa0000-bb11-2222-33cc-444444dddddd',
    requestId: '3fab629b-b795-4834-a2ca-5a09b2cc6934',
    bypassCustomPluginExecution: false,
    operationTime: new Date(0),
    depth: 1,
    organizationId: env.info.organizationId,
    organizationName: env.info.uniqueName,
    businessUnitId: env.info.businessUnitId,
    ...partial,
  };
}

/** Fixture attribute value → stored column value (the inverse of the serializer, for building inputs from fixtures). */
export function storedValue(v: J): Row[string] {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'string' && DATE.test(v)) return new Date(Number(/\((-?\d+)\)/.exec(v)![1])).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return v;
  }
  if (Array.isArray(v)) return v.map((o: J) => o.Value);
  const t = String(v.__type).split(':')[0];
  if (t === 'EntityReference') return { id: v.Id, table: v.LogicalName };
  return v.Value;
}

export function rowFromAttributes(attrs: J[], skip: string[] = []): Row {
  const row: Row = {};
  for (const a of attrs) if (!skip.includes(a.key)) row[a.key] = storedValue(a.value);
  return row;
}
