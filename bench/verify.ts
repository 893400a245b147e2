/** Compares the emulator's final rows with the expected state: lost, duplicated and wrong rows. */
import type { ExpectedRow } from './workload';

export interface Verdict {
  lost: number;
  duplicated: number;
  wrong: number;
  /** A few examples, for the report when something is off. */
  examples: string[];
}

export function verify(expected: ReadonlyMap<string, ExpectedRow>, rows: Record<string, Array<Record<string, unknown>>>): Verdict {
  const accounts = rows.account ?? [];
  const contacts = rows.contact ?? [];
  const byKey = new Map<string, Array<Record<string, unknown>>>();
  for (const r of accounts) push(byKey, `account/${r.accountnumber}`, r);
  for (const r of contacts) push(byKey, `contact/${r.dvs_externalid}`, r);
  const accountIdOf = new Map(accounts.map((r) => [String(r.accountid), String(r.accountnumber)]));
  const v: Verdict = { lost: 0, duplicated: 0, wrong: 0, examples: [] };
  const note = (s: string) => v.examples.length < 5 && v.examples.push(s);
  for (const [id, want] of expected) {
    const found = byKey.get(id) ?? [];
    if (found.length === 0) {
      v.lost++;
      note(`lost ${id}`);
      continue;
    }
    if (found.length > 1) {
      v.duplicated += found.length - 1;
      note(`${found.length} rows for ${id}`);
    }
    const row = found[0];
    const diff = Object.entries(want.values).filter(([k, val]) => row[k] !== val);
    const parent = (row.parentcustomerid as { id?: string } | null | undefined)?.id;
    const parentOk = want.parent === undefined || accountIdOf.get(String(parent)) === want.parent;
    if (diff.length > 0 || !parentOk) {
      v.wrong++;
      note(
        `wrong ${id}: ${diff.map(([k, val]) => `${k}=${JSON.stringify(row[k])} (expected ${JSON.stringify(val)})`).join(', ')}${parentOk ? '' : ` parent ${parent} (expected ${want.parent})`}`,
      );
    }
  }
  return v;
}

function push(m: Map<string, Array<Record<string, unknown>>>, k: string, r: Record<string, unknown>): void {
  const list = m.get(k);
  if (list) list.push(r);
  else m.set(k, [r]);
}
