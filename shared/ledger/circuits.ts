/**
 * Circuits: a route whose writes fail for a reason no split or retry can fix (a missing privilege, a
 * rejected credential, an alternate key that is not Active, a column or table the target does not have)
 * is stopped as a whole, and every instance sees it: the state lives in Table Storage, one row per route.
 * While open, the engine holds the route's changes (rescheduled, never failed or dead-lettered) and lets
 * one probe write through when `probeAt` passes; which instance probes is decided by an ETag-conditional
 * update (`claimProbe`). A successful probe, or `dvsync circuits close`, closes it.
 */
import { RestError, type TableClient } from '@azure/data-tables';
import { decodeTableKey, encodeTableKey } from './table-keys';
import { CIRCUITS_TABLE, openTable } from './tables';

/** Why a route's writes cannot succeed until someone changes the target or the configuration. */
export type SystemicCause = 'privilege' | 'auth' | 'inactiveKey' | 'unknownColumn' | 'unknownTable';

export interface CircuitFault {
  route: string;
  environment: string;
  table: string;
  cause: SystemicCause;
  status?: number;
  code?: string;
  /** Dataverse's message, as it answered. */
  message: string;
}

export interface Circuit extends CircuitFault {
  state: 'open' | 'closed';
  openedAt: string;
  /** The next probe write may go after this time. */
  probeAt: string;
  /** Probes sent since it opened. */
  probes: number;
  closedAt?: string;
  /** 'probe' or who closed it (operator command). */
  closedBy?: string;
  etag?: string;
}

export interface CircuitStorePort {
  /** Every open circuit (one query per batch). */
  listOpen(): Promise<Circuit[]>;
  /** Opens the route's circuit; `created` is false when it was open already (then nothing changes). */
  open(fault: CircuitFault, now: Date, probeAt: Date): Promise<{ created: boolean; circuit: Circuit }>;
  /** Moves `probeAt` on if nobody else did since `circuit` was read; true = this caller sends the probe. */
  claimProbe(circuit: Circuit, probeAt: Date): Promise<boolean>;
  /** Closes the route's circuit; false when it was not open. */
  close(route: string, by: string, now: Date): Promise<boolean>;
  /** Every circuit, closed ones included (newest first). */
  list(): Promise<Circuit[]>;
}

const PARTITION = 'circuit';

interface CircuitEntity extends Omit<Circuit, 'etag' | 'status' | 'code' | 'closedAt' | 'closedBy'> {
  partitionKey: string;
  rowKey: string;
  status?: number;
  code?: string;
  closedAt?: string;
  closedBy?: string;
}

export class TableCircuitStore implements CircuitStorePort {
  private readonly client: TableClient;
  private readonly ready: Promise<void>;

  constructor(options: { connectionString: string; table?: string }) {
    ({ client: this.client, ready: this.ready } = openTable(options.connectionString, options.table ?? CIRCUITS_TABLE));
  }

  async listOpen(): Promise<Circuit[]> {
    return (await this.query(`PartitionKey eq '${PARTITION}' and state eq 'open'`)).filter((c) => c.state === 'open');
  }

  async list(): Promise<Circuit[]> {
    return (await this.query(`PartitionKey eq '${PARTITION}'`)).sort((a, b) => b.openedAt.localeCompare(a.openedAt));
  }

