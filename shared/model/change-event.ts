/**
 * One Dataverse change as the webhook intake normalised it (shared/webhook/normalise.ts builds it): what
 * routing, trigger conditions and the ChangeMessage need. A contract between intake, routes and queue.
 */
import type { Operation } from './change-message';
import type { SourceRow } from './source-value';

export interface ChangeEvent {
  message: string;
  table: string;
  rowId: string;
  operation: Operation;
  organizationId: string;
  organizationName?: string;
  /** The row after the change (Create/Update) or before it (Delete), as far as the payload shows it. */
  values: SourceRow;
  /** FormattedValues of the Target and images (column → localized text). */
  formattedValues: Record<string, string>;
  /** Columns present in the Target (for Update: the changed and system-set columns). */
  changedColumns: string[];
  /** Target attributes only (no images), when the Target is an Entity. */
  target?: SourceRow;
  /** Pre/post images by alias, and all of them merged (custom images win over AsynchronousStepPrimaryName). */
  preImages: Record<string, SourceRow>;
  postImages: Record<string, SourceRow>;
  preImage?: SourceRow;
  postImage?: SourceRow;
  userId?: string;
  initiatingUserId?: string;
  businessUnitId?: string;
  correlationId?: string;
  operationId?: string;
  requestId?: string;
  /** The sdkmessageprocessingstep that fired (OwningExtension.Id). */
  stepId?: string;
  depth?: number;
  /** 0 synchronous, 1 asynchronous. */
  mode?: number;
  stage?: number;
  /** The `tag` shared variable (our own writes carry DVSYNC_WRITE_TAG). */
  tag?: string;
  /** OperationCreatedOn as a UTC ISO time (offset quirk applied). Informational. */
  operationCreatedOn?: string;
  /** Target RowVersion, else a post image's (Delete: pre image's) RowVersion, else the versionnumber column. */
  rowVersion?: string;
  /** modifiedon of the row (ISO), when present. */
  modifiedOn?: string;
  /** The payload is stripped or incomplete: the worker re-reads the row instead of trusting values. */
  reread: boolean;
  /** Values we did not carry (unknown wire types), by path. */
  skippedColumns: Array<{ path: string; message: string }>;
}
