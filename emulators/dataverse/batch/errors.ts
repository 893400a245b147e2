/**
 * Errors for a malformed `$batch` payload. Dataverse wraps OData reader failures in its payload
 * error 0x80048d19 (bare-LF example in https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors); the inner messages follow
 * the OData library's wording [U: only the LF case is documented].
 */
import { DvError } from '../errors';

export function batchPayloadError(detail: string): DvError {
  return new DvError(
    400,
    '0x80048d19',
    `Error identified in Payload provided by the user for Entity :'' ----> InnerException : Microsoft.OData.ODataException: ${detail}`,
  );
}

/** https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors: bare LF line endings (strict mode only). */
export function bareLineFeedError(): DvError {
  return new DvError(
    400,
    '0x80048d19',
    "Error identified in Payload provided by the user for Entity :'' ----> InnerException : System.ArgumentException: Stream was not readable.",
  );
}

/** Learn: webapi/execute-batch-operations-using-web-api: more than 1,000 requests in a batch. */
export function tooManyBatchOperations(limit: number, found: number): DvError {
  return batchPayloadError(
    `The current batch message contains too many operations (${found}). A maximum number of '${limit}' operations are allowed in a batch; split it into several $batch requests.`,
  );
}

/** Learn: webapi/execute-batch-operations-using-web-api: more than 1,000 requests in one change set (the text observed in AleksandrRogov/DynamicsWebApi commit ba2f241). */
export function tooManyChangeSetOperations(limit: number): DvError {
  return batchPayloadError(`The current change set contains too many operations. A maximum number of '${limit}' operations are allowed in a change set.`);
}

/** Learn: webapi/execute-batch-operations-using-web-api: GET inside a change set. */
export function methodNotAllowedInChangeSet(method: string): DvError {
  return batchPayloadError(
    `An invalid HTTP method '${method}' was detected for a request in a change set. Requests in change sets only support the HTTP methods 'POST', 'PUT', 'DELETE', and 'PATCH'; send GET requests as their own batch parts.`,
  );
}

/** Learn: webapi/execute-batch-operations-using-web-api: `$n` used before (or without) a part declaring `Content-ID: n`. */
export function unknownContentId(ref: string): DvError {
  return new DvError(400, '0x80048d19', `Content-ID Reference: '${ref}' does not exist in the batch context.`);
}
