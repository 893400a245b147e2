/**
 * The SDK value model of a RemoteExecutionContext (Entity, EntityReference, OptionSetValue, Money,
 * EntityCollection, dates, decimals) and a JSON writer that prints it the way WCF's
 * DataContractJsonSerializer does on the wire: keys in the order given, `\/` for slashes,
 * `\u00xx` for control characters, decimals with their scale, `/Date(ms)/` strings.
 * Key order matters: DataContract members are alphabetical, `__type` first.
 */

export const CONTRACTS = 'http://schemas.microsoft.com/xrm/2011/Contracts';

/** A .NET decimal printed with its scale (exchangerate `1.0000000000`). */
export class XrmDecimal {
  constructor(
    readonly value: number,
    readonly scale?: number,
  ) {}
  text(): string {
    return this.scale === undefined ? String(this.value) : this.value.toFixed(this.scale);
  }
}

/** A DateTime: `/Date(ms)/`, or `/Date(ms±hhmm)/` when an offset is given. */
export class XrmDate {
  constructor(
    readonly ms: number,
    readonly offsetMinutes?: number,
  ) {}
  text(): string {
    if (this.offsetMinutes === undefined) return `/Date(${this.ms})/`;
    const sign = this.offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(this.offsetMinutes);
    return `/Date(${this.ms}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')})/`;
  }
}

export interface XrmEntityReference {
  kind: 'ref';
  id: string;
  logicalName: string;
  name: string | null;
}
export interface XrmOptionSet {
  kind: 'option';
  value: number;
}
export interface XrmMoney {
  kind: 'money';
  value: number;
}
export interface XrmEntityCollection {
  kind: 'collection';
  entityName: string;
  entities: XrmEntity[];
}

export type XrmValue =
  null | string | number | boolean | XrmDecimal | XrmDate | XrmEntityReference | XrmOptionSet | XrmMoney | XrmOptionSet[] | XrmEntityCollection;

export interface XrmEntity {
  logicalName: string;
  id: string;
  attributes: Array<[string, XrmValue]>;
  formattedValues: Array<[string, string]>;
  rowVersion: string | null;
}

export const ref = (logicalName: string, id: string, name: string | null = null): XrmEntityReference => ({ kind: 'ref', id, logicalName, name });
export const option = (value: number): XrmOptionSet => ({ kind: 'option', value });
export const money = (value: number): XrmMoney => ({ kind: 'money', value });

// ---- JSON tree in wire order ----

/** An ordered JSON tree: objects are arrays of [key, value] so insertion order is the wire order. */
export type Json = null | string | number | boolean | XrmDecimal | XrmDate | Json[] | JsonObject;
export class JsonObject {
  constructor(readonly entries: Array<[string, Json]>) {}
  get(key: string): Json | undefined {
    return this.entries.find(([k]) => k === key)?.[1];
  }
}
export const obj = (...entries: Array<[string, Json]>): JsonObject => new JsonObject(entries);
/** A key/value collection (`[{"key":…,"value":…}]`), lowercase as on the wire. */
export const kv = (pairs: Array<[string, Json]>): Json[] => pairs.map(([k, v]) => obj(['key', k], ['value', v]));

const typed = (name: string, ...rest: Array<[string, Json]>): JsonObject => obj(['__type', `${name}:${CONTRACTS}`], ...rest);

export function referenceJson(r: XrmEntityReference, withType: boolean): JsonObject {
  const body: Array<[string, Json]> = [
    ['Id', r.id],
    ['KeyAttributes', []],
    ['LogicalName', r.logicalName],
    ['Name', r.name],
    ['RowVersion', null],
  ];
  return withType ? typed('EntityReference', ...body) : obj(...body);
}

/** Entity: `__type` only where the wire has it (InputParameters Target), never in images or collections. */
export function entityJson(e: XrmEntity, withType: boolean): JsonObject {
  const body: Array<[string, Json]> = [
    ['Attributes', kv(e.attributes.map(([k, v]) => [k, valueJson(v)]))],
    ['EntityState', null],
    ['FormattedValues', kv(e.formattedValues)],
    ['Id', e.id],
    ['KeyAttributes', []],
    ['LogicalName', e.logicalName],
    ['RelatedEntities', []],
    ['RowVersion', e.rowVersion],
  ];
  return withType ? typed('Entity', ...body) : obj(...body);
}

export function valueJson(v: XrmValue): Json {
  if (v === null || typeof v !== 'object' || v instanceof XrmDecimal || v instanceof XrmDate) return v;
  if (Array.isArray(v)) return v.map((o) => typed('OptionSetValue', ['Value', o.value]));
  switch (v.kind) {
    case 'ref':
      return referenceJson(v, true);
    case 'option':
      return typed('OptionSetValue', ['Value', v.value]);
    case 'money':
      return typed('Money', ['Value', v.value]);
    case 'collection':
      return typed(
        'EntityCollection',
        ['Entities', v.entities.map((e) => entityJson(e, false))],
        ['EntityName', v.entityName],
        ['MinActiveRowVersion', '-1'],
        ['MoreRecords', false],
        ['PagingCookie', null],
        ['TotalRecordCount', -1],
        ['TotalRecordCountLimitExceeded', false],
      );
  }
}

// ---- writer ----

function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '/') out += '\\/';
    else if (c < 0x20 || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Print a tree compactly, DataContractJsonSerializer style. */
export function writeJson(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`RemoteExecutionContext: cannot serialize the number ${v}.`);
    return String(v);
  }
  if (v instanceof XrmDecimal) return v.text();
  if (v instanceof XrmDate) return quote(v.text());
  if (Array.isArray(v)) return `[${v.map(writeJson).join(',')}]`;
  return `{${v.entries.map(([k, x]) => `${quote(k)}:${writeJson(x)}`).join(',')}}`;
}
