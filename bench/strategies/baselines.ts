/**
 * The usual ways of loading Dataverse, as baselines: one PATCH per record (sequential like a flow's
 * apply-to-each, or 20 in parallel), and one `$batch` of 100 upserts at a time. All address rows by
 * alternate key and bind the contact's account by key, with Power Automate's default retry policy.
 */
import { staticTokenProvider } from '../../shared/dataverse/auth';
import { DataverseClient } from '../../shared/dataverse/client';
import type { BatchOperation } from '../../shared/dataverse/batch';
import { mapBounded } from '../../shared/util/bounded';
import { accountColumns, contactColumns, type BenchRecord } from '../workload';
import { withPowerAutomateRetry, type RetryStats } from './power-automate-retry';

function keyLiteral(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

export function writeOf(r: BenchRecord): { url: string; body: Record<string, unknown> } {
  if (r.kind === 'account') return { url: `accounts(accountnumber=${keyLiteral(r.number)})`, body: accountColumns(r) };
  return {
    url: `contacts(dvs_externalid=${keyLiteral(r.externalId)})`,
    body: { ...contactColumns(r), 'parentcustomerid_account@odata.bind': `/accounts(accountnumber=${keyLiteral(r.account)})` },
  };
}

export function benchClient(apiUrl: string, user: string): DataverseClient {
  return new DataverseClient({ baseUrl: apiUrl, tokens: staticTokenProvider(user) });
}

export async function perRecord(records: readonly BenchRecord[], apiUrl: string, dop: number, timeScale: number): Promise<RetryStats> {
  const client = benchClient(apiUrl, 'bench-flow');
  const stats: RetryStats = { retries: 0, failedAfterRetries: 0 };
  await mapBounded(records, dop, async (r) => {
    const w = writeOf(r);
    const key = w.url.slice(w.url.indexOf('(') + 1, -1);
    const set = w.url.slice(0, w.url.indexOf('('));
    const column = key.slice(0, key.indexOf('='));
    const value = r.kind === 'account' ? r.number : r.externalId;
    await withPowerAutomateRetry(timeScale, stats, () => client.upsert(set, { [column]: value }, w.body));
  });
  return stats;
}

export async function batch100(records: readonly BenchRecord[], apiUrl: string, timeScale: number): Promise<RetryStats> {
  const client = benchClient(apiUrl, 'bench-batch');
  const stats: RetryStats = { retries: 0, failedAfterRetries: 0 };
  for (let i = 0; i < records.length; i += 100) {
    const ops: BatchOperation[] = records.slice(i, i + 100).map((r) => ({ method: 'PATCH', ...writeOf(r) }));
    await withPowerAutomateRetry(timeScale, stats, async () => {
      const res = await client.batch(ops, { continueOnError: true });
      const failed = res.outcomes.filter((o) => o.state === 'failed').length;
      stats.failedAfterRetries += failed; // a failed part is not retried by the usual batch loop: its record is lost
      return res;
    });
  }
  return stats;
}
