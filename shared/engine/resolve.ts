/**
 * Before planning: messages whose body is not the whole change are completed from where the rest lives.
 * - `blobRef`: the change was too large for Service Bus; the full message is in Blob storage.
 * - `reread: true`: the webhook payload was stripped; the source row is read again from the source
 *   environment and its current values replace the stripped ones (a row deleted since is skipped: its
 *   Delete event carries the deletion).
 * The original queue body is kept for rescheduling and failure records (it stays small).
 */
import { mapBounded } from '../util/bounded';
import type { ChangeMessage } from '../model/change-message';
import type { Route } from '../routes/schema';
import { BatchTransientError, BlobNotFoundError } from './errors';
import { asWriteFailure } from './write-failure';
import { dataverseStamps, rowStamps } from '../model/version';
import { parseChangeMessage } from '../model/parse-change-message';
import type { IncomingMessage } from './plan';
import type { BlobReadPort, SourceReadPort } from './ports';

export interface ResolvePorts {
  sources?: SourceReadPort;
  blobs?: BlobReadPort;
}

export type Unresolved = {
  index: number;
  change: ChangeMessage;
  route: Route;
  reason: string;
  detail: string;
} & (
  | { type: 'skip' }
  | { type: 'fail'; dv?: { status?: number; code?: string; kind?: string } }
  /** notBefore set: the throttle said when; otherwise a bounded record-level retry with backoff. */
  | { type: 'retry'; notBefore?: Date; dv?: { status?: number; code?: string } }
);

export interface Resolution {
  /** Message index → the complete change to plan instead of the queue body. */
  changes: Map<number, ChangeMessage>;
  /** Indexes whose change is the source row as re-read now. */
  current: Set<number>;
  unresolved: Unresolved[];
}

export async function resolveMessages(
  messages: readonly IncomingMessage[],
  routes: ReadonlyMap<string, Route>,
  ports: ResolvePorts,
  concurrency: number,
): Promise<Resolution> {
  const changes = new Map<number, ChangeMessage>();
  const current = new Set<number>();
  const unresolved: Unresolved[] = [];
  const pending: Array<{ index: number; change: ChangeMessage; route: Route }> = [];
  messages.forEach((m, index) => {
    const parsed = parseChangeMessage(m.body);
    if (!parsed.ok) return; // planning records it as InvalidMessage
    const route = routes.get(parsed.message.route);
    if (!route || !route.enabled) return;
    if ((parsed.message.blobRef && ports.blobs) || parsed.message.reread) pending.push({ index, change: parsed.message, route });
  });
  await mapBounded(pending, concurrency, async ({ index, change, route }) => {
    let full = change;
    if (change.blobRef && ports.blobs) {
      const fromBlob = await readBlob(ports.blobs, change, route, index);
      if (fromBlob.type !== 'ready') return void unresolved.push(fromBlob.unresolved);
      full = fromBlob.change;
    }
    if (full.reread && full.operation === 'upsert') {
      const reread = await rereadSource(ports.sources, full, route, index, 'skip');
      if (reread.type !== 'ready') return void unresolved.push(reread.unresolved);
      full = reread.change;
      current.add(index);
    }
    changes.set(index, full);
  });
  return { changes, current, unresolved };
}

export type Step = { type: 'ready'; change: ChangeMessage } | { type: 'unresolved'; unresolved: Unresolved };

