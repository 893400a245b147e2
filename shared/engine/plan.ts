/**
 * Batch planning, before anything is written: parse, route, map, keep the latest version per target
 * row, then compare with the ledger (stale / identical / unchanged columns). Pure except for the
 * single ledger read done by the caller.
 */
import type { ChangeMessage } from '../model/change-message';
import type { Route } from '../routes/schema';
import { ledgerId, type LedgerEntry, type LedgerKey } from '../ledger/types';
import { MappingError } from './errors';
import { compareVersions, formatVersion, orderChange, parseVersion, versionOfChange, type Order, type Version } from '../model/version';
import { hashBody, valueHash } from './hashing';
import { mapChange, type EntitySetResolver, type MappedWrite } from './mapping';
import { parseChangeMessage } from '../model/parse-change-message';
import type { MessageOutcome } from './outcomes';
import { RETRIES_PROPERTY } from './reschedule';

/** One received message as the trigger hands it over. */
export interface IncomingMessage {
  body: unknown;
  messageId: string;
  sessionId?: string;
  correlationId?: string;
  deliveryCount?: number;
  enqueuedTimeUtc?: string;
  applicationProperties?: Record<string, unknown>;
}

export interface PlannedOp {
  index: number;
  incoming: IncomingMessage;
  change: ChangeMessage;
  body: string;
  route: Route;
  rank: number;
  write: MappedWrite;
  lid: string;
  ledgerKey: LedgerKey;
  /** Record-level retries already spent (application property). */
  retries: number;
  /** The change's version on its scales (shared/model/version.ts). */
  version: Version;
  /** Version per written property (columns and binds); a merged op's columns come from several changes. */
  columnVersions: Record<string, Version>;
  /** Older changes of the same target row in this batch, merged into this one (their outcomes follow this op's). */
  merged: PlannedOp[];
  /** The merged changes could not all be ordered against each other: resolve by re-reading the source row. */
  ambiguous: boolean;
  /** The values are the source row as re-read now: newer than any change delivered before the read. */
  current: boolean;
}

export interface Rejection {
  index: number;
  incoming: IncomingMessage;
  body: string;
  change?: ChangeMessage;
  reason: string;
  detail: string;
}

export interface Stage1 {
  ops: PlannedOp[];
  rejected: Rejection[];
  /** Skipped before any I/O (disabled route, ignored delete, superseded). */
  skipped: MessageOutcome[];
}

/**
 * `resolved` holds the complete change for messages whose body was completed (blob, re-read) and
 * `settled` the indexes already decided during resolution; the queue body stays the replayable original.
 */
