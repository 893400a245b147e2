/** What the ledger knows about one target row. */
export interface LedgerEntry {
  /** Last applied source version (decimal string, compared as BigInt). */
  version: string;
  /** Target column (or `<navprop>@odata.bind`) → hash of the value last written. */
  hashes: Record<string, string>;
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
