/** Reading `{"Targets":[…]}` and locating each item's row (Learn: bulk-operations). */
import { DvError, dvErrors } from '../errors';
import { parsePath, referencePath } from '../path';
import type { TableDef } from '../schema/model';
import { resolveKey, type ResolvedKey } from '../rows/resolve';
import { bulkPayload, missingType } from './errors';

export type Target = Record<string, unknown>;

export function readTargets(table: TableDef, body: Buffer): Target[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw bulkPayload(table, `Invalid JSON. ${(e as Error).message}`);
  }
  const targets = (parsed as { Targets?: unknown } | null)?.Targets;
  if (!Array.isArray(targets)) throw bulkPayload(table, 'The body must be {"Targets":[ … ]} with an array of records.');
  targets.forEach((t, i) => {
    if (t === null || typeof t !== 'object' || Array.isArray(t)) throw bulkPayload(table, `Targets[${i}] is not a JSON object.`);
    const type = (t as Target)['@odata.type'];
    if (type === undefined) throw missingType(table, i);
    const expected = `Microsoft.Dynamics.CRM.${table.logicalName}`;
    if (type !== expected && type !== `#${expected}`) {
      throw bulkPayload(
        table,
        `Targets[${i}] has "@odata.type": ${JSON.stringify(type)}; every item must be '${expected}' (all items of one request belong to the table of the URL).`,
      );
    }
  });
  return targets as Target[];
}

/** The key an item addresses: `@odata.id` (GUID or alternate key URL) or the primary-id column in the item. */
export function targetKey(table: TableDef, item: Target, index: number): ResolvedKey | undefined {
  const ref = item['@odata.id'];
  if (ref !== undefined) {
    if (typeof ref !== 'string')
      throw bulkPayload(table, `Targets[${index}]["@odata.id"] must be a URL string such as "${table.entitySetName}(<key>='<value>')".`);
    const segs = parsePath(referencePath(ref));
    if (segs.length !== 1 || !segs[0].key)
      throw bulkPayload(table, `Targets[${index}]["@odata.id"] "${ref}" is not an entity URL such as "${table.entitySetName}(<guid>)".`);
    if (segs[0].name !== table.entitySetName) {
      throw new DvError(400, '0x80048d19', `Targets[${index}]["@odata.id"] "${ref}" addresses '${segs[0].name}', not '${table.entitySetName}'.`);
    }
    return resolveKey(table, segs[0].key);
  }
  const id = item[table.primaryId];
  if (id === undefined || id === null) return undefined;
  if (typeof id !== 'string') throw dvErrors.invalidArgument(`Targets[${index}].${table.primaryId} must be a GUID string.`);
  return { kind: 'id', id: id.toLowerCase() };
}

/** The item without the annotations that only address it. */
export function itemBody(item: Target): Target {
  const out: Target = {};
  for (const [k, v] of Object.entries(item)) if (k !== '@odata.type' && k !== '@odata.id') out[k] = v;
  return out;
}
