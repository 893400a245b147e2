/**
 * Table metadata: `EntityDefinitions`, `EntityDefinitions(LogicalName='x')`, `…/Keys`, with
 * `$select` and `$expand=Keys($select=…)` (Learn: define-alternate-keys-entity "To list keys"; Learn: use-change-tracking-synchronize-data-external-systems).
 */
import { createHash } from 'node:crypto';
import { charge } from './cost';
import { DvError, dvErrors } from './errors';
import { parsePath } from './path';
import { JSON_CONTENT_TYPE } from './prefer';
import type { KeyDef, TableDef } from './schema/model';
import type { DvResponse, Handler } from './types';

/** Stable GUID for a metadata item (same name → same id across restarts). */
export function metadataId(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const label = (text: string) => ({ LocalizedLabels: [{ Label: text, LanguageCode: 1033 }], UserLocalizedLabel: { Label: text, LanguageCode: 1033 } });

function keyMetadata(table: TableDef, k: KeyDef): Record<string, unknown> {
  return {
    MetadataId: metadataId(`${table.logicalName}/key/${k.name}`),
    LogicalName: k.name.toLowerCase(),
    SchemaName: k.name,
    EntityLogicalName: table.logicalName,
    KeyAttributes: k.columns,
    EntityKeyIndexStatus: k.status,
    AsyncJob: null,
    IsManaged: false,
    IsCustomizable: { Value: true, CanBeChanged: true, ManagedPropertyLogicalName: 'iscustomizable' },
    DisplayName: label(k.name),
  };
}

function entityMetadata(table: TableDef): Record<string, unknown> {
  return {
    MetadataId: metadataId(table.logicalName),
    LogicalName: table.logicalName,
    SchemaName: table.schemaName,
    EntitySetName: table.entitySetName,
    LogicalCollectionName: table.entitySetName,
    PrimaryIdAttribute: table.primaryId,
    PrimaryNameAttribute: table.primaryName,
    ObjectTypeCode: table.objectTypeCode,
    OwnershipType: table.ownership,
    TableType: table.tableType,
    ChangeTrackingEnabled: table.changeTracking,
    CanChangeTrackingBeEnabled: { Value: true, CanBeChanged: true, ManagedPropertyLogicalName: 'canchangetrackingbeenabled' },
    IsOptimisticConcurrencyEnabled: true,
    IsCustomEntity: table.logicalName.includes('_'),
    DisplayName: label(table.schemaName),
  };
}

function pick(obj: Record<string, unknown>, select: string[] | undefined, type: string): Record<string, unknown> {
  if (!select) return obj;
  const out: Record<string, unknown> = {};
  for (const p of select) {
    if (!(p in obj)) throw dvErrors.unknownSelectProperty(p, type);
    out[p] = obj[p];
  }
  return out;
}

const splitList = (s: string | null): string[] | undefined =>
  s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : undefined;

/** `$expand=Keys` or `$expand=Keys($select=KeyAttributes,LogicalName)` → the key $select (or all). */
function parseExpand(raw: string | null): { keys: boolean; keySelect?: string[] } {
  if (!raw) return { keys: false };
  const m = /^\s*Keys\s*(?:\(\s*\$select=([^)]*)\))?\s*$/.exec(raw);
  if (!m)
    throw new DvError(
      400,
      '0x0',
      `Could not find a property named '${raw.split('(')[0].trim()}' on type 'Microsoft.Dynamics.CRM.EntityMetadata'. The emulator expands only 'Keys'.`,
    );
  return { keys: true, keySelect: splitList(m[1] ?? null) };
}

export const metadataHandler: Handler = async (req, ctx) => {
  const segs = parsePath(req.path);
  if (segs[0]?.name !== 'EntityDefinitions') return undefined;
  if (req.method !== 'GET') throw dvErrors.noHttpResource(`${ctx.baseUrl}${req.path}`);
  charge(ctx, 'metadata');
  const select = splitList(req.query.get('$select'));
  const expand = parseExpand(req.query.get('$expand'));
  const entity = (t: TableDef): Record<string, unknown> => {
    const e = pick(entityMetadata(t), select, 'EntityMetadata');
    if (expand.keys) e.Keys = t.keys.map((k) => pick(keyMetadata(t, k), expand.keySelect, 'EntityKeyMetadata'));
    return e;
  };
  const base = `${ctx.baseUrl}$metadata#EntityDefinitions`;
  const sel = select ? `(${select.join(',')}${expand.keys ? ',Keys' : ''})` : '';
  if (segs.length === 1 && !segs[0].key) {
    const value = [...ctx.env.schema.tables.values()].map(entity);
    return json({ '@odata.context': `${base}${sel}`, value });
  }
  const table = findTable(ctx.env.schema.tables.values(), segs[0]);
  if (segs.length === 1) return json({ '@odata.context': `${base}${sel}/$entity`, ...entity(table) });
  if (segs.length === 2 && segs[1].name === 'Keys' && !segs[1].key) {
    const keySelect = select;
    return json({
      '@odata.context': `${base}('${table.logicalName}')/Keys`,
      value: table.keys.map((k) => pick(keyMetadata(table, k), keySelect, 'EntityKeyMetadata')),
    });
  }
  throw dvErrors.resourceNotFound(segs[1].name);
};

function findTable(tables: Iterable<TableDef>, seg: ReturnType<typeof parsePath>[number]): TableDef {
  const key = seg.key!;
  for (const t of tables) {
    if (key.kind === 'value' && key.value.type === 'guid' && metadataId(t.logicalName) === key.value.value) return t;
    if (
      key.kind === 'named' &&
      key.pairs.length === 1 &&
      key.pairs[0][0] === 'LogicalName' &&
      key.pairs[0][1].type === 'string' &&
      key.pairs[0][1].value === t.logicalName
    )
      return t;
  }
  if (key.kind === 'named' && key.pairs[0]?.[0] === 'LogicalName' && key.pairs[0][1].type === 'string') {
    throw new DvError(404, '0x80040217', `Could not find entity with logical name '${key.pairs[0][1].value}'.`);
  }
  throw new DvError(
    404,
    '0x80040217',
    `Could not find an entity matching ${seg.rawKey}; address it as EntityDefinitions(LogicalName='<logical name>') or by MetadataId.`,
  );
}

function json(body: unknown): DvResponse {
  return { status: 200, headers: { 'content-type': JSON_CONTENT_TYPE }, body: JSON.stringify(body) };
}
