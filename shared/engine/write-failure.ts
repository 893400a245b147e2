/**
 * How a sink (or the source reader) says a call failed, in the engine's terms. The sink's adapter is the
 * only code that knows its vendor's status codes, error codes and message texts; the engine reads these
 * fields and nothing else.
 */
import { Failure, type Retry } from '../model/failure';
import type { SystemicCause } from '../ledger/circuits';

export type { SystemicCause } from '../ledger/circuits';

/** Why one record was refused (kept in its failure record). */
export type RecordKind = 'notFound' | 'precondition' | 'duplicateKey' | 'validation' | 'privilege' | 'auth' | 'permanent';

/** What the target said about a missing row, as far as it said it. */
export interface MissingRow {
  /** Whether the answer names this table as the one whose row is missing. */
  mentions(table: string): boolean;
  /** The answer is about a referenced row (looked up by id), not the row addressed by key. */
  byReference: boolean;
}

export type WriteFailureReason =
  /** later: the server paced the user (no more requests to this environment in this batch). */
  | 'throttled'
  /** later: a transient failure's backoff is longer than the time left. */
  | 'backoff'
  /** redeliver: try the same request again. */
  | 'transient'
  /** redeliver: the request was too heavy (timeout, deadlock): shrink the chunk and split. */
  | 'overloaded'
  /** redeliver on another path: the sink does not offer this write path for the table. */
  | 'unsupported'
  /** never, for the whole route: no record of it can succeed until the target or the configuration changes. */
  | 'systemic'
  /** never: this record's data is refused. */
  | 'rejected';

export interface WriteFailureInit {
  reason: WriteFailureReason;
  message: string;
  notBefore?: Date;
  retryAfterMs?: number;
  /** systemic: what stops the route. */
  systemic?: SystemicCause;
  /** rejected: what kind of refusal. */
  kind?: RecordKind;
  /** rejected: the row, or a row it references, does not exist. */
  missingRow?: MissingRow;
  /** rejected (create): the row already exists. */
  rowExists?: boolean;
  /** The target's own words for the operator's failure record: HTTP status, vendor code. Never read to decide. */
  vendor?: { status?: number; code?: string };
  cause?: unknown;
}

const RETRY: Record<WriteFailureReason, Retry> = {
  throttled: 'later',
  backoff: 'later',
  transient: 'redeliver',
  overloaded: 'redeliver',
  unsupported: 'redeliver',
  systemic: 'never',
  rejected: 'never',
};

export class WriteFailure extends Failure {
  override name = 'WriteFailure';
  declare readonly reason: WriteFailureReason;
  readonly systemic: SystemicCause | undefined;
  readonly kind: RecordKind | undefined;
  readonly missingRow: MissingRow | undefined;
  readonly rowExists: boolean;
  readonly vendor: { status?: number; code?: string };

  constructor(init: WriteFailureInit) {
    super(init.reason, RETRY[init.reason], init.message, { notBefore: init.notBefore, retryAfterMs: init.retryAfterMs, cause: init.cause });
    if (init.reason === 'systemic' && init.systemic === undefined)
      throw new TypeError('A systemic WriteFailure names its cause (systemic: auth, privilege, inactiveKey, unknownColumn or unknownTable).');
    this.systemic = init.systemic;
    this.kind = init.kind ?? (init.reason === 'rejected' ? 'permanent' : undefined);
    this.missingRow = init.missingRow;
    this.rowExists = init.rowExists ?? false;
    this.vendor = init.vendor ?? {};
  }
}

/**
 * A thrown error as a WriteFailure: the sink's own, a `later` Failure (the throttle's RescheduleError)
 * as throttled/backoff, anything else (a bug, a network error no adapter translated) as transient.
 */
export function asWriteFailure(err: unknown): WriteFailure {
  if (err instanceof WriteFailure) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Failure && err.retry === 'later') {
    return new WriteFailure({ reason: err.reason === 'backoff' ? 'backoff' : 'throttled', message, notBefore: err.notBefore ?? new Date(), cause: err });
  }
  if (err instanceof Failure && err.retry === 'never') return new WriteFailure({ reason: 'rejected', message, cause: err });
  return new WriteFailure({ reason: 'transient', message, cause: err });
}
