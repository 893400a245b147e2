/** Table metadata the writer needs (entity set, primary id, alternate keys and their index status), cached per client. */
import { DataverseError } from './errors';
import type { Transport } from './transport';

export type KeyIndexStatus = 'Pending' | 'InProgress' | 'Active' | 'Failed' | string;

export interface TableKey {
  /** Key logical name. */
  name: string;
  columns: string[];
  /** Only an Active key can address rows; Pending/InProgress are still building, Failed needs cleanup. */
  status: KeyIndexStatus;
}

export interface TableInfo {
  logicalName: string;
  entitySet: string;
  primaryId: string;
  primaryName?: string;
  changeTracking?: boolean;
  keys: TableKey[];
}

const LOGICAL_NAME = /^[a-z_][a-z0-9_]*$/;

export async function fetchTableInfo(transport: Transport, logicalName: string, signal?: AbortSignal): Promise<TableInfo> {
  if (!LOGICAL_NAME.test(logicalName)) {
    throw new DataverseError({ kind: 'validation', message: `'${logicalName}' is not a table logical name (lower-case letters, digits, _).` });
  }
  const response = await transport.send({
    method: 'GET',
    url: `EntityDefinitions(LogicalName='${logicalName}')`,
    query: {
      $select: 'LogicalName,EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute,ChangeTrackingEnabled',
      $expand: 'Keys($select=LogicalName,KeyAttributes,EntityKeyIndexStatus)',
    },
    signal,
  });
  const body = (response.json ?? {}) as Record<string, unknown>;
  if (typeof body.EntitySetName !== 'string' || typeof body.PrimaryIdAttribute !== 'string') {
    throw new DataverseError({ kind: 'permanent', message: `EntityDefinitions for '${logicalName}' lacks EntitySetName/PrimaryIdAttribute.` });
  }
  const keys = Array.isArray(body.Keys) ? (body.Keys as Array<Record<string, unknown>>) : [];
  return {
    logicalName: typeof body.LogicalName === 'string' ? body.LogicalName : logicalName,
    entitySet: body.EntitySetName,
    primaryId: body.PrimaryIdAttribute,
    ...(typeof body.PrimaryNameAttribute === 'string' ? { primaryName: body.PrimaryNameAttribute } : {}),
    ...(typeof body.ChangeTrackingEnabled === 'boolean' ? { changeTracking: body.ChangeTrackingEnabled } : {}),
    keys: keys.map((k) => ({
      name: String(k.LogicalName ?? ''),
      columns: Array.isArray(k.KeyAttributes) ? k.KeyAttributes.map(String) : [],
      status: String(k.EntityKeyIndexStatus ?? 'Active'),
    })),
  };
}

/** Caches one lookup per table; failures are not cached so a retry asks again. */
export class TableInfoCache {
  private readonly entries = new Map<string, Promise<TableInfo>>();
  constructor(private readonly transport: Transport) {}

  get(logicalName: string, signal?: AbortSignal): Promise<TableInfo> {
    let entry = this.entries.get(logicalName);
    if (!entry) {
      entry = fetchTableInfo(this.transport, logicalName, signal);
      this.entries.set(logicalName, entry);
      entry.catch(() => this.entries.delete(logicalName));
    }
    return entry;
  }

  /** Forget a table (e.g. after a key was reactivated) so the next call reads fresh metadata. */
  forget(logicalName?: string): void {
    if (logicalName) this.entries.delete(logicalName);
    else this.entries.clear();
  }
}