  async open(fault: CircuitFault, now: Date, probeAt: Date): Promise<{ created: boolean; circuit: Circuit }> {
    await this.ready;
    const entity = toEntity({ ...fault, state: 'open', openedAt: now.toISOString(), probeAt: probeAt.toISOString(), probes: 0 });
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.get(fault.route);
      try {
        if (!existing) {
          const res = await this.client.createEntity(entity);
          return { created: true, circuit: { ...fromEntity(entity), etag: res.etag } };
        }
        if (existing.state === 'open') return { created: false, circuit: existing };
        const res = await this.client.updateEntity(entity, 'Replace', { etag: existing.etag });
        return { created: true, circuit: { ...fromEntity(entity), etag: res.etag } };
      } catch (err) {
        // Another instance opened (or reopened) it between our read and write: read again.
        if (!(err instanceof RestError && (err.statusCode === 409 || err.statusCode === 412))) throw err;
      }
    }
    const now2 = await this.get(fault.route);
    if (now2?.state === 'open') return { created: false, circuit: now2 };
    throw new Error(`The circuit of route "${fault.route}" kept changing while it was being opened; the batch is redelivered.`);
  }

  async claimProbe(circuit: Circuit, probeAt: Date): Promise<boolean> {
    await this.ready;
    if (!circuit.etag) return false;
    try {
      await this.client.updateEntity(
        { partitionKey: PARTITION, rowKey: encodeTableKey(circuit.route), probeAt: probeAt.toISOString(), probes: circuit.probes + 1 },
        'Merge',
        { etag: circuit.etag },
      );
      return true;
    } catch (err) {
      if (err instanceof RestError && (err.statusCode === 412 || err.statusCode === 404)) return false;
      throw err;
    }
  }

  async close(route: string, by: string, now: Date): Promise<boolean> {
    await this.ready;
    const existing = await this.get(route);
    if (!existing || existing.state !== 'open') return false;
    try {
      await this.client.updateEntity(
        { partitionKey: PARTITION, rowKey: encodeTableKey(route), state: 'closed', closedAt: now.toISOString(), closedBy: by },
        'Merge',
        { etag: existing.etag },
      );
      return true;
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 412) return this.close(route, by, now);
      throw err;
    }
  }

  private async get(route: string): Promise<Circuit | undefined> {
    await this.ready;
    try {
      const e = await this.client.getEntity<CircuitEntity>(PARTITION, encodeTableKey(route));
      return { ...fromEntity(e), etag: e.etag };
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  private async query(filter: string): Promise<Circuit[]> {
    await this.ready;
    const out: Circuit[] = [];
    for await (const e of this.client.listEntities<CircuitEntity>({ queryOptions: { filter } })) out.push({ ...fromEntity(e), etag: e.etag });
    return out;
  }
}

/** The same behaviour in memory: one process (tests, `dvsync import`). */
export class MemoryCircuitStore implements CircuitStorePort {
  private readonly rows = new Map<string, Circuit>();
  private version = 0;

  async listOpen(): Promise<Circuit[]> {
    return [...this.rows.values()].filter((c) => c.state === 'open').map((c) => ({ ...c }));
  }

  async list(): Promise<Circuit[]> {
    return [...this.rows.values()].map((c) => ({ ...c })).sort((a, b) => b.openedAt.localeCompare(a.openedAt));
  }

  async open(fault: CircuitFault, now: Date, probeAt: Date): Promise<{ created: boolean; circuit: Circuit }> {
    const existing = this.rows.get(fault.route);
    if (existing?.state === 'open') return { created: false, circuit: { ...existing } };
    const circuit: Circuit = { ...fault, state: 'open', openedAt: now.toISOString(), probeAt: probeAt.toISOString(), probes: 0, etag: String(++this.version) };
    this.rows.set(fault.route, circuit);
    return { created: true, circuit: { ...circuit } };
  }

  async claimProbe(circuit: Circuit, probeAt: Date): Promise<boolean> {
    const row = this.rows.get(circuit.route);
    if (!row || row.etag !== circuit.etag) return false;
    this.rows.set(circuit.route, { ...row, probeAt: probeAt.toISOString(), probes: row.probes + 1, etag: String(++this.version) });
    return true;
  }

  async close(route: string, by: string, now: Date): Promise<boolean> {
    const row = this.rows.get(route);
    if (!row || row.state !== 'open') return false;
    this.rows.set(route, { ...row, state: 'closed', closedAt: now.toISOString(), closedBy: by, etag: String(++this.version) });
    return true;
  }
}

function toEntity(c: Omit<Circuit, 'etag'>): CircuitEntity {
  const e: CircuitEntity = {
    partitionKey: PARTITION,
    rowKey: encodeTableKey(c.route),
    route: c.route,
    environment: c.environment,
    table: c.table,
    cause: c.cause,
    message: c.message.slice(0, 8000),
    state: c.state,
    openedAt: c.openedAt,
    probeAt: c.probeAt,
    probes: c.probes,
  };
  if (c.status !== undefined) e.status = c.status;
  if (c.code) e.code = c.code;
  return e;
}

function fromEntity(e: CircuitEntity): Circuit {
  const c: Circuit = {
    route: e.route ?? decodeTableKey(e.rowKey) ?? e.rowKey,
    environment: e.environment,
    table: e.table,
    cause: e.cause,
    message: e.message,
    state: e.state,
    openedAt: e.openedAt,
    probeAt: e.probeAt,
    probes: Number(e.probes ?? 0),
  };
  if (e.status !== undefined && e.status !== null) c.status = Number(e.status);
  if (e.code) c.code = e.code;
  if (e.closedAt) c.closedAt = e.closedAt;
  if (e.closedBy) c.closedBy = e.closedBy;
  return c;
}
