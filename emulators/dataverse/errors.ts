/**
 * Dataverse error envelope `{"error":{"code":"0x…","message":"…"}}` and the documented codes
 * (Learn: webapi/compose-http-requests-handle-errors, reference/web-service-error-codes). Handlers throw DvError; dispatch turns it into a response.
 */
import type { DvResponse } from './types';

/** The tenant id the emulator advertises in WWW-Authenticate. */
export const EMULATOR_TENANT = '72f988bf-0000-4000-8000-00000000e001';

export class DvError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function errorResponse(err: DvError): DvResponse {
  return {
    status: err.status,
    headers: { 'content-type': 'application/json; odata.metadata=minimal', 'odata-version': '4.0', ...err.headers },
    body: JSON.stringify({ error: { code: err.code, message: err.message } }),
  };
}

/** Factories for the documented errors; each names its reference section. */
export const dvErrors = {
  /** https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors: wrong entity set or function name. */
  resourceNotFound: (segment: string) => new DvError(404, '0x8006088a', `Resource not found for the segment '${segment}'.`),
  /** https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors: wrong method on a known resource. */
  noHttpResource: (url: string) => new DvError(404, '', `No HTTP resource was found that matches the request URI '${url}'.`),
  /** Learn: reference/web-service-error-codes: row not found by GUID. */
  notFoundById: (table: string, id: string) => new DvError(404, '0x80040217', `${table} With Id = ${id} Does Not Exist`),
  /** Row not found by alternate key (MicrosoftDocs/dynamics-365-customer-engagement issue #1044). */
  notFoundByKey: (table: string) => new DvError(404, '0x80060891', `A record with the specified key values does not exist in ${table} entity`),
  /** Learn: webapi/perform-conditional-operations-using-web-api: If-None-Match: * on an existing row. */
  alreadyExists: () => new DvError(412, '0x80040237', 'A record with matching key values already exists.'),
  /** Learn: webapi/perform-conditional-operations-using-web-api: If-Match etag mismatch. */
  versionMismatch: () => new DvError(412, '0x80060882', "The version of the existing record doesn't match the RowVersion property provided."),
  /** Learn: reference/web-service-error-codes: alternate key duplicate. */
  duplicateKey: (keyName: string, columns: string[]) =>
    new DvError(
      412,
      '0x80060892',
      `Entity Key ${keyName} violated. A record with the same value for ${columns.join(',')} already exists. A duplicate record cannot be created. Select one or more unique values and try again.`,
    ),
  /** Learn: use-alternate-key-reference-record: key columns that are not a defined key. */
  keyNotDefined: (table: string) =>
    new DvError(
      400,
      '0x80060890',
      `The key in the request URI is not valid for resource 'Microsoft.Dynamics.CRM.${table}'. Ensure that the names and number of key properties match the declared or alternate key properties for the resource 'Microsoft.Dynamics.CRM.${table}'.`,
    ),
  /** Learn: define-alternate-keys-entity: key whose index is not Active. Code and text are not documented [U]; we answer 400 with EntityKeyNotDefined's code and a message naming the status. */
  keyNotActive: (table: string, keyName: string, status: string) =>
    new DvError(
      400,
      '0x80060890',
      `The alternate key '${keyName}' of entity '${table}' is not active (EntityKeyIndexStatus: ${status}); its index must be Active before it can be used.`,
    ),
  /** https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors: unknown property in a body. */
  invalidProperty: (prop: string, table: string) =>
    new DvError(
      400,
      '0x80048d19',
      `Error identified in Payload provided by the user for Entity :'${table}', Invalid property '${prop}' was found in entity 'Microsoft.Dynamics.CRM.${table}'.`,
    ),
  /** https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors: unknown property in $select. */
  unknownSelectProperty: (prop: string, table: string) =>
    new DvError(400, '0x0', `Could not find a property named '${prop}' on type 'Microsoft.Dynamics.CRM.${table}'.`),
  /** Learn: webapi/multitable-lookup, https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors: bare polymorphic lookup name, wrong casing, or logical name used for a bind. */
  undeclaredProperty: (prop: string, entitySet: string) =>
    new DvError(
      400,
      '0x80048d19',
      `Error identified in Payload provided by the user for Entity :'${entitySet}' ----> InnerException : Microsoft.OData.ODataException: An undeclared property '${prop}' which only has property annotations in the payload but no property value was found in the payload. In OData, only declared navigation properties and declared named streams can be represented as properties without values.`,
    ),
  /** https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors: malformed payload (not JSON, wrong shape, wrong type). */
  payload: (table: string, detail: string) =>
    new DvError(400, '0x80048d19', `Error identified in Payload provided by the user for Entity :'${table}' ----> InnerException : ${detail}`),
  /** Learn: webapi/execute-batch-operations-using-web-api (its 0x80044331 example): string too long and other validation. */
  validation: (message: string) => new DvError(400, '0x80044331', `A validation error occurred. ${message}`),
  /** Learn: reference/web-service-error-codes: invalid argument (bad option value, bad type in a value). */
  invalidArgument: (message: string) => new DvError(400, '0x80040203', message),
  /** Learn: api-limits: service protection. */
  tooManyRequests: (limit: number, windowS: number, retryAfter: string) =>
    new DvError(429, '0x80072322', `Number of requests exceeded the limit of ${limit} over time window of ${windowS} seconds.`, { 'retry-after': retryAfter }),
  executionTime: (limitMs: number, windowS: number, retryAfter: string) =>
    new DvError(
      429,
      '0x80072321',
      `Combined execution time of incoming requests exceeded limit of ${limitMs.toLocaleString('en-US')} milliseconds over time window of ${windowS} seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.`,
      { 'retry-after': retryAfter },
    ),
  concurrency: (limit: number, retryAfter: string) =>
    new DvError(429, '0x80072326', `Number of concurrent requests exceeded the limit of ${limit}.`, { 'retry-after': retryAfter }),
  /** Learn: webapi/compose-http-requests-handle-errors, authenticate-oauth: token missing or invalid. */
  /** Clients discover the tenant from WWW-Authenticate (authorization_uri, resource_id); the body code is [U]. */
  unauthorized: (detail: string, resource: string) =>
    new DvError(401, '', detail, {
      'www-authenticate': `Bearer authorization_uri=https://login.microsoftonline.com/${EMULATOR_TENANT}/oauth2/authorize, resource_id=${resource}`,
    }),
  /**
   * PrivilegeDenied: 403 (Learn: webapi/compose-http-requests-handle-errors, "Identify status codes"), 0x80040220
   * (Learn: reference/web-service-error-codes), message as live Web API responses carry it (privileges.ts cites the sample).
   * The counts and accessMode are the emulator's: one role holding every privilege but the denied ones, an application
   * user's access mode 4 [U]; AADObjectId is the caller principal (the JWT oid, or the token string).
   */
  privilegeDenied: (p: {
    userId: string;
    aadObjectId: string;
    businessUnitId: string;
    privilegeCount: number;
    metadataPrivilegeCount: number;
    privilege: string;
    privilegeId: string;
    objectTypeCode: number;
    table: string;
    localizedName: string;
  }) =>
    new DvError(
      403,
      '0x80040220',
      `Principal user (Id=${p.userId}, type=8, roleCount=1, privilegeCount=${p.privilegeCount}, accessMode='4 Non-interactive', AADObjectId='${p.aadObjectId}', MetadataCachePrivilegesCount=${p.metadataPrivilegeCount}, businessUnitId=${p.businessUnitId}), is missing ${p.privilege} privilege (Id=${p.privilegeId}) on OTC=${p.objectTypeCode} for entity '${p.table}' (LocalizedName='${p.localizedName}'). context.Caller=${p.userId}. Consider adding missed privilege to one of the principal (user/team) roles.`,
    ),
  /** Learn: webapi/compose-http-requests-handle-errors: injected server faults. */
  serverError: (status: number) =>
    new DvError(
      status,
      status === 500 ? '0x80040216' : '',
      status === 500 ? 'An unexpected error occurred.' : status === 502 ? 'Bad Gateway' : 'Service Unavailable',
    ),
};