export function planBatch(
  messages: readonly IncomingMessage[],
  routes: ReadonlyMap<string, Route>,
  ranks: ReadonlyMap<string, number>,
  entitySetOf: EntitySetResolver,
  resolved: ReadonlyMap<number, ChangeMessage> = new Map(),
  settled: ReadonlySet<number> = new Set(),
  current: ReadonlySet<number> = new Set(),
): Stage1 {
  const ops: PlannedOp[] = [];
  const rejected: Rejection[] = [];
  const skipped: MessageOutcome[] = [];
  messages.forEach((incoming, index) => {
    if (settled.has(index)) return;
    const parsed = parseChangeMessage(incoming.body);
    if (!parsed.ok) return rejected.push({ index, incoming, body: parsed.body, reason: 'InvalidMessage', detail: parsed.reason });
    const change = resolved.get(index) ?? parsed.message;
    const route = routes.get(change.route);
    if (!route) {
      return rejected.push({
        index,
        incoming,
        body: parsed.body,
        change,
        reason: 'UnknownRoute',
        detail: `Route "${change.route}" is not in the routes file (known: ${[...routes.keys()].join(', ')}). Add the route or replay the message after fixing the producer.`,
      });
    }
    if (!route.enabled) {
      return skipped.push({
        index,
        messageId: incoming.messageId,
        route: route.name,
        outcome: { status: 'skipped', reason: 'filtered', detail: `route "${route.name}" is disabled` },
        warnings: [],
      });
    }
    if (change.blobRef) {
      return rejected.push({
        index,
        incoming,
        body: parsed.body,
        change,
        reason: 'BlobRefUnsupported',
        detail: `The change lives in blob ${change.blobRef.container}/${change.blobRef.name}, but this engine has no blob reader (no storage configured: set DVSYNC_STORAGE or AzureWebJobsStorage). Replay it once storage is configured.`,
      });
    }
    try {
      const mapped = mapChange(route, change, entitySetOf);
      if (mapped.type === 'ignore') {
        return skipped.push({
          index,
          messageId: incoming.messageId,
          route: route.name,
          outcome: { status: 'skipped', reason: 'ignoredDelete', detail: mapped.reason },
          warnings: [],
        });
      }
      const ledgerKey = { environment: mapped.write.environment, table: mapped.write.table, key: mapped.write.keyText };
      const retries = Number(incoming.applicationProperties?.[RETRIES_PROPERTY] ?? 0);
      ops.push(
        plannedOp({
          index,
          incoming,
          change,
          body: parsed.body,
          route,
          rank: ranks.get(route.name) ?? 0,
          write: mapped.write,
          ledgerKey,
          retries: Number.isFinite(retries) ? retries : 0,
          current: current.has(index),
        }),
      );
    } catch (err) {
      if (!(err instanceof MappingError)) throw err;
      rejected.push({ index, incoming, body: parsed.body, change, reason: 'MappingError', detail: err.message });
    }
  });
  // Changes of one target row merge into one write, per column, in version order (see mergeRow).
  const byRow = new Map<string, PlannedOp[]>();
  for (const op of ops) byRow.set(op.lid, [...(byRow.get(op.lid) ?? []), op]);
  return { ops: [...byRow.values()].map(mergeRow).sort((a, b) => a.index - b.index), rejected, skipped };
}

/** Builds a PlannedOp whose columns all carry the change's own version. */
export function plannedOp(o: Omit<PlannedOp, 'lid' | 'version' | 'columnVersions' | 'merged' | 'ambiguous'>): PlannedOp {
  const version = versionOfChange(o.change.origin, o.change.source, o.change.version);
  const columnVersions: Record<string, Version> = {};
  for (const c of writtenProperties(o.write)) columnVersions[c] = version;
  return { ...o, lid: ledgerId(o.ledgerKey), version, columnVersions, merged: [], ambiguous: false };
}

function writtenProperties(w: MappedWrite): string[] {
  return [...Object.keys(w.columns), ...w.binds.map((b) => b.property)];
}

const isDelete = (op: PlannedOp): boolean => op.change.operation === 'delete';

/**
 * Several changes of one row in a batch become one write: ordered by version (by arrival where two
 * cannot be ordered, and then marked ambiguous so the engine re-reads the row), then folded: a later
 * change's columns win per column, columns a later change does not carry keep the earlier value, and
 * a Delete clears what came before it. Nothing a change carried is dropped because a later one did
 * not carry it.
 */
export function mergeRow(group: PlannedOp[]): PlannedOp {
  if (group.length === 1) return group[0];
  const byArrival = [...group].sort((a, b) => a.index - b.index);
  let ambiguous = false;
  for (let i = 0; i < byArrival.length && !ambiguous; i++) {
    for (let j = i + 1; j < byArrival.length; j++) {
      if (orderOf(byArrival[j], byArrival[i]) === 'unknown') {
        ambiguous = true;
        break;
      }
    }
  }
  // Insertion by version; a tie (the same version delivered twice) keeps arrival order.
  const ordered: PlannedOp[] = [];
  for (const op of byArrival) {
    let at = ordered.length;
    if (!ambiguous) while (at > 0 && orderOf(op, ordered[at - 1]) === 'older') at--;
    ordered.splice(at, 0, op);
  }
  let acc = ordered[0];
  for (const next of ordered.slice(1)) acc = fold(acc, next);
  return {
    ...acc,
    merged: ordered.filter((o) => o !== ordered[ordered.length - 1]).map((o) => ({ ...o, merged: [] })),
    ambiguous: ambiguous || group.some((o) => o.ambiguous),
  };
}

