/** An open transaction: undo steps (run in reverse on rollback) and the events/changes it will publish on commit. */
import type { ChangeEntry, WriteEvent } from '../types';

export class Transaction {
  readonly undo: Array<() => void> = [];
  readonly events: WriteEvent[] = [];
  readonly changes: Array<{ table: string; entry: ChangeEntry }> = [];
  /** Lowest versionnumber written inside this transaction (keeps change-tracking tokens below uncommitted writes). */
  minVersion?: number;
}
