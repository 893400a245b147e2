/**
 * The port every sink implements: a write is a list of actions on target rows addressed by key, sent
 * together on one write path (as a Tables transaction is a list of actions). The engine chooses the path
 * and the chunk, the sink turns the actions into its requests and its errors into WriteFailure
 * (./write-failure.ts). Sinks live in shared/sinks/<name>/ and are registered in shared/sinks/index.ts.
 */
export type KeyValue = string | number;

export type ActionKind = 'upsert' | 'create' | 'update' | 'delete';

/** One write to one target row. */
export interface SinkAction {
  /** upsert: create or update by key; create: only if absent; update: only if present; delete by key. */
  kind: ActionKind;
  /** Target table name. */
  table: string;
  /** The route's addressing name of the table (the Dataverse entity set), from the route's target. */
  entitySet: string;
  /** Key column → value, in the route's key order. */
  key: Record<string, KeyValue>;
  /** Columns and references to write (never the key columns). Empty for delete. */
  body: Record<string, unknown>;
}

/**
 * bulk: many actions of one kind, all-or-nothing, in one request; changeSet: a transaction of actions,
 * all-or-nothing; single: one action per request.
 */
export type WritePath = 'bulk' | 'changeSet' | 'single';

/** What one call may spend: no wait (throttle pause, backoff) may run past the deadline (epoch ms). */
export interface ApplyOptions {
  deadline?: number;
}

export interface Sink {
  /** Sends the actions on the path as one all-or-nothing request. Failures throw WriteFailure; a wait past the deadline is one (`later`). */
  apply(environment: string, path: WritePath, actions: readonly SinkAction[], options?: ApplyOptions): Promise<void>;
  /** Requests the environment takes in flight right now; the engine option chunksInFlight overrides it. */
  parallelism?(environment: string): number;
}

/** A route names its sink in `target.sink`; without one it writes to Dataverse. */
export const DEFAULT_SINK = 'dataverse';
