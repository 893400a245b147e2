/**
 * Dataverse wire values (DataContract JSON) → SourceValue (shared/model/source-value.ts).
 * Type dispatch on `__type` (split on the first ':'); a bare array of OptionSetValue is a multi-select;
 * `/Date(ms)/` strings are dates; GUIDs stay strings (the wire carries no type for them).
 * Malformed typed values are reported with their path; values of types we do not model
 * (e.g. AliasedValue, nested entities) are skipped and listed, never guessed at.
 */
import type { SourceRow, SourceValue } from '../model/source-value';
import { ExactNumber } from '../util/json';
import { formatPath, type PathProblem } from '../util/path';

export interface ConvertContext {
  problems: PathProblem[];
  skipped: PathProblem[];
}

const DATE = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;

/** `/Date(ms±hhmm)/` with standard semantics: ms is the UTC instant, the offset is informational. */
export function parseWireDate(text: string): Date | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const d = new Date(Number(m[1]));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * OperationCreatedOn of async steps carries an offset and, in every real sample, the ms are shifted:
 * the UTC instant is ms + offset (fixtures 1, 7 and 8 in test/fixtures/dataverse-webhook). Sync values have no offset.
 */
export function parseOperationCreatedOn(text: string): Date | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  let ms = Number(m[1]);
  if (m[2]) {
    const sign = m[2][0] === '-' ? -1 : 1;
    const minutes = Number(m[2].slice(1, 3)) * 60 + Number(m[2].slice(3, 5));
    ms += sign * minutes * 60_000;
  }
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function typeName(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const t = (v as { __type?: unknown }).__type;
  if (typeof t !== 'string') return undefined;
  const i = t.indexOf(':');
  return i < 0 ? t : t.slice(0, i);
}

type Path = ReadonlyArray<PropertyKey>;

function problem(ctx: ConvertContext, path: Path, message: string): undefined {
  ctx.problems.push({ path: formatPath(path), message });
  return undefined;
}

function isGuid(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(v);
}

