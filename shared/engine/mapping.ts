/**
 * Route + ChangeMessage → one target write. Pure: no I/O. Every failure is a MappingError naming the
 * route, the column and the value, because retrying cannot fix it.
 */
import type { ChangeMessage } from '../model/change-message';
import type { SourceValue } from '../model/source-value';
import { ExactDecimal } from '../model/decimal';
import type { Lookup, Route } from '../routes/schema';
import { MappingError } from './errors';
import { bindUrl, formatKey, UNADDRESSABLE_KEY_CHARS } from './keys';
import type { KeyValue } from './ports';
import { applyTransforms, TransformError, type PlainValue } from './transforms';

export interface LookupBind {
  lookupIndex: number;
  /** `<navprop>@odata.bind` property name. */
  property: string;
  /** Referenced target table (for polymorphic lookups: the one this value points to). */
  targetTable: string;
  /** `/<set>(<key>)`, or null to clear the lookup. */
  url: string | null;
  missingParent: Lookup['missingParent'];
}

export interface MappedWrite {
  kind: 'upsert' | 'create' | 'update' | 'delete';
  /** The source Delete became a deactivation (statecode = 1). */
  deactivate: boolean;
  environment: string;
  table: string;
  entitySet: string;
  key: Record<string, KeyValue>;
  keyText: string;
  /** Target columns to write (plain JSON values), key columns excluded. */
  columns: Record<string, PlainValue>;
  binds: LookupBind[];
}

export type MappingResult = { type: 'write'; write: MappedWrite } | { type: 'ignore'; reason: string };

/** Where lookups point: entity set of a target table in an environment (from the routes or engine options). */
export type EntitySetResolver = (environment: string, table: string) => string | undefined;

export function mapChange(route: Route, msg: ChangeMessage, entitySetOf: EntitySetResolver): MappingResult {
  const t = route.target;
  const mapped = mapColumns(route, msg);
  const key: Record<string, KeyValue> = {};
  for (const column of t.key) {
    const v = keyValue(route, column, mapped[column]);
    if (v === undefined || v === null || v === '') {
      const from = describeSource(t.columns[column]);
      throw new MappingError(
        route.name,
        column,
        `key column has no value (${from}; got ${v === undefined ? 'nothing' : JSON.stringify(v)}). Every change needs all key columns [${t.key.join(', ')}] to address the target row.`,
      );
    }
    if (typeof v === 'boolean') throw new MappingError(route.name, column, `key value ${v} is a boolean; alternate keys take text, numbers, dates or choices.`);
    if (typeof v === 'string' && UNADDRESSABLE_KEY_CHARS.test(v)) {
      throw new MappingError(
        route.name,
        column,
        `key value ${JSON.stringify(v)} contains one of / < > * % & : \\ ? + which Dataverse cannot address by key; clean the source value or pick another key column.`,
      );
    }
    key[column] = v;
  }
  const base = { environment: t.environment, table: t.table, entitySet: t.entitySet, key, keyText: formatKey(key) };
  if (msg.operation === 'delete') {
    if (t.onDelete === 'ignore') return { type: 'ignore', reason: `route "${route.name}" has onDelete "ignore"` };
    if (t.onDelete === 'deactivate') return { type: 'write', write: { ...base, kind: 'update', deactivate: true, columns: { statecode: 1 }, binds: [] } };
    return { type: 'write', write: { ...base, kind: 'delete', deactivate: false, columns: {}, binds: [] } };
  }
  const columns: Record<string, PlainValue> = {};
  for (const [column, v] of Object.entries(mapped)) if (!t.key.includes(column) && v !== undefined) columns[column] = v;
  const binds = t.lookups.flatMap((lookup, i) => mapLookup(route, lookup, i, msg, entitySetOf));
  const kind = t.mode === 'createOnly' ? 'create' : t.mode === 'updateOnly' ? 'update' : 'upsert';
  return { type: 'write', write: { ...base, kind, deactivate: false, columns, binds } };
}

/** An exact amount used as a key: a number when a double holds it exactly, else refused (a rounded key addresses another row). */
function keyValue(route: Route, column: string, v: PlainValue | undefined): Exclude<PlainValue, ExactDecimal> | undefined {
  if (!(v instanceof ExactDecimal)) return v;
  const n = Number(v.text);
  if (Number.isFinite(n) && sameDecimal(String(n), v.text)) return n;
  throw new MappingError(
    route.name,
    column,
    `key value ${v.text} has more digits than a key can carry exactly (nearest double ${n}); use a text or whole-number key column.`,
  );
}

/** Equal plain decimal texts ("1.50" = "1.5"); exponent forms are compared as they are written. */
function sameDecimal(a: string, b: string): boolean {
  const norm = (s: string): string => (/[eE]/.test(s) || !s.includes('.') ? s : s.replace(/0+$/, '').replace(/\.$/, ''));
  return norm(a) === norm(b);
}