function orderOf(a: PlannedOp, b: PlannedOp): Order {
  return orderChange({ version: a.version, deleted: isDelete(a) }, { version: b.version, deleted: isDelete(b) });
}

/** `next` applied on top of `acc`: the result is `next` carrying the columns of `acc` it does not override. */
function fold(acc: PlannedOp, next: PlannedOp): PlannedOp {
  if (isDelete(next) || isDelete(acc) || next.write.kind === 'delete' || acc.write.kind === 'delete' || next.write.deactivate) return next;
  const replacedLookups = new Set(next.write.binds.map((b) => b.lookupIndex));
  const binds = [...acc.write.binds.filter((b) => !replacedLookups.has(b.lookupIndex)), ...next.write.binds];
  const columnVersions: Record<string, Version> = {};
  for (const b of acc.write.binds) if (!replacedLookups.has(b.lookupIndex)) columnVersions[b.property] = acc.columnVersions[b.property];
  for (const c of Object.keys(acc.write.columns)) columnVersions[c] = acc.columnVersions[c];
  Object.assign(columnVersions, next.columnVersions);
  return { ...next, write: { ...next.write, columns: { ...acc.write.columns, ...next.write.columns }, binds }, columnVersions };
}

export interface Decision {
  op: PlannedOp;
  /** Body to send (only changed columns when skipUnchanged and the ledger knows the row). */
  body: Record<string, unknown>;
  /** What the ledger holds for the row once this write succeeded. */
  next: LedgerEntry;
}

export type LedgerVerdict =
  | { type: 'write'; decision: Decision }
  /** `ledger`: what to record although nothing is written (the version moved on, the values did not). */
  | { type: 'skip'; outcome: MessageOutcome; ledger?: LedgerEntry }
  /** The change cannot be ordered against what was applied: re-read the source row and judge that instead. */
  | { type: 'reread'; op: PlannedOp; why: string };

export interface JudgeOptions {
  /** A source reader is configured: unordered Dataverse changes are resolved by re-reading the row. */
  canReread: boolean;
}

/**
 * Compares one planned op with what the ledger says was applied (README, "How versions are ordered"):
 * - newer than the applied version: written (only changed columns with skipUnchanged);
 * - the same version: already applied (stale);
 * - older: only the columns no newer change has written are written, the rest is stale;
 * - not comparable: skipped when it changes nothing, else re-read from the source (Dataverse sources),
 *   else applied (external sources: the later arrival wins). Never skipped as stale.
 */
