/** What the ledger knows about one target row. */
export interface LedgerEntry {
  /**
   * Version of the newest change applied to the row, stored as `<scope>#<stamps>` (shared/model/version.ts);
   * a bare decimal in ledgers written before that scheme.
   */
  version: string;
  /** Target column (or `<navprop>@odata.bind`) → hash of the value last written. */
  hashes: Record<string, string>;
  /**
   * Columns whose last written value came from an older change than `version` (changes merge per
   * column: a later change that does not carry a column leaves the earlier change's value in place).
   * Absent: every hashed column is at `version`.
   */
  columnVersions?: Record<string, string>;
  /** The last applied change deleted (or deactivated-by-delete) the row. */
  deleted: boolean;
}

/** Identifies one target row: environment, table logical name and the formatted alternate key. */
export interface LedgerKey {
  environment: string;
  table: string;
  /** Formatted key, e.g. `accountnumber='A-1'` (see shared/engine/keys.ts). */
  key: string;
}

export type LedgerWrite = LedgerKey & LedgerEntry;

/** The ledger as the engine uses it (a port, so the engine can be tested against a failing ledger). */
export interface RecordLedgerPort {
  read(keys: readonly LedgerKey[]): Promise<Map<string, LedgerEntry>>;
  write(entries: readonly LedgerWrite[]): Promise<void>;
}

export function ledgerId(k: LedgerKey): string {
  return `${k.environment}\u0000${k.table}\u0000${k.key}`;
}
