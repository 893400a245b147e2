/** The resolved schema: tables with system columns added and navigation properties indexed. */
import type { ColumnSpec, KeySpec, RelationshipSpec, SchemaFile, TableSpec } from './spec';

export type ColumnDef = ColumnSpec & { logicalName: string; /** set by the server, not writable */ readOnly?: boolean };
export type LookupColumnDef = Extract<ColumnDef, { targets: string[] }>;

export type NavigationDef =
  | { kind: 'single'; name: string; column: string; target: string }
  | { kind: 'oneToMany'; name: string; relatedTable: string; relatedColumn: string }
  | { kind: 'manyToMany'; name: string; relationship: string; relatedTable: string };

export interface KeyDef extends KeySpec {
  /** Mutable at runtime (fault injection, operator endpoint). */
  status: KeySpec['status'];
}

export interface TableDef extends Omit<TableSpec, 'columns' | 'keys'> {
  schemaName: string;
  primaryName: string;
  objectTypeCode: number;
  columns: Map<string, ColumnDef>;
  keys: KeyDef[];
  /** navigation property name (case-sensitive) → definition */
  navigation: Map<string, NavigationDef>;
}

export interface Schema {
  tables: Map<string, TableDef>;
  bySet: Map<string, TableDef>;
  relationships: Map<string, RelationshipSpec>;
}

export class SchemaError extends Error {}

const KEY_TYPES = new Set(['string', 'int', 'decimal', 'datetime', 'lookup', 'customer', 'owner', 'choice']);

function systemColumns(t: TableSpec): Record<string, ColumnSpec & { readOnly?: boolean }> {
  const userLookup = (): ColumnSpec => ({ type: 'lookup', targets: ['systemuser'] });
  const cols: Record<string, ColumnSpec & { readOnly?: boolean }> = {
    [t.primaryId]: { type: 'uniqueidentifier' },
    createdon: { type: 'datetime', dateOnly: false, readOnly: true },
    modifiedon: { type: 'datetime', dateOnly: false, readOnly: true },
    createdby: { ...userLookup(), readOnly: true },
    modifiedby: { ...userLookup(), readOnly: true },
    versionnumber: { type: 'bigint', readOnly: true },
  };
  if (t.ownership === 'UserOwned') {
    cols.ownerid = { type: 'owner', targets: ['systemuser'] };
    cols.owningbusinessunit = { type: 'lookup', targets: ['businessunit'], readOnly: true };
  }
  if (t.tableType === 'Elastic') cols.partitionid = { type: 'string', maxLength: 100 };
  return cols;
}

/** Resolve and cross-check a validated schema file (plus engine-provided extra tables). `source` names the file in errors. */
export function buildSchema(file: SchemaFile, source: string, extraTables: TableSpec[] = []): Schema {
  const tables = new Map<string, TableDef>();
  const bySet = new Map<string, TableDef>();
  let otc = 10000;
  for (const spec of [...file.tables, ...extraTables.filter((x) => !file.tables.some((t) => t.logicalName === x.logicalName))]) {
    const where = `${source}: table "${spec.logicalName}"`;
    if (tables.has(spec.logicalName)) throw new SchemaError(`${where} is defined twice.`);
    if (bySet.has(spec.entitySetName)) throw new SchemaError(`${where}: entity set name "${spec.entitySetName}" is already used.`);
    const columns = new Map<string, ColumnDef>();
    for (const [n, c] of Object.entries({ ...systemColumns(spec), ...spec.columns })) columns.set(n, { ...c, logicalName: n } as ColumnDef);
    const primaryName = spec.primaryName ?? 'name';
    if (!columns.has(primaryName)) throw new SchemaError(`${where}: primaryName "${primaryName}" is not one of its columns; add it to "columns".`);
    const def: TableDef = {
      ...spec,
      schemaName: spec.schemaName ?? spec.logicalName,
      primaryName,
      objectTypeCode: spec.objectTypeCode ?? otc++,
      columns,
      keys: spec.keys.map((k) => ({ ...k })),
      navigation: new Map(),
    };
    for (const k of def.keys) {
      for (const c of k.columns) {
        const col = columns.get(c);
        if (!col) throw new SchemaError(`${where}, key "${k.name}": column "${c}" does not exist.`);
        if (!KEY_TYPES.has(col.type))
          throw new SchemaError(`${where}, key "${k.name}": column "${c}" has type ${col.type}, which alternate keys do not allow.`);
      }
    }
    tables.set(spec.logicalName, def);
    bySet.set(spec.entitySetName, def);
  }
  const addNav = (t: TableDef, nav: NavigationDef, where: string): void => {
    if (t.navigation.has(nav.name) || (t.columns.has(nav.name) && nav.kind !== 'single')) {
      throw new SchemaError(`${where}: navigation property "${nav.name}" on table "${t.logicalName}" is declared twice.`);
    }
    t.navigation.set(nav.name, nav);
  };
  for (const t of tables.values()) {
    for (const col of t.columns.values()) {
      if (!('targets' in col)) continue;
      const where = `${source}: table "${t.logicalName}", column "${col.logicalName}"`;
      for (const target of col.targets) {
        if (!tables.has(target)) throw new SchemaError(`${where}: lookup target table "${target}" is not defined.`);
        const navName = col.navigation?.[target] ?? (col.targets.length === 1 ? col.logicalName : `${col.logicalName}_${target}`);
        addNav(t, { kind: 'single', name: navName, column: col.logicalName, target }, where);
        const back = col.collectionNavigation?.[target];
        if (back) addNav(tables.get(target)!, { kind: 'oneToMany', name: back, relatedTable: t.logicalName, relatedColumn: col.logicalName }, where);
      }
    }
  }
  const relationships = new Map<string, RelationshipSpec>();
  for (const r of file.relationships) {
    const where = `${source}: relationship "${r.name}"`;
    const t1 = tables.get(r.entity1);
    const t2 = tables.get(r.entity2);
    if (!t1 || !t2) throw new SchemaError(`${where}: table "${!t1 ? r.entity1 : r.entity2}" is not defined.`);
    if (relationships.has(r.name)) throw new SchemaError(`${where} is defined twice.`);
    relationships.set(r.name, r);
    addNav(t1, { kind: 'manyToMany', name: r.entity1NavigationProperty ?? r.name, relationship: r.name, relatedTable: r.entity2 }, where);
    if (t1 !== t2 || r.entity2NavigationProperty) {
      addNav(t2, { kind: 'manyToMany', name: r.entity2NavigationProperty ?? r.name, relationship: r.name, relatedTable: r.entity1 }, where);
    }
  }
  for (const required of ['systemuser', 'businessunit']) {
    if (!tables.has(required)) throw new SchemaError(`${source}: table "${required}" is required (callers become systemuser rows owned by a businessunit).`);
  }
  return { tables, bySet, relationships };
}

export function isLookup(col: ColumnDef): col is LookupColumnDef {
  return 'targets' in col;
}