export function judge(op: PlannedOp, entry: LedgerEntry | undefined, options: JudgeOptions = { canReread: false }): LedgerVerdict {
  const outcome = (reason: 'stale' | 'identical' | 'filtered', detail: string): MessageOutcome => ({
    index: op.index,
    messageId: op.incoming.messageId,
    route: op.route.name,
    targetKey: op.write.keyText,
    outcome: { status: 'skipped', reason, detail },
    warnings: [],
  });
  const skip = (reason: 'stale' | 'identical' | 'filtered', detail: string, ledger?: LedgerEntry): LedgerVerdict => ({
    type: 'skip',
    outcome: outcome(reason, detail),
    ...(ledger ? { ledger } : {}),
  });
  const w = op.write;
  const mine = formatVersion(op.version);
  if (op.ambiguous && !op.current && options.canReread && op.version.scope.startsWith('dv|'))
    return { type: 'reread', op, why: 'the changes of this row in the batch cannot be ordered against each other' };
  if (!entry) {
    if (w.kind === 'delete') return write(op, {}, { version: mine, hashes: {}, deleted: true });
    const full = fullBody(w);
    return write(op, full, { version: mine, hashes: hashBody(full), deleted: false, ...columnVersionsOf(op, Object.keys(full), mine, {}) });
  }
  const applied = parseVersion(entry.version);
  let order = orderChange({ version: op.version, deleted: isDelete(op) }, { version: applied, deleted: entry.deleted });
  if (op.current && order === 'unknown') order = 'newer';
  const known = !entry.deleted ? entry.hashes : undefined;

  if (w.kind === 'delete' || w.deactivate) {
    if (order === 'same') return skip('stale', `version ${op.change.version} was already applied`);
    if (order === 'older') return skip('stale', `version ${op.change.version} is older than the applied ${describe(entry)}`);
    if (entry.deleted) return skip('identical', 'row already deleted by an earlier change', { ...entry, version: laterText(op, entry) });
    if (order === 'unknown' && options.canReread && op.version.scope.startsWith('dv|'))
      return { type: 'reread', op, why: `version ${op.change.version} cannot be ordered against the applied ${entry.version}` };
    if (w.kind === 'delete') return write(op, {}, { version: mine, hashes: {}, deleted: true });
  }
  if (w.kind === 'create' && !entry.deleted && order === 'same') return skip('stale', `version ${op.change.version} was already applied`);
  if (w.kind === 'create' && !entry.deleted)
    return skip(
      'filtered',
      `createOnly route: the row was already created (applied version ${entry.version})`,
      order === 'newer' ? { ...entry, version: mine } : undefined,
    );
  let full = fullBody(w);
  const canResolve = options.canReread && op.version.scope.startsWith('dv|') && !op.current;
  const columnOrder = (k: string): Order => {
    const at = appliedVersionOf(op.route, entry, k);
    return at ? compareVersions(op.columnVersions[k] ?? op.version, at) : 'newer';
  };
  const unordered = (k: string, v: unknown): boolean => columnOrder(k) === 'unknown' && entry.hashes[k] !== valueHash(v);
  if (op.merged.length > 0 && !op.current) {
    // A merged op carries older changes' columns: each is written only over an older value (per column).
    if (order !== 'unknown' && canResolve && Object.entries(full).some(([k, v]) => unordered(k, v)))
      return { type: 'reread', op, why: 'a merged column cannot be ordered against the applied one' };
    full = Object.fromEntries(Object.entries(full).filter(([k]) => !['older', 'same'].includes(columnOrder(k))));
  }
  const hashes = hashBody(full);

  if (order === 'older' || order === 'same') {
    if (order === 'same' && op.merged.length === 0) return skip('stale', `version ${op.change.version} was already applied`);
    if (entry.deleted)
      return skip('stale', `version ${op.change.version} is ${order === 'same' ? 'the version of' : 'older than'} the deletion applied at ${entry.version}`);
    // Only what no newer change has written: a column the newer changes did not carry keeps this change's value.
    if (canResolve && Object.entries(full).some(([k, v]) => unordered(k, v)))
      return { type: 'reread', op, why: `a column of version ${op.change.version} cannot be ordered against the value applied for it` };
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(full)) {
      const cmp = columnOrder(k);
      if (cmp === 'newer' || (cmp === 'unknown' && known?.[k] !== hashes[k])) body[k] = v;
    }
    const changed = Object.fromEntries(Object.entries(body).filter(([k]) => !op.route.target.skipUnchanged || known?.[k] !== hashes[k]));
    if (Object.keys(changed).length === 0)
      return skip(
        'stale',
        order === 'same'
          ? `version ${op.change.version} was already applied`
          : `version ${op.change.version} is older than the applied ${describe(entry)}, and newer changes wrote every column it carries`,
      );
    const versions = columnVersionsOf(op, Object.keys(body), entry.version, entry.columnVersions ?? {});
    return write(op, changed, { version: entry.version, hashes: { ...known, ...pick(hashes, Object.keys(body)) }, deleted: false, ...versions });
  }

  if (order === 'unknown' && !(known && Object.keys(full).every((k) => known[k] === hashes[k])) && options.canReread && op.version.scope.startsWith('dv|')) {
    return { type: 'reread', op, why: `version ${op.change.version} cannot be ordered against the applied ${entry.version}` };
  }
  // Newer, or unordered (external: the later arrival wins; or it changes nothing).
  const nextVersion = order === 'newer' ? mine : laterText(op, entry);
  const base = known ? (entry.columnVersions ?? {}) : {};
  const keep = known ? Object.keys(known).filter((k) => !(k in full)) : [];
  const versions = columnVersionsOf(op, Object.keys(full), nextVersion, Object.fromEntries(keep.map((k) => [k, base[k] ?? entry.version])));
  const next: LedgerEntry = { version: nextVersion, hashes: { ...known, ...hashes }, deleted: false, ...versions };
  if (!op.route.target.skipUnchanged || !known) return write(op, full, next);
  const body = Object.fromEntries(Object.entries(full).filter(([k]) => known[k] !== hashes[k]));
  if (Object.keys(body).length === 0) return skip('identical', 'no column changed since the last applied write', next);
  return write(op, body, next);
}

