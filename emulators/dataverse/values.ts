/**
 * Coerce JSON body values to typed column values, with the errors Dataverse gives for a wrong
 * type (0x80048d19 payload error naming the Edm type) or an invalid value (0x80044331 validation).
 */
import { dvErrors } from './errors';
import type { ColumnDef, TableDef } from './schema/model';
import type { ColumnValue } from './types';
import { isGuid } from './path';

export function edmType(col: ColumnDef): string {
  switch (col.type) {
    case 'string':
    case 'memo':
    case 'multichoice':
      return 'Edm.String';
    case 'int':
    case 'choice':
      return 'Edm.Int32';
    case 'bigint':
      return 'Edm.Int64';
    case 'decimal':
    case 'money':
      return 'Edm.Decimal';
    case 'double':
      return 'Edm.Double';
    case 'bool':
      return 'Edm.Boolean';
    case 'datetime':
      return col.dateOnly ? 'Edm.Date' : 'Edm.DateTimeOffset';
    case 'uniqueidentifier':
    case 'lookup':
    case 'customer':
    case 'owner':
      return 'Edm.Guid';
  }
}

const INT32 = { min: -2147483648, max: 2147483647 };

function cannotConvert(table: TableDef, col: ColumnDef, v: unknown): Error {
  return dvErrors.payload(
    table.entitySetName,
    `Microsoft.OData.ODataException: Cannot convert the literal '${typeof v === 'string' ? v : JSON.stringify(v)}' to the expected type '${edmType(col)}' for property '${col.logicalName}'.`,
  );
}

/** Coerce one body value for a non-lookup column. Lookups go through @odata.bind (rows/body.ts). */
export function coerceValue(table: TableDef, col: ColumnDef, v: unknown): ColumnValue {
  if (v === null) {
    if (col.required)
      throw dvErrors.validation(`The '${col.logicalName}' attribute of the '${table.logicalName}' entity is required and cannot be set to null.`);
    return null;
  }
  switch (col.type) {
    case 'string':
    case 'memo': {
      if (typeof v !== 'string') throw cannotConvert(table, col, v);
      if (v.length > col.maxLength) {
        throw dvErrors.validation(
          `The length of the '${col.logicalName}' attribute of the '${table.logicalName}' entity exceeded the maximum allowed length of '${col.maxLength}'.`,
        );
      }
      return v;
    }
    case 'int':
    case 'bigint': {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw cannotConvert(table, col, v);
      const min = col.type === 'int' ? (col.min ?? INT32.min) : Number.MIN_SAFE_INTEGER;
      const max = col.type === 'int' ? (col.max ?? INT32.max) : Number.MAX_SAFE_INTEGER;
      if (v < min || v > max)
        throw dvErrors.validation(
          `The value ${v} of '${col.logicalName}' on record of type '${table.logicalName}' is outside the valid range (${min} to ${max}).`,
        );
      return v;
    }
    case 'decimal':
    case 'money':
    case 'double': {
      const n = typeof v === 'string' && col.type !== 'double' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw cannotConvert(table, col, v);
      return col.type === 'double' ? n : Number(n.toFixed(col.precision));
    }
    case 'bool':
      if (typeof v !== 'boolean') throw cannotConvert(table, col, v);
      return v;
    case 'datetime': {
      if (typeof v !== 'string') throw cannotConvert(table, col, v);
      if (col.dateOnly) {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(v))) throw cannotConvert(table, col, v);
        return v;
      }
      if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(v) || Number.isNaN(Date.parse(v))) throw cannotConvert(table, col, v);
      // Dataverse stores UTC to the second and returns e.g. 2024-01-02T03:04:05Z.
      return new Date(v).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    case 'uniqueidentifier':
      if (typeof v !== 'string' || !isGuid(v)) throw cannotConvert(table, col, v);
      return v.toLowerCase();
    case 'choice': {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw cannotConvert(table, col, v);
      if (!col.options.some((o) => o.value === v)) throw invalidOption(table, col, v);
      return v;
    }
    case 'multichoice': {
      // The Web API sends multi-select choices as a comma-separated string: "1,3".
      if (typeof v !== 'string' || !/^\s*-?\d+(\s*,\s*-?\d+)*\s*$|^$/.test(v)) throw cannotConvert(table, col, v);
      const values = v === '' ? [] : v.split(',').map((x) => Number(x.trim()));
      for (const x of values) if (!col.options.some((o) => o.value === x)) throw invalidOption(table, col, x);
      return values;
    }
    case 'lookup':
    case 'customer':
    case 'owner':
      throw dvErrors.payload(
        table.entitySetName,
        `Lookup '${col.logicalName}' cannot be set with a plain value; use "<navigation property>@odata.bind": "/<entityset>(<id>)".`,
      );
  }
}

function invalidOption(table: TableDef, col: Extract<ColumnDef, { options: unknown }>, v: number): Error {
  return dvErrors.validation(
    `The value ${v} of '${col.logicalName}' on record of type '${table.logicalName}' is outside the valid range. Accepted Values: ${col.options.map((o) => o.value).join(',')}`,
  );
}

/** JSON form of a stored value (multi-select → "1,3"; lookups are emitted by serialize.ts as _x_value). */
export function toJson(v: ColumnValue): unknown {
  if (Array.isArray(v)) return v.join(',');
  if (v !== null && typeof v === 'object') return v.id;
  return v;
}
