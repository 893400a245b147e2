/**
 * Resolve URL keys to rows: GUID, `<primaryid>=<guid>`, alternate keys (single, composite,
 * `_lookup_value=<guid>`), per Learn: use-alternate-key-reference-record, define-alternate-keys-entity.
 */
import { type DvError, dvErrors } from '../errors';
import { parsePath, formatKeyLiteral, referencePath, type KeyLiteral, type ParsedKey } from '../path';
import { isLookup, type ColumnDef, type KeyDef, type TableDef } from '../schema/model';
import type { Environment } from '../store/environment';
import type { ColumnValue, Row } from '../types';

export type ResolvedKey =
  { kind: 'id'; id: string } | { kind: 'alternate'; key: KeyDef; values: Row; /** canonical `name=value,…` text for OData-EntityId */ text: string };

/** Characters that break key addressing (Learn: define-alternate-keys-entity). */
const FORBIDDEN = /[/<>*%&:\\?+]/;

function literalFor(table: TableDef, col: ColumnDef, lit: KeyLiteral, keyName: string): ColumnValue {
  const mismatch = (): DvError =>
    dvErrors.invalidArgument(
      `The value ${formatKeyLiteral(lit)} of key property '${keyName}' is not valid for column '${col.logicalName}' of type ${col.type} on entity '${table.logicalName}'.`,
    );
  if (lit.type === 'null') throw mismatch();
  switch (col.type) {
    case 'string':
    case 'memo':
      if (lit.type !== 'string') throw mismatch();
      if (FORBIDDEN.test(lit.value)) {
        throw dvErrors.invalidArgument(
          `The value of key property '${keyName}' contains a character (one of / < > * % & : \\ ? +) that Dataverse cannot use in alternate-key addressing; choose key columns whose values never contain them.`,
        );
      }
      return lit.value;
    case 'int':
    case 'bigint':
    case 'decimal':
    case 'money':
    case 'double':
    case 'choice':
      if (lit.type !== 'number') throw mismatch();
      return lit.value;
    case 'datetime':
      if (lit.type === 'string' || lit.type === 'number') return String(lit.type === 'string' ? lit.value : lit.raw);
      throw mismatch();
    case 'lookup':
    case 'customer':
    case 'owner':
      if (lit.type !== 'guid') throw mismatch();
      return { id: lit.value, table: col.targets[0] };
    default:
      throw mismatch();
  }
}

/** Turn a parsed URL key into an id or an (Active) alternate key with typed values. */
export function resolveKey(table: TableDef, parsed: ParsedKey): ResolvedKey {
  if (parsed.kind === 'value') {
    if (parsed.value.type === 'guid') return { kind: 'id', id: parsed.value.value };
    throw dvErrors.keyNotDefined(table.logicalName);
  }
  if (parsed.pairs.length === 1 && parsed.pairs[0][0] === table.primaryId) {
    const v = parsed.pairs[0][1];
    if (v.type !== 'guid') throw dvErrors.invalidArgument(`The value ${formatKeyLiteral(v)} of key property '${table.primaryId}' is not a GUID.`);
    return { kind: 'id', id: v.value };
  }
  const columns = parsed.pairs.map(([name]) => {
    const m = /^_(.+)_value$/.exec(name);
    const col = table.columns.get(m ? m[1] : name);
    if (!col || (m && !isLookup(col)) || (!m && isLookup(col))) throw dvErrors.keyNotDefined(table.logicalName);
    return col;
  });
  const names = new Set(columns.map((c) => c.logicalName));
  const key = table.keys.find((k) => k.columns.length === names.size && names.size === columns.length && k.columns.every((c) => names.has(c)));
  if (!key) throw dvErrors.keyNotDefined(table.logicalName);
  if (key.status !== 'Active') throw dvErrors.keyNotActive(table.logicalName, key.name, key.status);
  const values: Row = {};
  parsed.pairs.forEach(([name, lit], i) => {
    values[columns[i].logicalName] = literalFor(table, columns[i], lit, name);
  });
  const text = parsed.pairs.map(([n, lit]) => `${n}=${formatKeyLiteral(lit)}`).join(',');
  return { kind: 'alternate', key, values, text };
}

export function findRow(env: Environment, table: TableDef, key: ResolvedKey): Row | undefined {
  return key.kind === 'id' ? env.getRow(table.logicalName, key.id) : env.findByKey(table.logicalName, key.key, key.values);
}

export function notFound(table: TableDef, key: ResolvedKey): DvError {
  return key.kind === 'id' ? dvErrors.notFoundById(table.logicalName, key.id) : dvErrors.notFoundByKey(table.logicalName);
}

/** Resolve an entity reference URL (`@odata.bind` value, `@odata.id`) to an existing row; 404 with the documented codes when missing. */
export function resolveReference(env: Environment, url: unknown, context: string): { table: TableDef; row: Row } {
  if (typeof url !== 'string' || url.trim() === '') {
    throw dvErrors.invalidArgument(`${context}: expected an entity reference URL such as "/accounts(<guid>)", got ${JSON.stringify(url)}.`);
  }
  const segs = parsePath(referencePath(url));
  const seg = segs[0];
  if (segs.length !== 1 || !seg.key) {
    throw dvErrors.invalidArgument(`${context}: "${url}" is not an entity reference; expected "/<entityset>(<guid>)" or "/<entityset>(<key>=<value>)".`);
  }
  const table = env.tableBySet(seg.name);
  if (!table) throw dvErrors.resourceNotFound(seg.name);
  const key = resolveKey(table, seg.key);
  const row = findRow(env, table, key);
  if (!row) throw notFound(table, key);
  return { table, row };
}