function write(op: PlannedOp, body: Record<string, unknown>, next: LedgerEntry): LedgerVerdict {
  return { type: 'write', decision: { op, body, next } };
}

function fullBody(w: MappedWrite): Record<string, unknown> {
  const full: Record<string, unknown> = { ...w.columns };
  for (const b of w.binds) full[b.property] = b.url;
  return full;
}

function pick<T>(o: Record<string, T>, keys: string[]): Record<string, T> {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}

/** The row version the ledger will hold after an unordered change: the op's, unless it is comparably older (then the applied one stays). */
function laterText(op: PlannedOp, entry: LedgerEntry): string {
  const o = compareVersions(op.version, parseVersion(entry.version));
  return o === 'older' ? entry.version : formatVersion(op.version);
}

function describe(entry: LedgerEntry): string {
  return `${entry.deleted ? 'deletion' : 'version'} ${entry.version}`;
}

/**
 * `columnVersions` for the ledger: the written properties at the op's column versions, `others` as
 * they were; entries equal to the row version are left out (the common case stores nothing).
 */
function columnVersionsOf(op: PlannedOp, written: string[], rowVersion: string, others: Record<string, string>): { columnVersions?: Record<string, string> } {
  const all: Record<string, string> = { ...others };
  for (const k of written) all[k] = formatVersion(op.columnVersions[k] ?? op.version);
  const out = Object.fromEntries(Object.entries(all).filter(([, v]) => v !== rowVersion));
  return Object.keys(out).length > 0 ? { columnVersions: out } : {};
}

/**
 * The version a property was last written at, if it was written: a lookup counts as one column over
 * all its navigation properties (a polymorphic lookup moved from account to contact).
 */
function appliedVersionOf(route: Route, entry: LedgerEntry, property: string): Version | undefined {
  const family = lookupFamily(route, property);
  let best: Version | undefined;
  for (const p of family) {
    if (!(p in entry.hashes)) continue;
    const v = parseVersion(entry.columnVersions?.[p] ?? entry.version);
    if (!best || compareVersions(v, best) === 'newer') best = v;
  }
  return best;
}

function lookupFamily(route: Route, property: string): string[] {
  if (!property.endsWith('@odata.bind')) return [property];
  for (const l of route.target.lookups) {
    const tables = Array.isArray(l.targetTable) ? l.targetTable : [l.targetTable];
    const props = tables.map((t) => `${typeof l.navigationProperty === 'string' ? l.navigationProperty : (l.navigationProperty[t] ?? '')}@odata.bind`);
    if (props.includes(property)) return props;
  }
  return [property];
}
