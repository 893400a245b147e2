/**
 * Bulk messages (Learn: bulk-operations): CreateMultiple / UpdateMultiple / UpsertMultiple / DeleteMultiple,
 * bound to the entity set. Every target carries `@odata.type`; upsert targets are addressed by
 * `@odata.id` in key form with the key columns left out of the body (a key column in both fails the
 * create path with 0x80040216). Standard tables are all-or-nothing: one DataverseError for the call.
 */
import { DataverseError } from './errors';
import { recordPath, type RecordKey } from './keys';
import type { ResponseMeta } from './meta';
import { writeHeaders, type WriteOptions } from './options';
import type { Transport } from './transport';

export interface BulkTable {
  entitySet: string;
  /** Table logical name, for `@odata.type` (e.g. "account"). */
  logicalName: string;
}

export interface UpsertTarget {
  key: RecordKey;
  body: Record<string, unknown>;
}

export interface BulkResult {
  meta: ResponseMeta;
  /** CreateMultiple only: the created ids, in the order the server returned them (input order). */
  ids?: string[];
}

const LOGICAL_NAME = /^[a-z_][a-z0-9_]*$/;

function odataType(table: BulkTable): string {
  if (!LOGICAL_NAME.test(table.logicalName)) {
    throw new DataverseError({ kind: 'validation', message: `'${table.logicalName}' is not a table logical name (lower-case letters, digits, _).` });
  }
  return `Microsoft.Dynamics.CRM.${table.logicalName}`;
}

function requireTargets(message: string, count: number): void {
  if (count === 0) throw new DataverseError({ kind: 'validation', message: `${message} needs at least one target; got none.` });
}

async function post(transport: Transport, table: BulkTable, message: string, targets: unknown[], options?: WriteOptions) {
  requireTargets(message, targets.length);
  return transport.send({
    method: 'POST',
    url: `${table.entitySet}/Microsoft.Dynamics.CRM.${message}`,
    query: { tag: options?.tag ?? transport.settings.writeTag },
    // Per-item error details where the platform gives them (elastic tables).
    headers: { ...writeHeaders(options), Prefer: 'odata.include-annotations="*"' },
    json: { Targets: targets },
    signal: options?.signal,
    timeoutMs: options?.timeoutMs,
  });
}

/** Removes key columns from an upsert body; a body value that disagrees with the key is an error. */
export function upsertTargetBody(target: UpsertTarget, index: number): Record<string, unknown> {
  if (typeof target.key === 'string') return { ...target.body };
  const body: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(target.body)) {
    if (!(column in target.key)) {
      body[column] = value;
      continue;
    }
    const keyValue = (target.key as Record<string, unknown>)[column];
    if (String(value) !== String(keyValue)) {
      throw new DataverseError({
        kind: 'validation',
        message: `UpsertMultiple target #${index}: key column '${column}' is ${JSON.stringify(keyValue)} in the key but ${JSON.stringify(value)} in the body. Key columns go in the key only; to change a key value, update the row by another key.`,
      });
    }
  }
  return body;
}

export async function createMultiple(transport: Transport, table: BulkTable, rows: Record<string, unknown>[], options?: WriteOptions): Promise<BulkResult> {
  const type = odataType(table);
  const response = await post(
    transport,
    table,
    'CreateMultiple',
    rows.map((r) => ({ ...r, '@odata.type': type })),
    options,
  );
  const ids = (response.json as { Ids?: unknown } | undefined)?.Ids;
  return { meta: response.meta, ...(Array.isArray(ids) ? { ids: ids.map(String) } : {}) };
}

/** Each row must carry the table's primary id column. */
export async function updateMultiple(transport: Transport, table: BulkTable, rows: Record<string, unknown>[], options?: WriteOptions): Promise<BulkResult> {
  const type = odataType(table);
  const response = await post(
    transport,
    table,
    'UpdateMultiple',
    rows.map((r) => ({ ...r, '@odata.type': type })),
    options,
  );
  return { meta: response.meta };
}

export async function upsertMultiple(transport: Transport, table: BulkTable, targets: UpsertTarget[], options?: WriteOptions): Promise<BulkResult> {
  const type = odataType(table);
  const items = targets.map((t, i) => ({ '@odata.type': type, '@odata.id': recordPath(table.entitySet, t.key), ...upsertTargetBody(t, i) }));
  const response = await post(transport, table, 'UpsertMultiple', items, options);
  return { meta: response.meta };
}

/** Elastic tables only (standard tables answer "DeleteMultiple has not yet been implemented"; use BulkDelete). */
export async function deleteMultiple(
  transport: Transport,
  table: BulkTable & { primaryIdAttribute: string },
  rows: Array<{ id: string; partitionId?: string }>,
  options?: WriteOptions,
): Promise<BulkResult> {
  const type = odataType(table);
  const items = rows.map((r) => ({ '@odata.type': type, [table.primaryIdAttribute]: r.id, ...(r.partitionId ? { partitionid: r.partitionId } : {}) }));
  const response = await post(transport, table, 'DeleteMultiple', items, options);
  return { meta: response.meta };
}