/** Target column → value; undefined when the source column is absent from the change (left untouched). */
function mapColumns(route: Route, msg: ChangeMessage): Record<string, PlainValue | undefined> {
  const out: Record<string, PlainValue | undefined> = {};
  for (const [column, mapping] of Object.entries(route.target.columns)) {
    const spec = typeof mapping === 'string' ? { from: mapping, transforms: [] } : mapping;
    let value: PlainValue | undefined;
    if (spec.from !== undefined) {
      if (!(spec.from in msg.values)) {
        out[column] = undefined;
        continue;
      }
      value = toPlain(route, column, spec.from, msg.values[spec.from]);
    } else {
      value = spec.constant ?? null;
    }
    try {
      out[column] = applyTransforms(value, spec.transforms ?? []);
    } catch (err) {
      if (err instanceof TransformError)
        throw new MappingError(
          route.name,
          column,
          `${err.message} (source ${spec.from ? `column "${spec.from}"` : 'constant'}, value ${JSON.stringify(value)}).`,
        );
      throw err;
    }
  }
  return out;
}

function toPlain(route: Route, column: string, from: string, v: SourceValue): PlainValue {
  if (v === null || typeof v !== 'object') return v;
  switch (v.$type) {
    case 'reference':
      return v.id;
    case 'choice':
      return v.value;
    case 'choices':
      return v.values.join(','); // the Web API writes multi-select choices as "1,2,3"
    case 'money':
      // `exact` is the source's own text when a double would round it (webhook lossless parser).
      return v.exact !== undefined ? new ExactDecimal(v.exact) : v.value;
    case 'datetime':
      return v.iso;
    case 'decimal':
      return new ExactDecimal(v.value);
    case 'collection':
      throw new MappingError(
        route.name,
        column,
        `source column "${from}" is a collection (${v.table}, ${v.rows.length} rows); collections cannot be mapped to a column.`,
      );
  }
}

function mapLookup(route: Route, lookup: Lookup, index: number, msg: ChangeMessage, entitySetOf: EntitySetResolver): LookupBind[] {
  if (!(lookup.from in msg.values)) return [];
  const v = msg.values[lookup.from];
  const tables = Array.isArray(lookup.targetTable) ? lookup.targetTable : [lookup.targetTable];
  const env = route.target.environment;
  const navFor = (table: string): string => {
    if (typeof lookup.navigationProperty === 'string') return lookup.navigationProperty;
    const nav = lookup.navigationProperty[table];
    if (!nav)
      throw new MappingError(
        route.name,
        lookup.from,
        `lookup has no navigationProperty for table "${table}" (configured: ${Object.keys(lookup.navigationProperty).join(', ')}).`,
      );
    return nav;
  };
  if (v === '') return [];
  if (v === null) {
    // Clearing: every navigation property of a polymorphic lookup is set to null.
    return tables.map((table) => ({
      lookupIndex: index,
      property: `${navFor(table)}@odata.bind`,
      targetTable: table,
      url: null,
      missingParent: lookup.missingParent,
    }));
  }
  let table: string;
  const key: Record<string, KeyValue> = {};
  if (typeof v === 'object' && v.$type === 'reference') {
    if (!tables.includes(v.table)) {
      throw new MappingError(route.name, lookup.from, `reference to table "${v.table}" (id ${v.id}) but the lookup only targets [${tables.join(', ')}].`);
    }
    table = v.table;
    for (const k of lookup.key) {
      const kv = v.keys?.[k] ?? (lookup.key.length === 1 ? v.id : undefined);
      if (kv === undefined) throw new MappingError(route.name, lookup.from, `reference ${v.table}(${v.id}) carries no value for parent key column "${k}".`);
      key[k] = kv;
    }
  } else if (typeof v === 'string' || typeof v === 'number') {
    if (tables.length !== 1)
      throw new MappingError(
        route.name,
        lookup.from,
        `plain value ${JSON.stringify(v)} for a polymorphic lookup; the source must send a reference naming the table.`,
      );
    if (lookup.key.length !== 1)
      throw new MappingError(
        route.name,
        lookup.from,
        `plain value ${JSON.stringify(v)} for a composite parent key [${lookup.key.join(', ')}]; send a reference with keys.`,
      );
    table = tables[0];
    key[lookup.key[0]] = v;
  } else {
    throw new MappingError(route.name, lookup.from, `lookup source value ${JSON.stringify(v)} is neither a reference, text nor a number.`);
  }
  const entitySet = entitySetOf(env, table);
  if (!entitySet) throw new MappingError(route.name, lookup.from, `the entity set of lookup table "${table}" in environment "${env}" is unknown.`);
  return [
    { lookupIndex: index, property: `${navFor(table)}@odata.bind`, targetTable: table, url: bindUrl(entitySet, key), missingParent: lookup.missingParent },
  ];
}

function describeSource(mapping: Route['target']['columns'][string] | undefined): string {
  if (mapping === undefined) return 'no mapping for it in target.columns';
  if (typeof mapping === 'string') return `mapped from source column "${mapping}"`;
  return mapping.from ? `mapped from source column "${mapping.from}"` : 'mapped from a constant';
}
