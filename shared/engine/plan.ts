/**
 * Batch planning, before anything is written: parse, route, map, keep the latest version per target
 * row, then compare with the ledger (stale / identical / unchanged columns). Pure except for the
 * single ledger read done by the caller.
 */
import type { ChangeMessage } from '../model/change-message';
import type { Route } from '../routes/schema';
import { ledgerId, type LedgerEntry, type LedgerKey } from '../ledger/types';
import { MappingError } from './errors';
import { hashBody } from './hashing';
import { mapChange, type EntitySetResolver, type MappedWrite } from './mapping';
import { parseChangeMessage } from './message';
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
      return rejected.push({ index, incoming, body: parsed.body, change, reason: 'UnknownRoute', detail: `Route "${change.route}" is not in the routes file (known: ${[...routes.keys()].join(', ')}). Add the route or replay the message after fixing the producer.` });
    }
    if (!route.enabled) {
      return skipped.push({ index, messageId: incoming.messageId, route: route.name, outcome: { status: 'skipped', reason: 'filtered', detail: `route "${route.name}" is disabled` }, warnings: [] });
    }
    if (change.blobRef) {
      return rejected.push({ index, incoming, body: parsed.body, change, reason: 'BlobRefUnsupported', detail: `The change lives in blob ${change.blobRef.container}/${change.blobRef.name}, but this engine has no blob reader (no storage configured: set DVSYNC_STORAGE or AzureWebJobsStorage). Replay it once storage is configured.` });
    }
    try {
      const mapped = mapChange(route, change, entitySetOf);
      if (mapped.type === 'ignore') {
        return skipped.push({ index, messageId: incoming.messageId, route: route.name, outcome: { status: 'skipped', reason: 'ignoredDelete', detail: mapped.reason }, warnings: [] });
      }
      const ledgerKey = { environment: mapped.write.environment, table: mapped.write.table, key: mapped.write.keyText };
      const retries = Number(incoming.applicationProperties?.[RETRIES_PROPERTY] ?? 0);
      ops.push({ index, incoming, change, body: parsed.body, route, rank: ranks.get(route.name) ?? 0, write: mapped.write, lid: ledgerId(ledgerKey), ledgerKey, retries: Number.isFinite(retries) ? retries : 0 });
    } catch (err) {
      if (!(err instanceof MappingError)) throw err;
      rejected.push({ index, incoming, body: parsed.body, change, reason: 'MappingError', detail: err.message });
    }
  });
  // Latest version per target row wins; ties go to the later message.
  const latest = new Map<string, PlannedOp>();
  for (const op of ops) {
    const cur = latest.get(op.lid);
    if (!cur || BigInt(op.change.version) >= BigInt(cur.change.version)) latest.set(op.lid, op);
  }
  const kept = ops.filter((op) => latest.get(op.lid) === op);
  for (const op of ops) {
    if (latest.get(op.lid) === op) continue;
    const winner = latest.get(op.lid) as PlannedOp;
    skipped.push({ index: op.index, messageId: op.incoming.messageId, route: op.route.name, targetKey: op.write.keyText, outcome: { status: 'skipped', reason: 'superseded', detail: `version ${op.change.version} superseded by version ${winner.change.version} in the same batch` }, warnings: [] });
  }
  return { ops: kept, rejected, skipped };
}

export interface Decision {
  op: PlannedOp;
  /** Body to send (only changed columns when skipUnchanged and the ledger knows the row). */
  body: Record<string, unknown>;
  /** Hashes the ledger will hold after this write succeeds. */
  nextHashes: Record<string, string>;
}

export type LedgerVerdict = { type: 'write'; decision: Decision } | { type: 'skip'; outcome: MessageOutcome; ledgerVersionOnly?: boolean };

/** Compares one planned op with what the ledger says was applied last. */
export function judge(op: PlannedOp, entry: LedgerEntry | undefined): LedgerVerdict {
  const skip = (reason: 'stale' | 'identical' | 'filtered', detail: string, ledgerVersionOnly = false): LedgerVerdict => ({
    type: 'skip',
    ledgerVersionOnly,
    outcome: { index: op.index, messageId: op.incoming.messageId, route: op.route.name, targetKey: op.write.keyText, outcome: { status: 'skipped', reason, detail }, warnings: [] },
  });
  if (entry && BigInt(entry.version) >= BigInt(op.change.version)) {
    return skip('stale', `version ${op.change.version} is not newer than applied version ${entry.version}`);
  }
  const w = op.write;
  if (w.kind === 'delete') {
    if (entry?.deleted) return skip('identical', 'row already deleted by an earlier change', true);
    return { type: 'write', decision: { op, body: {}, nextHashes: {} } };
  }
  if (w.kind === 'create' && entry && !entry.deleted) return skip('filtered', `createOnly route: the row was already created (applied version ${entry.version})`, true);
  const full: Record<string, unknown> = { ...w.columns };
  for (const b of w.binds) full[b.property] = b.url;
  const hashes = hashBody(full);
  const known = entry && !entry.deleted ? entry.hashes : undefined;
  if (!op.route.target.skipUnchanged || !known) return { type: 'write', decision: { op, body: full, nextHashes: { ...known, ...hashes } } };
  const body = Object.fromEntries(Object.entries(full).filter(([k]) => known[k] !== hashes[k]));
  if (Object.keys(body).length === 0) return skip('identical', 'no column changed since the last applied write', true);
  return { type: 'write', decision: { op, body, nextHashes: { ...known, ...hashes } } };
}