function intValue(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

/** Key/value array → plain record (later keys win, as Dataverse never repeats them). */
export function keyValues(list: ReadonlyArray<{ key: string; value: unknown }> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) Object.defineProperty(out, kv.key, { value: kv.value, enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * One attribute value. `label` is the FormattedValue of the column when the entity carried one.
 * Returns undefined (and records why) for values that are malformed or not modelled.
 */
export function convertValue(v: unknown, path: Path, ctx: ConvertContext, label?: string): SourceValue | undefined {
  if (v === null || typeof v === 'boolean' || typeof v === 'number') return v;
  if (v instanceof ExactNumber) return { $type: 'decimal', value: v.text };
  if (typeof v === 'string') {
    if (v.startsWith('/Date(')) {
      const d = parseWireDate(v);
      return d ? { $type: 'datetime', iso: d.toISOString() } : problem(ctx, path, `malformed date "${v}" (expected /Date(milliseconds)/)`);
    }
    return v;
  }
  if (Array.isArray(v)) {
    // Multi-select choice: a bare array of OptionSetValue objects (possibly empty).
    const values: number[] = [];
    for (let i = 0; i < v.length; i++) {
      const item = v[i];
      const n = typeName(item) === 'OptionSetValue' ? intValue((item as { Value?: unknown }).Value) : undefined;
      if (n === undefined)
        return problem(ctx, [...path, i], 'expected an OptionSetValue {"__type":"OptionSetValue:…","Value":<integer>} in a multi-select array');
      values.push(n);
    }
    const labels = label ? label.split('; ') : undefined;
    return labels && labels.length === values.length ? { $type: 'choices', values, labels } : { $type: 'choices', values };
  }
  const obj = v as Record<string, unknown>;
  switch (typeName(v)) {
    case 'EntityReference': {
      if (!isGuid(obj.Id)) return problem(ctx, [...path, 'Id'], 'EntityReference needs Id (a GUID)');
      if (typeof obj.LogicalName !== 'string' || !obj.LogicalName)
        return problem(ctx, [...path, 'LogicalName'], 'EntityReference needs LogicalName (a table logical name)');
      const ref: SourceValue & { $type: 'reference' } = { $type: 'reference', table: obj.LogicalName, id: obj.Id.toLowerCase() };
      const name = typeof obj.Name === 'string' ? obj.Name : label;
      if (name !== undefined) ref.name = name;
      const keys = referenceKeys(obj.KeyAttributes);
      if (keys) ref.keys = keys;
      return ref;
    }
    case 'OptionSetValue': {
      const n = intValue(obj.Value);
      if (n === undefined) return problem(ctx, [...path, 'Value'], 'OptionSetValue needs Value (an integer)');
      return label !== undefined ? { $type: 'choice', value: n, label } : { $type: 'choice', value: n };
    }
    case 'Money': {
      const m = obj.Value;
      if (typeof m === 'number') return { $type: 'money', value: m };
      if (m instanceof ExactNumber) return { $type: 'money', value: m.toNumber(), exact: m.text }; // digits a number would lose
      return problem(ctx, [...path, 'Value'], 'Money needs Value (a number)');
    }
    case 'EntityCollection': {
      if (!Array.isArray(obj.Entities)) return problem(ctx, [...path, 'Entities'], 'EntityCollection needs Entities (an array of entities)');
      const table = typeof obj.EntityName === 'string' ? obj.EntityName : '';
      const rows: SourceRow[] = [];
      obj.Entities.forEach((e, i) => {
        const at = [...path, 'Entities', i];
        if (e === null || typeof e !== 'object' || Array.isArray(e)) {
          problem(ctx, at, 'expected an entity {"Attributes": [...], "FormattedValues": [...]}');
          return;
        }
        const attrs = (e as { Attributes?: unknown }).Attributes;
        if (!Array.isArray(attrs)) {
          problem(ctx, [...at, 'Attributes'], 'expected an entity with an Attributes key/value array');
          return;
        }
        const formatted = formattedValues((e as { FormattedValues?: unknown }).FormattedValues, [...at, 'FormattedValues'], ctx);
        if (formatted === undefined) return;
        rows.push(convertAttributes(attrs as Array<{ key: string; value: unknown }>, formatted, [...at, 'Attributes'], ctx));
      });
      return { $type: 'collection', table, rows };
    }
    default:
      ctx.skipped.push({ path: formatPath(path), message: `value of type "${typeName(v) ?? 'object'}" is not carried (not a column type the engine maps)` });
      return undefined;
  }
}

/**
 * A nested entity's FormattedValues, held to the same shape as a Target's or an image's (remote-context.ts):
 * absent, or an array of `{key: <column>, value: <text or null>}`. Undefined (and a problem) otherwise.
 */
function formattedValues(list: unknown, path: Path, ctx: ConvertContext): Record<string, unknown> | undefined {
  if (list === undefined) return {};
  if (!Array.isArray(list)) return problem(ctx, path, 'expected FormattedValues as a key/value array ([{"key": "<column>", "value": "<text>"}])');
  for (let i = 0; i < list.length; i++) {
    const kv: unknown = list[i];
    if (kv === null || typeof kv !== 'object' || Array.isArray(kv))
      return problem(ctx, [...path, i], 'expected a formatted value {"key": "<column>", "value": "<text>"}');
    const { key, value } = kv as { key?: unknown; value?: unknown };
    if (typeof key !== 'string') return problem(ctx, [...path, i, 'key'], 'expected the column logical name (a string)');
    if (value !== null && typeof value !== 'string') return problem(ctx, [...path, i, 'value'], 'expected the formatted text (a string or null)');
  }
  return keyValues(list as Array<{ key: string; value: unknown }>);
}

function referenceKeys(list: unknown): Record<string, string | number> | undefined {
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const keys: Record<string, string | number> = {};
  for (const kv of list as Array<{ key?: unknown; value?: unknown }>) {
    if (typeof kv?.key === 'string' && (typeof kv.value === 'string' || typeof kv.value === 'number')) keys[kv.key] = kv.value;
  }
  return Object.keys(keys).length ? keys : undefined;
}

/** An entity's Attributes key/value array → SourceRow, with FormattedValues used as labels. */
export function convertAttributes(
  attributes: ReadonlyArray<{ key: unknown; value: unknown }>,
  formatted: Record<string, unknown>,
  path: Path,
  ctx: ConvertContext,
): SourceRow {
  const row: SourceRow = {};
  attributes.forEach((kv, i) => {
    if (typeof kv?.key !== 'string' || !kv.key) {
      problem(ctx, [...path, i, 'key'], 'expected an attribute logical name (string)');
      return;
    }
    const label = typeof formatted[kv.key] === 'string' ? (formatted[kv.key] as string) : undefined;
    const value = convertValue(kv.value, [...path, i, 'value'], ctx, label);
    if (value !== undefined) Object.defineProperty(row, kv.key, { value, enumerable: true, writable: true, configurable: true });
  });
  return row;
}
