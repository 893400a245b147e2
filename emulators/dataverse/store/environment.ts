/**
 * One Dataverse environment (organization): its rows, alternate-key indexes, N:N links, the
 * environment-wide versionnumber, per-table change logs, transactions and committed-write events.
 * Values arriving here are already coerced (see values.ts); this layer enforces identity and keys.
 */
import { randomUUID } from 'node:crypto';
import { dvErrors, DvError } from '../errors';
import { Privileges } from '../privileges';
import type { KeyDef, Schema, TableDef } from '../schema/model';
import type { ChangeEntry, RequestContext, Row, WriteEvent, WriteMessage } from '../types';
import { KeyIndex } from './keys';
import { Transaction } from './transaction';

export interface EnvironmentInfo {
  name: string;
  uniqueName: string;
  organizationId: string;
  friendlyName: string;
  /** The root business unit every row and caller belongs to. */
  businessUnitId: string;
}

export type CommitListener = (events: WriteEvent[]) => void;

export interface EnvironmentState {
  version: number;
  rows: Record<string, Row[]>;
  links: Record<string, Array<[string, string]>>;
  keyStatus: Record<string, Record<string, KeyDef['status']>>;
}

/** Dataverse's default change retention, `ExpireChangeTrackingInDays` = 7 (Learn: use-change-tracking-synchronize-data-external-systems). */
export const DEFAULT_CHANGE_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** State columns: an Update that sets only these is a status change, which webhooks see as SetState (fixture 7 in test/fixtures/dataverse-webhook). */
const STATE_COLUMNS = new Set(['statecode', 'statuscode']);
/** Dataverse datetimes are UTC to the second: 2024-01-02T03:04:05Z. Memoized: a bulk request stamps thousands of rows with one ctx.now. */
let lastStamp = { ms: NaN, text: '' };
function isoSeconds(d: Date): string {
  const ms = d.getTime();
  if (ms !== lastStamp.ms) lastStamp = { ms, text: d.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  return lastStamp.text;
}

export class Environment {
  private version = 0;
  private rows = new Map<string, Map<string, Row>>();
  private keyIndexes = new Map<string, KeyIndex>();
  /** relationship name → "id1|id2" (entity1 id first) */
  private links = new Map<string, Set<string>>();
  private changeLogs = new Map<string, ChangeEntry[]>();
  /** Per table: the highest version trimmed from its change log (0 = nothing trimmed). */
  private trimmedVersions = new Map<string, number>();
  private listeners: CommitListener[] = [];
  private openTx = new Set<Transaction>();
  /** How long change-log entries (and delta tokens) stay usable, real ms. */
  changeRetentionMs = DEFAULT_CHANGE_RETENTION_MS;
  /** `$batch` bodies with bare LF answer 400 0x80048d19 when true (https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors). */
  strictBatchLineEndings = false;
  /**
   * The privilege switch: what each caller principal lacks here (privileges.ts). Operator state like key
   * status: not part of clear(), snapshot() or restore(); `POST /_emulator/reset` clears it.
   */
  readonly privileges: Privileges;

  constructor(
    readonly info: EnvironmentInfo,
    readonly schema: Schema,
  ) {
    // Assigned here, before clear(), from the constructor's own parameter: a field initializer would
    // run before the parameter properties exist under the ES2022 class-field semantics.
    this.privileges = new Privileges(
      () => schema.tables.values(),
      (t) => schema.tables.get(t),
    );
    this.clear();
  }

  get name(): string {
    return this.info.name;
  }

  // ---- schema lookups ----
  table(logicalName: string): TableDef | undefined {
    return this.schema.tables.get(logicalName);
  }
  tableBySet(entitySetName: string): TableDef | undefined {
    return this.schema.bySet.get(entitySetName);
  }

  // ---- reads (return the stored object: do not mutate; clone to keep) ----
  getRow(table: string, id: string): Row | undefined {
    return this.rows.get(table)?.get(id.toLowerCase());
  }
  rowsOf(table: string): IterableIterator<Row> {
    return this.rowsMap(table).values();
  }
  rowCount(table: string): number {
    return this.rowsMap(table).size;
  }
  findByKey(table: string, key: KeyDef, values: Row): Row | undefined {
    const id = this.keyIndexes.get(table)!.find(key, values);
    return id ? this.getRow(table, id) : undefined;
  }
  isLinked(relationship: string, id1: string, id2: string): boolean {
    return this.links.get(relationship)?.has(`${id1.toLowerCase()}|${id2.toLowerCase()}`) ?? false;
  }
  linkedIds(relationship: string, side: 1 | 2, id: string): string[] {
    const out: string[] = [];
    for (const pair of this.links.get(relationship) ?? []) {
      const [a, b] = pair.split('|');
      if (side === 1 && a === id.toLowerCase()) out.push(b);
      if (side === 2 && b === id.toLowerCase()) out.push(a);
    }
    return out;
  }
  /** Change log of a table (creates/updates as 'upsert', deletes), in commit order. */
  changeLog(table: string): readonly ChangeEntry[] {
    return this.changeLogs.get(table) ?? [];
  }
  /** A delta from a version below this would miss trimmed changes: its token has expired. */
  trimmedVersion(table: string): number {
    return this.trimmedVersions.get(table) ?? 0;
  }
  /** Highest versionnumber such that every write at or below it is committed or rolled back. */
  stableVersion(): number {
    let v = this.version;
    for (const tx of this.openTx) if (tx.minVersion !== undefined) v = Math.min(v, tx.minVersion - 1);
    return v;
  }
  currentVersion(): number {
    return this.version;
  }

  onCommitted(listener: CommitListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  // ---- writes ----
  /** Insert a row. `values` are coerced column values; the primary id may be given. Throws 412 on a duplicate id or Active key. */
  create(ctx: RequestContext, table: string, values: Row, message: WriteMessage = 'Create'): Row {
    const def = this.mustTable(table);
    this.privileges.checkWrite(ctx, def, 'Create', values);
    const id = String(values[def.primaryId] ?? randomUUID()).toLowerCase();
    const map = this.rowsMap(table);
    if (map.has(id)) throw new DvError(412, '0x80040237', 'Cannot insert duplicate key.');
    const row: Row = {};
    for (const col of def.columns.values()) {
      if ('default' in col && col.default !== undefined) row[col.logicalName] = col.default;
    }
    const now = isoSeconds(ctx.now);
    const version = this.nextVersion(ctx);
    Object.assign(row, values, {
      [def.primaryId]: id,
      createdon: now,
      modifiedon: now,
      createdby: { id: ctx.user.systemUserId, table: 'systemuser' },
      modifiedby: { id: ctx.user.systemUserId, table: 'systemuser' },
      versionnumber: version,
    });
    if (def.ownership === 'UserOwned') {
      row.ownerid ??= { id: ctx.user.systemUserId, table: 'systemuser' };
      row.owningbusinessunit = { id: this.info.businessUnitId, table: 'businessunit' };
    }
    const index = this.keyIndexes.get(table)!;
    const violated = index.violated(row, id);
    if (violated) throw dvErrors.duplicateKey(violated.name, violated.columns);
    map.set(id, row);
    index.add(row, id);
    ctx.tx?.undo.push(() => {
      map.delete(id);
      index.remove(row, id);
    });
    this.record(
      ctx,
      table,
      { message, table, id, postImage: row, changedColumns: Object.keys(row), callerColumns: Object.keys(values), versionNumber: version },
      'upsert',
    );
    return row;
  }

  /**
   * Apply changed columns to an existing row (or, with `replace`, overwrite every writable column
   * as an elastic-table upsert does). Throws 404 when missing, 412 on an Active key duplicate.
   */
  update(ctx: RequestContext, table: string, id: string, changes: Row, message: WriteMessage = 'Update', replace = false): Row {
    const def = this.mustTable(table);
    const map = this.rowsMap(table);
    const key = id.toLowerCase();
    this.privileges.check(ctx, def, 'Write'); // the table privilege comes before the row lookup
    const current = map.get(key);
    if (!current) throw dvErrors.notFoundById(table, id);
    this.privileges.checkWrite(ctx, def, 'Write', changes, current);
    const pre = current; // stored rows are never mutated (an update stores a new object), so the old one is the pre image
    const version = this.nextVersion(ctx);
    const kept = replace ? Object.fromEntries(Object.entries(current).filter(([c]) => def.columns.get(c)?.readOnly || c === 'ownerid')) : current;
    const next: Row = {
      ...kept,
      ...changes,
      [def.primaryId]: key,
      modifiedon: isoSeconds(ctx.now),
      modifiedby: { id: ctx.user.systemUserId, table: 'systemuser' },
      versionnumber: version,
    };
    const index = this.keyIndexes.get(table)!;
    const violated = index.violated(next, key);
    if (violated) throw dvErrors.duplicateKey(violated.name, violated.columns);
    index.remove(current, key);
    index.add(next, key);
    map.set(key, next);
    ctx.tx?.undo.push(() => {
      index.remove(next, key);
      index.add(pre, key);
      map.set(key, pre);
    });
    const sent = Object.keys(changes);
    const changed = [...sent, 'modifiedon', 'modifiedby', 'versionnumber'];
    // A Web API status change is a PATCH of statecode/statuscode; the platform runs it as SetState.
    const effective = message === 'Update' && sent.length > 0 && sent.every((c) => STATE_COLUMNS.has(c)) ? 'SetState' : message;
    this.record(
      ctx,
      table,
      { message: effective, table, id: key, preImage: pre, postImage: next, changedColumns: changed, callerColumns: sent, versionNumber: version },
      'upsert',
    );
    return next;
  }

  /** Delete a row and its N:N links. Throws 404 when missing. */
  delete(ctx: RequestContext, table: string, id: string): Row {
    this.privileges.check(ctx, this.mustTable(table), 'Delete');
    const map = this.rowsMap(table);
    const key = id.toLowerCase();
    const current = map.get(key);
    if (!current) throw dvErrors.notFoundById(table, id);
    const index = this.keyIndexes.get(table)!;
    map.delete(key);
    index.remove(current, key);
    const removedLinks: Array<[Set<string>, string]> = [];
    for (const [name, rel] of this.schema.relationships) {
      const set = this.links.get(name)!;
      for (const pair of set) {
        const [a, b] = pair.split('|');
        if ((rel.entity1 === table && a === key) || (rel.entity2 === table && b === key)) {
          set.delete(pair);
          removedLinks.push([set, pair]);
        }
      }
    }
    ctx.tx?.undo.push(() => {
      map.set(key, current);
      index.add(current, key);
      for (const [s, p] of removedLinks) s.add(p);
    });
    const version = this.nextVersion(ctx);
    this.record(ctx, table, { message: 'Delete', table, id: key, preImage: current, changedColumns: [], versionNumber: version }, 'delete');
    return current;
  }

  /** Link two rows through an N:N relationship (entity1 id first). Idempotent like Dataverse's associate of an existing pair. */
  associate(ctx: RequestContext, relationship: string, id1: string, id2: string, message: 'Associate' | 'Disassociate' = 'Associate'): void {
    const rel = this.schema.relationships.get(relationship)!;
    // Dynamics CRM 2016 SDK, "Associate message privileges" (gg328270): Write and Append on entity 1; its entry for entity 2
    // reads "prvSecondaryEntity", taken as AppendTo [U]; Disassociate assumed the same [U].
    const [t1, t2] = [this.mustTable(rel.entity1), this.mustTable(rel.entity2)];
    this.privileges.check(ctx, t1, 'Write');
    this.privileges.check(ctx, t1, 'Append');
    this.privileges.check(ctx, t2, 'AppendTo');
    const set = this.links.get(relationship)!;
    const pair = `${id1.toLowerCase()}|${id2.toLowerCase()}`;
    if (message === 'Associate') {
      if (set.has(pair)) return;
      set.add(pair);
      ctx.tx?.undo.push(() => set.delete(pair));
    } else {
      if (!set.delete(pair)) throw dvErrors.notFoundById(rel.entity2, id2);
      ctx.tx?.undo.push(() => set.add(pair));
    }
    const version = this.nextVersion(ctx);
    this.record(ctx, rel.entity1, {
      message,
      table: rel.entity1,
      id: id1.toLowerCase(),
      changedColumns: [],
      versionNumber: version,
      relationship: { name: relationship, relatedTable: rel.entity2, relatedIds: [id2.toLowerCase()] },
    });
  }

  /**
   * Run `fn` atomically: writes made with this ctx record undo steps; on throw they are undone in
   * reverse and nothing is published; on success events go to onCommitted listeners. Nested calls join the outer one.
   */
  async transaction<T>(ctx: RequestContext, fn: () => Promise<T> | T): Promise<T> {
    if (ctx.tx) return fn();
    const tx = new Transaction();
    ctx.tx = tx;
    this.openTx.add(tx);
    try {
      const result = await fn();
      this.openTx.delete(tx);
      ctx.tx = undefined;
      this.publish(tx.events, tx.changes);
      return result;
    } catch (err) {
      this.openTx.delete(tx);
      ctx.tx = undefined;
      for (let i = tx.undo.length - 1; i >= 0; i--) tx.undo[i]();
      throw err;
    }
  }

  // ---- operator ----
  /** Set a key's index status; activating fails (status Failed) when rows duplicate it (Learn: define-alternate-keys-entity). */
  setKeyStatus(table: string, keyName: string, status: KeyDef['status']): KeyDef['status'] {
    const key = this.mustTable(table).keys.find((k) => k.name === keyName);
    if (!key) throw new DvError(404, '0x80060890', `Table '${table}' has no alternate key named '${keyName}'.`);
    key.status = status === 'Active' && this.keyIndexes.get(table)!.hasDuplicates(key) ? 'Failed' : status;
    return key.status;
  }

  clear(): void {
    this.version = 0;
    for (const t of this.schema.tables.values()) {
      this.rows.set(t.logicalName, new Map());
      this.keyIndexes.set(t.logicalName, new KeyIndex(t));
      this.changeLogs.set(t.logicalName, []);
    }
    this.trimmedVersions.clear();
    for (const name of this.schema.relationships.keys()) this.links.set(name, new Set());
  }

  snapshot(): EnvironmentState {
    const rows: Record<string, Row[]> = {};
    for (const [t, m] of this.rows) rows[t] = [...m.values()];
    const links: EnvironmentState['links'] = {};
    for (const [n, s] of this.links) links[n] = [...s].map((p) => p.split('|') as [string, string]);
    const keyStatus: EnvironmentState['keyStatus'] = {};
    for (const t of this.schema.tables.values()) keyStatus[t.logicalName] = Object.fromEntries(t.keys.map((k) => [k.name, k.status]));
    return structuredClone({ version: this.version, rows, links, keyStatus });
  }

  restore(state: EnvironmentState): void {
    this.clear();
    for (const [t, list] of Object.entries(state.rows)) {
      const def = this.mustTable(t);
      for (const r of list) {
        const id = String(r[def.primaryId]).toLowerCase();
        this.rows.get(t)!.set(id, structuredClone(r));
        this.keyIndexes.get(t)!.add(r, id);
      }
    }
    for (const [n, pairs] of Object.entries(state.links)) {
      const set = this.links.get(n);
      if (!set) throw new Error(`state: relationship "${n}" is not in the schema.`);
      for (const [a, b] of pairs) set.add(`${a}|${b}`);
    }
    for (const [t, ks] of Object.entries(state.keyStatus ?? {})) for (const [k, s] of Object.entries(ks)) this.setKeyStatus(t, k, s);
    this.version = state.version;
  }

  // ---- internals ----
  /** Drop entries older than the retention; delta tokens below the highest dropped version answer ExpiredVersionStamp. */
  private trim(table: string, log: ChangeEntry[], now: number): void {
    const cutoff = now - this.changeRetentionMs;
    if (log.length === 0 || log[0].at >= cutoff) return;
    let drop = 0;
    let highest = this.trimmedVersion(table);
    while (drop < log.length && log[drop].at < cutoff) highest = Math.max(highest, log[drop++].version);
    log.splice(0, drop);
    this.trimmedVersions.set(table, highest);
  }

  private mustTable(table: string): TableDef {
    const def = this.schema.tables.get(table);
    if (!def) throw dvErrors.resourceNotFound(table);
    return def;
  }

  private rowsMap(table: string): Map<string, Row> {
    const m = this.rows.get(table);
    if (!m) throw dvErrors.resourceNotFound(table);
    return m;
  }

  private nextVersion(ctx: RequestContext): number {
    const v = ++this.version;
    if (ctx.tx && ctx.tx.minVersion === undefined) ctx.tx.minVersion = v;
    return v;
  }

  private record(
    ctx: RequestContext,
    table: string,
    partial: Pick<WriteEvent, 'message' | 'table' | 'id' | 'changedColumns' | 'versionNumber'> & Partial<WriteEvent>,
    change?: ChangeEntry['kind'],
  ): void {
    // One fixed object shape (no spread): this runs once per written row on the bulk hot path.
    const event: WriteEvent = {
      message: partial.message,
      table: partial.table,
      id: partial.id,
      preImage: partial.preImage,
      postImage: partial.postImage,
      changedColumns: partial.changedColumns,
      callerColumns: partial.callerColumns,
      relationship: partial.relationship,
      versionNumber: partial.versionNumber,
      userId: ctx.user.systemUserId,
      callerObjectId: ctx.callerObjectId,
      tag: ctx.tag,
      correlationId: ctx.correlationId,
      requestId: ctx.requestId,
      bypassCustomPluginExecution: ctx.bypassPlugins,
      bypassBusinessLogicExecution: ctx.bypassBusinessLogic,
      operationTime: ctx.now,
      depth: 1,
      organizationId: this.info.organizationId,
      organizationName: this.info.uniqueName,
      businessUnitId: this.info.businessUnitId,
    };
    const entry = change ? { table, entry: { version: partial.versionNumber, id: partial.id, kind: change, at: 0 } } : undefined;
    if (ctx.tx) {
      if (!ctx.quiet) ctx.tx.events.push(event);
      if (entry) ctx.tx.changes.push(entry);
    } else {
      this.publish(ctx.quiet ? [] : [event], entry ? [entry] : []);
    }
  }

  private publish(events: WriteEvent[], changes: Transaction['changes']): void {
    const now = Date.now();
    for (const { table, entry } of changes) {
      entry.at = now;
      const log = this.changeLogs.get(table)!;
      log.push(entry);
      this.trim(table, log, now);
    }
    if (events.length === 0) return;
    for (const l of this.listeners) {
      try {
        l(events);
      } catch {
        // A listener's failure (e.g. webhook delivery bookkeeping) must not undo a committed write.
      }
    }
  }
}
