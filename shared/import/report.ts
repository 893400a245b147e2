/** The import's running totals (stored in the checkpoint) and the final report. */
import type { ChunkTally } from './apply';

export interface ImportCounts {
  read: number;
  valid: number;
  invalid: number;
  /** Valid records the route's filters (trigger conditions) exclude: skipped, with the reason in the report. */
  filtered: number;
  applied: number;
  skippedUnchanged: number;
  alreadyApplied: number;
  superseded: number;
  failed: number;
}

export const zeroCounts = (): ImportCounts => ({
  read: 0,
  valid: 0,
  invalid: 0,
  filtered: 0,
  applied: 0,
  skippedUnchanged: 0,
  alreadyApplied: 0,
  superseded: 0,
  failed: 0,
});

export function addTally(c: ImportCounts, t: ChunkTally): void {
  c.applied += t.applied;
  c.skippedUnchanged += t.skippedUnchanged;
  c.alreadyApplied += t.alreadyApplied;
  c.superseded += t.superseded;
  c.failed += t.failed;
}

export interface LineProblem {
  line: number;
  endLine?: number;
  reason: string;
}

export interface ImportReport {
  file: string;
  route: string;
  importId: string;
  checkpoint: string;
  /** Line the run started after (0 = from the start); > 0 means it resumed a checkpoint. */
  resumedAfterLine: number;
  /** Last line covered by the checkpoint when the run ended. */
  completedThroughLine: number;
  complete: boolean;
  counts: ImportCounts;
  /** Invalid records seen in this run (first N; all are in the failures table). */
  invalid: LineProblem[];
  /** Records Dataverse or the mapping refused in this run (first N; all are in the failures table). */
  failed: LineProblem[];
  /** Records the route's filters excluded in this run (first N). */
  filtered: LineProblem[];
  seconds: number;
}

export function formatReport(r: ImportReport): string {
  const c = r.counts;
  const lines = [
    `Import of ${r.file} for route "${r.route}" ${r.complete ? 'complete' : `stopped after line ${r.completedThroughLine}`}${r.resumedAfterLine > 0 ? ` (resumed after line ${r.resumedAfterLine})` : ''} in ${r.seconds.toFixed(1)} s`,
    `  read ${c.read}, valid ${c.valid}, invalid ${c.invalid}, filtered out by the route ${c.filtered ?? 0}`,
    `  applied ${c.applied}, skipped unchanged ${c.skippedUnchanged}, already applied ${c.alreadyApplied}, superseded by a later line ${c.superseded}, failed ${c.failed}`,
  ];
  const list = (title: string, ps: LineProblem[], total: number, stored = true) => {
    if (total === 0) return;
    lines.push(`  ${title} (${total}${ps.length < total ? `, first ${ps.length} listed${stored ? '; all are in the failures table' : ''}` : ''}):`);
    for (const p of ps) lines.push(`    line ${p.line}${p.endLine && p.endLine !== p.line ? `-${p.endLine}` : ''}: ${p.reason}`);
  };
  list('invalid records', r.invalid, c.invalid);
  list('failed records', r.failed, c.failed);
  list('records the route filters out', r.filtered, c.filtered ?? 0, false);
  lines.push(`  checkpoint: ${r.checkpoint}`);
  return `${lines.join('\n')}\n`;
}
