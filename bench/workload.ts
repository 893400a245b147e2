/**
 * The benchmark workload, deterministic: accounts and contacts (each contact looks its account up by
 * alternate key), streamed in groups (a group's accounts, then their contacts), a share of rows that
 * already exist (seeded with old values, so the workload updates them) and, at the end, a share of
 * unchanged repeats (the same values again). `expected` is the state every strategy must end with.
 */
import type { ChangeMessage } from '../shared/model/change-message';
import type { Route } from '../shared/routes/schema';
import { routeSchema } from '../shared/routes/schema';

export interface WorkloadSpec {
  groups: number;
  accountsPerGroup: number;
  contactsPerAccount: number;
  /** Share of accounts and contacts that exist before the run (seeded with other values). */
  existingShare: number;
  /** Unchanged repeats appended, as a share of the distinct records. */
  repeatShare: number;
}

export const DEFAULT_WORKLOAD: WorkloadSpec = { groups: 60, accountsPerGroup: 100, contactsPerAccount: 2, existingShare: 0.25, repeatShare: 0.11 };

export type BenchRecord =
  | { kind: 'account'; seq: number; number: string; name: string; city: string; employees: number }
  | { kind: 'contact'; seq: number; externalId: string; first: string; last: string; account: string };

export interface Workload {
  spec: WorkloadSpec;
  records: BenchRecord[];
  /** Rows loaded before each strategy (Web API create bodies). */
  seed: { account: Array<Record<string, unknown>>; contact: Array<Record<string, unknown>> };
  repeats: number;
  existing: number;
}

/** Tiny deterministic PRNG so every run and strategy sees the same workload. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
}

export function buildWorkload(spec: WorkloadSpec = DEFAULT_WORKLOAD): Workload {
  const random = prng(20240601);
  const records: BenchRecord[] = [];
  const seed: Workload['seed'] = { account: [], contact: [] };
  let seq = 0;
  for (let g = 0; g < spec.groups; g++) {
    const accounts: BenchRecord[] = [];
    for (let a = 0; a < spec.accountsPerGroup; a++) {
      const n = g * spec.accountsPerGroup + a;
      accounts.push({
        kind: 'account',
        seq: seq++,
        number: `A-${n}`,
        name: `Account ${n}`,
        city: ['Oslo', 'Lyon', 'Porto', 'Graz'][n % 4],
        employees: 10 + (n % 500),
      });
      if (random() < spec.existingShare) seed.account.push({ accountnumber: `A-${n}`, name: `Old account ${n}`, address1_city: 'Unknown' });
    }
    records.push(...accounts);
    for (const acc of accounts) {
      for (let c = 0; c < spec.contactsPerAccount; c++) {
        const id = `${(acc as { number: string }).number}-C${c}`;
        records.push({ kind: 'contact', seq: seq++, externalId: id, first: `First ${c}`, last: `Last ${id}`, account: (acc as { number: string }).number });
        if (random() < spec.existingShare) seed.contact.push({ dvs_externalid: id, lastname: `Old ${id}` });
      }
    }
  }
  const distinct = records.length;
  const repeats = Math.round(distinct * spec.repeatShare);
  for (let i = 0; i < repeats; i++) records.push({ ...records[Math.floor(random() * distinct)], seq: seq++ });
  return { spec, records, seed, repeats, existing: seed.account.length + seed.contact.length };
}

/** The first `groups` groups only (parents still before their children): the slow baselines' subset. */
export function subset(w: Workload, groups: number): BenchRecord[] {
  const perGroup = w.spec.accountsPerGroup * (1 + w.spec.contactsPerAccount);
  return w.records.slice(0, Math.min(groups, w.spec.groups) * perGroup);
}

export interface ExpectedRow {
  table: 'account' | 'contact';
  key: string;
  values: Record<string, unknown>;
  /** Contacts: the accountnumber their parentcustomerid must point to. */
  parent?: string;
}

/** The final state after applying `records` in order (last write per key wins). */
export function expectedState(records: readonly BenchRecord[]): Map<string, ExpectedRow> {
  const out = new Map<string, ExpectedRow>();
  for (const r of records) {
    if (r.kind === 'account') out.set(`account/${r.number}`, { table: 'account', key: r.number, values: accountColumns(r) });
    else out.set(`contact/${r.externalId}`, { table: 'contact', key: r.externalId, values: contactColumns(r), parent: r.account });
  }
  return out;
}

export function accountColumns(r: Extract<BenchRecord, { kind: 'account' }>): Record<string, unknown> {
  return { name: r.name, address1_city: r.city, numberofemployees: r.employees };
}

export function contactColumns(r: Extract<BenchRecord, { kind: 'contact' }>): Record<string, unknown> {
  return { firstname: r.first, lastname: r.last };
}

/** The routes the engine strategies use (the same mapping the baselines hard-code). */
export const BENCH_ROUTES: Route[] = [
  {
    name: 'bench-accounts',
    source: { table: 'erp_account', recordColumns: { number: 'string', name: 'string', city: 'string', employees: 'integer' } },
    target: {
      environment: 'target',
      table: 'account',
      entitySet: 'accounts',
      key: ['accountnumber'],
      columns: { accountnumber: 'number', name: 'name', address1_city: 'city', numberofemployees: 'employees' },
    },
  },
  {
    name: 'bench-contacts',
    source: { table: 'erp_contact', recordColumns: { id: 'string', first: 'string', last: 'string', account: 'string' } },
    target: {
      environment: 'target',
      table: 'contact',
      entitySet: 'contacts',
      key: ['dvs_externalid'],
      columns: { dvs_externalid: 'id', firstname: 'first', lastname: 'last' },
      lookups: [{ from: 'account', navigationProperty: 'parentcustomerid_account', targetTable: 'account', key: ['accountnumber'], missingParent: 'retry' }],
    },
  },
].map((r) => routeSchema.parse(r));

export function toChangeMessage(r: BenchRecord, baseVersion: number): ChangeMessage {
  const common = {
    v: 1 as const,
    origin: 'import' as const,
    operation: 'upsert' as const,
    version: String(baseVersion + r.seq),
    receivedAt: new Date().toISOString(),
  };
  if (r.kind === 'account')
    return {
      ...common,
      route: 'bench-accounts',
      source: { table: 'erp_account' },
      values: { number: r.number, name: r.name, city: r.city, employees: r.employees },
    };
  return {
    ...common,
    route: 'bench-contacts',
    source: { table: 'erp_contact' },
    values: { id: r.externalId, first: r.first, last: r.last, account: r.account },
  };
}
