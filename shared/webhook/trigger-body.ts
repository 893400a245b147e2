/** triggerOutputs() of Power Automate's Dataverse trigger for a webhook ChangeEvent (the body: shared/routes/trigger-body.ts). */
import type { DataverseTriggerBody, DataverseTriggerOutputs } from '../conditions';
import { rowTriggerBody } from '../routes/trigger-body';
import type { ChangeEvent } from './normalise';

/** headers: the request's headers (x-ms-dynamics-*), lower-case names. */
export function buildTriggerOutputs(event: ChangeEvent, headers: Record<string, string>): DataverseTriggerOutputs {
  return { headers, body: buildTriggerBody(event) };
}

export function buildTriggerBody(event: ChangeEvent): DataverseTriggerBody {
  return rowTriggerBody({
    table: event.table,
    rowId: event.rowId,
    values: event.values,
    formattedValues: event.formattedValues,
    message: event.message,
    ...(event.userId ? { userId: event.userId } : {}),
    ...(event.rowVersion ? { rowVersion: event.rowVersion } : {}),
    changedColumns: event.changedColumns,
  });
}
