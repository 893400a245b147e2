/**
 * An in-memory stand-in for the Dataverse write port (used until the Dataverse emulator lands): rows by
 * alternate key, all-or-nothing bulk and change sets, 404 0x80060891 on a bind to a missing parent,
 * 412 on create-only duplicates, 400 validation for values "__bad__", and tables without bulk support.
 */
import type { BulkMessage, DataverseWritePort, TargetWrite } from '../../../shared/engine/ports';
import { formatKey } from '../../../shared/engine/keys';

export class FakeDataverseError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly kind: string, readonly retryable = false) {
    super(message);
  }
}

export class FakeDataverse implements DataverseWritePort {
  readonly rows = new Map<string, Record<string, unknown>>(); // `${set}(${key})` → row
  readonly received: Array<{ path: string; writes: TargetWrite[] }> = [];
  readonly noBulk = new Set<string>();
  throwNext: unknown[] = [];

  async writeMultiple(_env: string, message: BulkMessage, writes: readonly TargetWrite[]): Promise<void> {
    this.received.push({ path: `bulk:${message}`, writes: [...writes] });
    if (this.noBulk.has(writes[0].table)) throw new FakeDataverseError(404, '0x8006088a', `Resource not found for the segment '${message}'.`, 'notFound');
    this.atomically(writes);
  }

  async writeChangeSet(_env: string, writes: readonly TargetWrite[]): Promise<void> {
    this.received.push({ path: 'changeSet', writes: [...writes] });
    this.atomically(writes);
  }

  async writeOne(_env: string, write: TargetWrite): Promise<void> {
    this.received.push({ path: 'single', writes: [write] });
    this.atomically([write]);
  }

  private atomically(writes: readonly TargetWrite[]): void {
    const next = this.throwNext.shift();
    if (next) throw next;
    const staged = new Map(this.rows);
    for (const w of writes) this.apply(staged, w);
    for (const [k, v] of staged) this.rows.set(k, v);
    for (const k of [...this.rows.keys()]) if (!staged.has(k)) this.rows.delete(k);
  }

  private apply(rows: Map<string, Record<string, unknown>>, w: TargetWrite): void {
    const id = `${w.entitySet}(${formatKey(w.key)})`;
    const existing = rows.get(id);
    if (w.kind === 'delete') {
      if (!existing) throw new FakeDataverseError(404, '0x80060891', `A record with the specified key values does not exist in ${w.table} entity`, 'notFound');
      rows.delete(id);
      return;
    }
    for (const [k, v] of Object.entries(w.body)) {
      if (v === '__bad__') throw new FakeDataverseError(400, '0x80044331', `A validation error occurred. The value of '${k}' is invalid.`, 'validation');
      if (k.endsWith('@odata.bind') && typeof v === 'string') {
        const table = /^\/(\w+)\(/.exec(v)?.[1]?.replace(/s$/, '') ?? '?';
        if (!rows.has(v.slice(1))) throw new FakeDataverseError(404, '0x80060891', `A record with the specified key values does not exist in ${table} entity`, 'notFound');
      }
    }
    if (w.kind === 'create' && existing) throw new FakeDataverseError(412, '0x80040237', 'A record with matching key values already exists.', 'duplicateKey');
    if (w.kind === 'update' && !existing) throw new FakeDataverseError(404, '0x80060891', `A record with the specified key values does not exist in ${w.table} entity`, 'notFound');
    rows.set(id, { ...existing, ...w.key, ...w.body });
  }
}
