/**
 * A sink that keeps rows in memory: what adding a sink takes (a folder implementing shared/engine/sink.ts
 * `Sink`, its errors as WriteFailure), driven by the real engine in test/integration/sinks/. Rows are
 * `table → key text → columns`. Every path is all-or-nothing; a row whose `refuse` column is true is
 * refused (a record failure), and `failNext` makes the next request fail as the caller says.
 */
import type { Sink, SinkAction, WritePath } from '../../../shared/engine/sink';
import { WriteFailure, type WriteFailureInit } from '../../../shared/engine/write-failure';

export class MemorySink implements Sink {
  readonly tables = new Map<string, Map<string, Record<string, unknown>>>();
  readonly requests: Array<{ environment: string; path: WritePath; actions: number }> = [];
  private next: WriteFailureInit[] = [];

  constructor(private readonly inFlight = 2) {}

  /** The next requests fail with these, one each. */
  failNext(...failures: WriteFailureInit[]): void {
    this.next.push(...failures);
  }

  rows(table: string): Record<string, Record<string, unknown>> {
    return Object.fromEntries(this.tables.get(table) ?? []);
  }

  async apply(environment: string, path: WritePath, actions: readonly SinkAction[]): Promise<void> {
    this.requests.push({ environment, path, actions: actions.length });
    const failure = this.next.shift();
    if (failure) throw new WriteFailure(failure);
    const refused = actions.find((a) => a.body.refuse === true);
    if (refused)
      throw new WriteFailure({ reason: 'rejected', kind: 'validation', message: `row ${keyText(refused)} of ${refused.table} is refused by the memory sink` });
    const missing = actions.find((a) => a.kind === 'update' && !this.table(a.table).has(keyText(a)));
    if (missing) throw new WriteFailure({ reason: 'rejected', kind: 'notFound', message: `row ${keyText(missing)} of ${missing.table} does not exist` });
    // All-or-nothing: every check passed, now apply.
    for (const a of actions) {
      const rows = this.table(a.table);
      if (a.kind === 'delete') rows.delete(keyText(a));
      else rows.set(keyText(a), { ...(rows.get(keyText(a)) ?? {}), ...a.key, ...a.body });
    }
  }

  parallelism(): number {
    return this.inFlight;
  }

  private table(name: string): Map<string, Record<string, unknown>> {
    let rows = this.tables.get(name);
    if (!rows) this.tables.set(name, (rows = new Map()));
    return rows;
  }
}

function keyText(a: SinkAction): string {
  return JSON.stringify(a.key);
}
