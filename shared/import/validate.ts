/**
 * One file record → a ChangeMessage for the route, or the precise reason it is invalid. Checks the
 * record against the route's `source.recordColumns` (unknown columns, types; CSV text is converted)
 * and then runs the engine's own mapping, so a record that would fail mapping (missing key, bad
 * lookup value) is reported with its line number before anything is written.
 */
import { CHANGE_MESSAGE_VERSION, type ChangeMessage } from '../model/change-message';
import type { SourceRow, SourceValue } from '../model/source-value';
import type { Route } from '../routes/schema';
import { MappingError } from '../engine/errors';
import { mapChange, type EntitySetResolver } from '../engine/mapping';
import { ImportConfigError } from './options';

type ColumnType = NonNullable<Route['source']['recordColumns']>[string];

export type Validation = { ok: true; message: ChangeMessage } | { ok: false; reason: string };

export interface RecordContext {
  importId: string;
  line: number;
  /** The record's version (see versionOf in runner.ts). */
  version: string;
  receivedAt: string;
}

export class RecordValidator {
  private readonly columns: Record<string, ColumnType>;

  constructor(
    private readonly route: Route,
    private readonly entitySetOf: EntitySetResolver,
    private readonly textCells: boolean,
  ) {
    if (!route.source.recordColumns) {
      throw new ImportConfigError(
        `Route "${route.name}" has no source.recordColumns, so it does not accept imported records. Add recordColumns (column → string|number|integer|boolean|datetime|any) to the route.`,
      );
    }
    this.columns = route.source.recordColumns;
  }

  validate(record: Record<string, unknown>, ctx: RecordContext): Validation {
    const values: SourceRow = {};
    const problems: string[] = [];
    for (const [column, raw] of Object.entries(record)) {
      const type = this.columns[column];
      if (type === undefined) {
        problems.push(`column "${column}" is not in route "${this.route.name}" source.recordColumns [${Object.keys(this.columns).join(', ')}]`);
        continue;
      }
      const r = this.textCells ? fromText(raw as string, type) : fromJson(raw, type);
      if ('error' in r) problems.push(`column "${column}": ${r.error}`);
      else values[column] = r.value;
    }
    if (problems.length) return { ok: false, reason: problems.join('; ') };
    const message: ChangeMessage = {
      v: CHANGE_MESSAGE_VERSION,
      route: this.route.name,
      origin: 'import',
      operation: 'upsert',
      source: { table: this.route.source.table, importId: ctx.importId, line: ctx.line },
      version: ctx.version,
      values,
      receivedAt: ctx.receivedAt,
    };
    try {
      mapChange(this.route, message, this.entitySetOf);
    } catch (err) {
      if (err instanceof MappingError) return { ok: false, reason: err.message };
      throw err;
    }
    return { ok: true, message };
  }
}

type Converted = { value: SourceValue } | { error: string };

function fromJson(v: unknown, type: ColumnType): Converted {
  if (v === null) return { value: null };
  switch (type) {
    case 'any':
      return isSourceValue(v) ? { value: v as SourceValue } : { error: `value ${JSON.stringify(v)} is not a plain value` };
    case 'string':
      return typeof v === 'string' ? { value: v } : { error: `expected a string, got ${JSON.stringify(v)}` };
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? { value: v } : { error: `expected a number, got ${JSON.stringify(v)}` };
    case 'integer':
      return Number.isInteger(v) ? { value: v as number } : { error: `expected an integer, got ${JSON.stringify(v)}` };
    case 'boolean':
      return typeof v === 'boolean' ? { value: v } : { error: `expected true or false, got ${JSON.stringify(v)}` };
    case 'datetime':
      return typeof v === 'string' && isIsoDate(v) ? { value: v } : { error: `expected an ISO 8601 date/time text, got ${JSON.stringify(v)}` };
  }
}

/** CSV cells are text: an empty cell is null (the column is cleared); others are converted per type. */
function fromText(v: string, type: ColumnType): Converted {
  if (v === '') return { value: null };
  switch (type) {
    case 'any':
    case 'string':
      return { value: v };
    case 'number': {
      const n = Number(v.trim());
      return v.trim() !== '' && Number.isFinite(n) ? { value: n } : { error: `expected a number, got ${JSON.stringify(v)}` };
    }
    case 'integer': {
      const n = Number(v.trim());
      return /^[+-]?\d+$/.test(v.trim()) && Number.isSafeInteger(n) ? { value: n } : { error: `expected an integer, got ${JSON.stringify(v)}` };
    }
    case 'boolean': {
      const t = v.trim().toLowerCase();
      if (t === 'true' || t === '1') return { value: true };
      if (t === 'false' || t === '0') return { value: false };
      return { error: `expected true/false (or 1/0), got ${JSON.stringify(v)}` };
    }
    case 'datetime':
      return isIsoDate(v.trim()) ? { value: v.trim() } : { error: `expected an ISO 8601 date/time, got ${JSON.stringify(v)}` };
  }
}

function isIsoDate(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && !Number.isNaN(Date.parse(s));
}

function isSourceValue(v: unknown): boolean {
  return (
    v === null ||
    ['string', 'number', 'boolean'].includes(typeof v) ||
    (typeof v === 'object' && !Array.isArray(v) && typeof (v as { $type?: unknown }).$type === 'string')
  );
}
