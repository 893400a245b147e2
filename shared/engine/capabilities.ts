/**
 * Which write path a table gets: bulk message → `$batch` change set → single requests. Configurable per
 * table; a path the server refuses for a table is remembered as unsupported for the process lifetime.
 */
import type { TableCapabilities } from './options';
import type { ActionKind, WritePath } from './sink';

export type { WritePath } from './sink';

export class CapabilityRegistry {
  private readonly refused = new Set<string>();

  constructor(private readonly configured: Record<string, Partial<TableCapabilities>>) {}

  private config(env: string, table: string): TableCapabilities {
    return { bulk: true, elastic: false, changeSet: true, ...this.configured[table], ...this.configured[`${env}/${table}`] };
  }

  isElastic(env: string, table: string): boolean {
    return this.config(env, table).elastic;
  }

  /** Paths to try in order for a write kind (bulk never applies to deletes on standard tables). */
  paths(env: string, table: string, kind: ActionKind): WritePath[] {
    const c = this.config(env, table);
    const out: WritePath[] = [];
    if (c.bulk && kind !== 'delete' && !this.refused.has(`${env}/${table}/bulk/${kind}`)) out.push('bulk');
    if (c.changeSet && !this.refused.has(`${env}/${table}/changeSet/${kind}`)) out.push('changeSet');
    out.push('single');
    return out;
  }

  markUnsupported(env: string, table: string, path: WritePath, kind: string): void {
    if (path !== 'single') this.refused.add(`${env}/${table}/${path}/${kind}`);
  }
}

/**
 * Batch size per (environment, table, path): starts at Microsoft's guidance, halves under pressure
 * (timeouts, slow requests), grows back by a quarter after each clean request.
 */
export class BatchSizer {
  private readonly sizes = new Map<string, number>();

  constructor(private readonly min: number) {}

  current(id: string, start: number): number {
    return this.sizes.get(id) ?? start;
  }

  shrink(id: string, start: number): number {
    const next = Math.max(this.min, Math.floor(this.current(id, start) / 2));
    this.sizes.set(id, next);
    return next;
  }

  grow(id: string, start: number): void {
    const now = this.current(id, start);
    if (now < start) this.sizes.set(id, Math.min(start, Math.ceil(now * 1.25)));
  }
}
