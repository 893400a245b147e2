/**
 * Turn a create/update JSON body into typed column values and lookup binds
 * (unknown property: https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors; @odata.bind and navigation-property names: Learn: webapi/associate-disassociate-entities-using-web-api).
 */
import { dvErrors } from '../errors';
import type { NavigationDef, TableDef } from '../schema/model';
import type { Environment } from '../store/environment';
import type { Row } from '../types';
import { coerceValue } from '../values';
import { resolveReference } from './resolve';

export interface CollectionBind {
  nav: Exclude<NavigationDef, { kind: 'single' }>;
  ids: string[];
}

export interface ParsedBody {
  values: Row;
  collectionBinds: CollectionBind[];
}

export function parseJsonObject(table: TableDef, body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8');
  if (text.trim() === '') throw dvErrors.payload(table.entitySetName, 'System.ArgumentException: The request body is empty; send a JSON object.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw dvErrors.payload(table.entitySetName, `Microsoft.OData.ODataException: Invalid JSON. ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw dvErrors.payload(table.entitySetName, 'Microsoft.OData.ODataException: The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** Validate every property; resolve binds against `env` (404 for missing targets). Read-only system columns are ignored as Dataverse ignores them. */
export function parseBody(env: Environment, table: TableDef, obj: Record<string, unknown>): ParsedBody {
  const values: Row = {};
  const collectionBinds: CollectionBind[] = [];
  for (const [prop, value] of Object.entries(obj)) {
    if (prop.startsWith('@')) {
      if (prop === '@odata.type' && value !== `Microsoft.Dynamics.CRM.${table.logicalName}` && value !== `#Microsoft.Dynamics.CRM.${table.logicalName}`) {
        throw dvErrors.payload(
          table.entitySetName,
          `Microsoft.OData.ODataException: The @odata.type '${String(value)}' does not match the entity set's type 'Microsoft.Dynamics.CRM.${table.logicalName}'.`,
        );
      }
      continue;
    }
    const at = prop.indexOf('@');
    if (at > 0) {
      const name = prop.slice(0, at);
      const annotation = prop.slice(at + 1);
      if (annotation !== 'odata.bind') continue; // other instance annotations (e.g. FormattedValue) are ignored
      const nav = table.navigation.get(name);
      if (!nav) throw dvErrors.undeclaredProperty(name, table.entitySetName);
      if (nav.kind === 'single') {
        if (value === null) {
          values[nav.column] = null;
          continue;
        }
        const { table: target, row } = resolveReference(env, value, `"${prop}"`);
        if (target.logicalName !== nav.target) {
          throw dvErrors.payload(
            table.entitySetName,
            `Microsoft.OData.ODataException: Navigation property '${name}' points to '${nav.target}', but "${String(value)}" is a '${target.logicalName}' row. Use the navigation property for that table (e.g. '${nav.column}_${target.logicalName}').`,
          );
        }
        values[nav.column] = { id: String(row[target.primaryId]), table: target.logicalName };
      } else {
        if (!Array.isArray(value))
          throw dvErrors.payload(table.entitySetName, `Microsoft.OData.ODataException: '${prop}' is collection-valued; send an array of entity URLs.`);
        const ids = value.map((v, i) => {
          const { table: target, row } = resolveReference(env, v, `"${prop}"[${i}]`);
          if (target.logicalName !== nav.relatedTable)
            throw dvErrors.payload(
              table.entitySetName,
              `Microsoft.OData.ODataException: '${prop}'[${i}] must reference a '${nav.relatedTable}' row, got '${target.logicalName}'.`,
            );
          return String(row[target.primaryId]);
        });
        collectionBinds.push({ nav, ids });
      }
      continue;
    }
    const col = table.columns.get(prop);
    if (!col) {
      const nav = table.navigation.get(prop);
      if (nav?.kind === 'single' && value === null) {
        values[nav.column] = null;
        continue;
      }
      throw dvErrors.invalidProperty(prop, table.logicalName);
    }
    if (col.readOnly) continue;
    if (col.type === 'lookup' || col.type === 'customer' || col.type === 'owner') {
      const nav = table.navigation.get(prop);
      if (nav?.kind === 'single' && value === null) {
        values[col.logicalName] = null;
        continue;
      }
    }
    values[col.logicalName] = coerceValue(table, col, value);
  }
  return { values, collectionBinds };
}

/** Apply collection binds after the row exists (1:N sets the lookup on each related row; N:N links). */
export function applyCollectionBinds(env: Environment, ctx: Parameters<Environment['create']>[0], table: TableDef, id: string, binds: CollectionBind[]): void {
  for (const b of binds) {
    for (const relatedId of b.ids) {
      if (b.nav.kind === 'oneToMany') {
        env.update(ctx, b.nav.relatedTable, relatedId, { [b.nav.relatedColumn]: { id, table: table.logicalName } });
      } else {
        const rel = env.schema.relationships.get(b.nav.relationship)!;
        const first = rel.entity1 === table.logicalName ? [id, relatedId] : [relatedId, id];
        env.associate(ctx, b.nav.relationship, first[0], first[1]);
      }
    }
  }
}
