/** What happened to each message of a batch (for telemetry and tests). */
import type { Circuit } from '../ledger/circuits';

export type SkipReason = 'stale' | 'identical' | 'superseded' | 'filtered' | 'ignoredDelete' | 'sourceDeleted';

export type Outcome =
  | { status: 'applied'; path?: 'bulk' | 'changeSet' | 'single'; detail?: string }
  | { status: 'skipped'; reason: SkipReason; detail: string }
  | { status: 'failed'; reason: string; detail: string }
  | { status: 'rescheduled'; reason: string; notBefore: string; messageId: string; detail?: string };

export interface MessageOutcome {
  index: number;
  messageId: string;
  route?: string;
  targetKey?: string;
  outcome: Outcome;
  warnings: string[];
}

export interface BatchResult {
  outcomes: MessageOutcome[];
  counts: Record<'applied' | 'skipped' | 'failed' | 'rescheduled', number>;
  /** Circuits this batch opened (first occurrence only) and closed (a probe succeeded). */
  circuits?: { opened: Circuit[]; closed: string[] };
}

export function countOutcomes(outcomes: readonly MessageOutcome[]): BatchResult['counts'] {
  const counts = { applied: 0, skipped: 0, failed: 0, rescheduled: 0 };
  for (const o of outcomes) counts[o.outcome.status]++;
  return counts;
}
