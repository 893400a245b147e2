/** Errors of the bulk messages (Learn: bulk-operations). */
import { DvError } from '../errors';
import type { TableDef } from '../schema/model';

/** A table without the *Multiple message: SdkEntityDoesNotSupportMessage 0x80040800, the platform's text (status 400 is [U]). */
export function messageNotSupported(message: string, table: TableDef): DvError {
  return new DvError(
    400,
    '0x80040800',
    `The '${message}' method does not support entities of type '${table.logicalName}'. MessageProcessorCache returned MessageProcessor.Empty.`,
  );
}

/** Learn: bulk-operations: DeleteMultiple on a standard table (code and status [U]; the message is documented). */
export function deleteMultipleStandard(): DvError {
  return new DvError(400, '0x80040800', 'DeleteMultiple has not yet been implemented.');
}

export function bulkPayload(table: TableDef, detail: string): DvError {
  return new DvError(
    400,
    '0x80048d19',
    `Error identified in Payload provided by the user for Entity :'${table.entitySetName}' ----> InnerException : Microsoft.OData.ODataException: ${detail}`,
  );
}

/** Learn: bulk-operations: an item without @odata.type; Targets is a collection of the abstract crmbaseentity. */
export function missingType(table: TableDef, index: number): DvError {
  return bulkPayload(
    table,
    `A type name was not provided for an instance of the abstract type 'Microsoft.Dynamics.CRM.crmbaseentity'. Specify a type name that is not abstract. (Targets[${index}] has no "@odata.type"; add "@odata.type": "Microsoft.Dynamics.CRM.${table.logicalName}".)`,
  );
}

/** microsoft/PowerPlatform-DataverseClient-Python PR #127: UpsertMultiple create path with the alternate-key column also in the item body. */
export function keyInBodyOnCreate(): DvError {
  return new DvError(400, '0x80040216', 'An unexpected error occurred.');
}
