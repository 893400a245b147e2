/**
 * The body Power Automate's Dataverse trigger ("When a row is added, modified or deleted") exposes as
 * triggerOutputs()?['body'], built from a row, so route trigger conditions written for Power Automate
 * evaluate the same way on every intake path (webhook events, change-tracking rows, external records).
 * Web API shapes: lookups as `_name_value` with the `@Microsoft.Dynamics.CRM.lookuplogicalname` and
 * FormattedValue annotations, choices as integers, multi-select choices as a comma-separated string,
 * dates as ISO UTC without milliseconds. Activity-party collections are navigation data in the Web API
 * and are not part of the body.
 */
import type { DataverseTriggerBody } from '../conditions';
import type { SourceRow, SourceValue } from '../model/source-value';

const FORMATTED = '@OData.Community.Display.V1.FormattedValue';
const LOOKUP_TABLE = '@Microsoft.Dynamics.CRM.lookuplogicalname';

type TriggerBody = DataverseTriggerBody;

export interface TriggerRow {
  table: string;
  rowId: string;
  values: SourceRow;
  formattedValues?: Record<string, string>;
  /** The SDK message; absent where the path cannot know it (a change-tracking row is a Create or an Update). */
  message?: string;
  userId?: string;
  rowVersion?: string;
  /** Update: the changed columns (`_filteredattributes`). */
  changedColumns?: readonly string[];
}

export function rowTriggerBody(row: TriggerRow): TriggerBody {
  const body: TriggerBody = {};
  for (const [column, value] of Object.entries(row.values)) addColumn(body, column, value, row.formattedValues?.[column]);
  body['@odata.type'] = `#Microsoft.Dynamics.CRM.${row.table}`;
  if (row.message !== undefined) body.SdkMessage = row.message;
  body.ItemInternalId = row.rowId;
  if (row.userId) body.RunAsSystemUserId = row.userId;
  if (row.rowVersion) body['@odata.etag'] = `W/"${row.rowVersion}"`;
  if (row.message === 'Update' && row.changedColumns?.length) body._filteredattributes = row.changedColumns.join(',');
  return body;
}

function addColumn(body: TriggerBody, column: string, value: SourceValue, formatted: string | undefined): void {
  if (value === null || typeof value !== 'object') {
    body[column] = value;
    if (formatted !== undefined) body[column + FORMATTED] = formatted;
    return;
  }
  switch (value.$type) {
    case 'reference': {
      const key = `_${column}_value`;
      body[key] = value.id;
      body[key + LOOKUP_TABLE] = value.table;
      const name = formatted ?? value.name ?? undefined;
      if (name !== undefined && name !== null) body[key + FORMATTED] = name;
      return;
    }
    case 'choice':
      body[column] = value.value;
      if (formatted ?? value.label) body[column + FORMATTED] = (formatted ?? value.label) as string;
      return;
    case 'choices':
      body[column] = value.values.join(',');
      if (formatted !== undefined) body[column + FORMATTED] = formatted;
      return;
    case 'money':
      body[column] = value.value;
      if (formatted !== undefined) body[column + FORMATTED] = formatted;
      return;
    case 'decimal':
      body[column] = Number(value.value);
      if (formatted !== undefined) body[column + FORMATTED] = formatted;
      return;
    case 'datetime':
      body[column] = value.iso.replace(/\.000Z$/, 'Z');
      if (formatted !== undefined) body[column + FORMATTED] = formatted;
      return;
    case 'collection':
      return;
  }
}
