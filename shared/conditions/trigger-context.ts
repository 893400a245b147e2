/**
 * The shape Power Automate's Dataverse trigger ("When a row is added, modified or deleted") gives
 * to trigger conditions: `triggerOutputs()` is `{ headers, body }` and `triggerBody()` is the row.
 * The intake code builds this from Dataverse webhook payloads (RemoteExecutionContext).
 */

/** A column value as the trigger body carries it (OData JSON). */
export type DataverseColumnValue = string | number | boolean | null | DataverseColumnValue[] | { [key: string]: DataverseColumnValue };

/**
 * The row, keyed by column logical name, plus the trigger's own properties. Examples:
 * - choices: `statuscode: 1` with `"statuscode@OData.Community.Display.V1.FormattedValue": "Active"`;
 * - lookups: `_parentaccountid_value: "<guid>"` with
 *   `"_parentaccountid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "account"` and
 *   `"_parentaccountid_value@OData.Community.Display.V1.FormattedValue": "Contoso"`;
 * - money: `revenue: 1000.5`, dates: ISO 8601 strings in UTC (`"2024-05-01T10:00:00Z"`).
 */
export interface DataverseTriggerBody {
  /** `"#Microsoft.Dynamics.CRM.account"` */
  '@odata.type'?: string;
  /** `'W/"12345"'` */
  '@odata.etag'?: string;
  /** The row id (same as the primary key column). */
  ItemInternalId?: string;
  /** 'Create' | 'Update' | 'Delete' | 'Associate' | ... */
  SdkMessage?: string;
  /** The user whose context the flow runs in. */
  RunAsSystemUserId?: string;
  /** Comma-separated logical names of the changed columns (for Update). */
  _filteredattributes?: string;
  [column: string]: DataverseColumnValue | undefined;
}

export interface DataverseTriggerOutputs {
  headers: Record<string, string>;
  body: DataverseTriggerBody;
}