async function readBlob(blobs: BlobReadPort, change: ChangeMessage, route: Route, index: number): Promise<Step> {
  const ref = change.blobRef as NonNullable<ChangeMessage['blobRef']>;
  const where = `blob ${ref.container}/${ref.name}`;
  let text: string;
  try {
    text = await blobs.read(ref.container, ref.name);
  } catch (err) {
    if (err instanceof BlobNotFoundError)
      return { type: 'unresolved', unresolved: { type: 'fail', index, change, route, reason: 'BlobMissing', detail: err.message } };
    throw new BatchTransientError(`Reading the large change message from ${where} failed (${(err as Error).message}); the batch will be redelivered.`, {
      cause: err,
    });
  }
  const parsed = parseChangeMessage(text);
  if (!parsed.ok)
    return {
      type: 'unresolved',
      unresolved: {
        type: 'fail',
        index,
        change,
        route,
        reason: 'InvalidMessage',
        detail: `The ${where} named by the message does not hold a valid change: ${parsed.reason}`,
      },
    };
  if (parsed.message.route !== change.route || parsed.message.version !== change.version) {
    const detail = `The ${where} holds route "${parsed.message.route}" version ${parsed.message.version}, but the queue message says route "${change.route}" version ${change.version}; refusing to apply a mismatched body.`;
    return { type: 'unresolved', unresolved: { type: 'fail', index, change, route, reason: 'InvalidMessage', detail } };
  }
  const { blobRef: _ignored, ...rest } = parsed.message;
  return { type: 'ready', change: rest as ChangeMessage };
}

/**
 * The source row as it is now, as a change: its values and its own version (row version, modifiedon).
 * A row that no longer exists is skipped (`missing: 'skip'`, its Delete event carries the deletion) or
 * becomes a Delete (`missing: 'delete'`, when the re-read decides between changes that cannot be ordered).
 */
export async function rereadSource(
  sources: SourceReadPort | undefined,
  change: ChangeMessage,
  route: Route,
  index: number,
  missing: 'skip' | 'delete',
  now: () => Date = () => new Date(),
): Promise<Step> {
  const environment = change.source.environment ?? route.source.environment;
  const id = change.source.id;
  const fail = (reason: string, detail: string, dv?: { status?: number; code?: string; kind?: string }): Step => ({
    type: 'unresolved',
    unresolved: { type: 'fail', index, change, route, reason, detail, dv },
  });
  if (!sources)
    return fail(
      'RereadUnsupported',
      'The message asks for a re-read of the source row (its payload was stripped) but this engine has no source reader; configure DVSYNC_ENVIRONMENTS for the source environment.',
    );
  if (!environment || !id) {
    return fail(
      'RereadImpossible',
      `The message asks for a re-read of the source row but names no ${environment ? 'source.id' : "source environment (source.environment or the route's source.environment)"}; the stripped values cannot be completed.`,
    );
  }
  try {
    const row = await sources.readRow(environment, change.source.table, id);
    const readAt = now().getTime();
    if (!row && missing === 'delete')
      return { type: 'ready', change: { ...change, operation: 'delete', version: dataverseStamps(undefined, undefined, readAt), reread: false } };
    if (!row) {
      return {
        type: 'unresolved',
        unresolved: {
          type: 'skip',
          index,
          change,
          route,
          reason: 'sourceDeleted',
          detail: `re-read of ${change.source.table}(${id}) in "${environment}": the row no longer exists; its Delete event applies the deletion`,
        },
      };
    }
    const version = rowStamps(row, readAt);
    return { type: 'ready', change: { ...change, operation: 'upsert', values: row, version, reread: false } };
  } catch (err) {
    const f = asWriteFailure(err);
    const what = `Re-reading ${change.source.table}(${id}) in "${environment}"`;
    if (f.retry === 'later')
      return {
        type: 'unresolved',
        unresolved: { type: 'retry', index, change, route, reason: 'Throttled', detail: `${what}: ${f.message}`, notBefore: f.notBefore ?? now() },
      };
    if (f.reason === 'transient' || f.reason === 'overloaded') {
      return {
        type: 'unresolved',
        unresolved: { type: 'retry', index, change, route, reason: 'Transient', detail: `${what} failed transiently: ${f.message}`, dv: { ...f.vendor } },
      };
    }
    if (f.reason === 'rejected') return fail('RereadFailed', `${what} failed: ${f.message}`, { ...f.vendor, kind: f.kind });
    return fail('RereadFailed', `${what} failed: ${f.message}`);
  }
}
