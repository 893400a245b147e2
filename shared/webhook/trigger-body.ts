/**
 * The body Power Automate's Dataverse trigger ("When a row is added, modified or deleted") exposes as
 * triggerOutputs()?['body'], built from a ChangeEvent, so route trigger conditions written for Power
 * Automate evaluate the same way here. Web API shapes: lookups as `_name_value` with the
 * `@Microsoft.Dynamics.CRM.lookuplogicalname` and FormattedValue annotations, choices as integers,
 * multi-select choices as a comma-separated string, dates as ISO UTC without milliseconds.
 * Activity-party collections are navigation data in the Web API and are not part of the body.
 */
import type { DataverseTriggerBody, DataverseTriggerOutputs } from '../conditions';
import type { SourceValue } from '../model/source-value';
import type { ChangeEvent } from './normalise';

const FORMATTED = '@OData.Community.Display.V1.FormattedValue';
const LOOKUP_TABLE = '@Microsoft.Dynamics.CRM.lookuplogicalname';

type TriggerBody = DataverseTriggerBody;

/** headers: the request's headers (x-ms-dynamics-*), lower-case names. */
export function buildTriggerOutputs(event: ChangeEvent, headers: Record<string, string>): DataverseTriggerOutputs {
  return { headers, body: buildTriggerBody(event) };
}

export function buildTriggerBody(event: ChangeEvent): TriggerBody {
  const body: TriggerBody = {};
  for (const [column, value] of Object.entries(event.values)) {
    const formatted = event.formattedValues[column];
    addColumn(body, column, value, formatted);
  }
  body['@odata.type'] = `#Microsoft.Dynamics.CRM.${event.table}`;
  body.SdkMessage = event.message;
  body.ItemInternalId = event.rowId;
  if (event.userId) body.RunAsSystemUserId = event.userId;
  if (event.rowVersion) body['@odata.etag'] = `W/"${event.rowVersion}"`;
  if (event.message === 'Update' && event.changedColumns.length) body._filteredattributes = event.changedColumns.join(',');
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
