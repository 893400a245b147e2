/** Which Dataverse answers stop a route (shared/sinks/dataverse/failures.ts): only those no split, retry or other record can fix. */
import { dataverseFailure } from '../../../shared/sinks/dataverse/failures';
import type { WriteFailure } from '../../../shared/engine/write-failure';
import { DataverseError } from '../../../shared/dataverse/errors';

const dv = (status: number, code: string, message: string, kind: DataverseError['kind'] = 'permanent') => new DataverseError({ kind, status, code, message });

/** How the engine's writer reads a failure: the record, another path, or the same request again. */
const engineView = (f: WriteFailure): string =>
  f.reason === 'rejected' ? 'record' : f.reason === 'unsupported' ? 'unsupported' : f.retry === 'redeliver' ? 'transient' : f.reason;

describe('systemic errors', () => {
  it.each([
    [
      'a missing privilege',
      dv(403, '0x80040220', "Principal user (Id=…) is missing prvCreateAccount privilege (Id=…) on OTC=1 for entity 'account'.", 'privilege'),
      'privilege',
    ],
    ['a refused credential (401 after the token refresh)', dv(401, '', 'Unauthorized', 'auth'), 'auth'],
    [
      'an alternate key not defined or not Active',
      dv(400, '0x80060890', "The alternate key 'k' of entity 'account' is not active", 'validation'),
      'inactiveKey',
    ],
    [
      'an unknown column',
      dv(
        400,
        '0x80048d19',
        "Error identified in Payload provided by the user for Entity :'account', Invalid property 'dvs_x' was found in entity 'Microsoft.Dynamics.CRM.account'.",
        'validation',
      ),
      'unknownColumn',
    ],
    [
      'an unknown navigation property',
      dv(400, '0x80048d19', "An undeclared property 'parentid' which only has property annotations in the payload", 'validation'),
      'unknownColumn',
    ],
    ['an unknown entity set', dv(404, '0x8006088a', "Resource not found for the segment 'acounts'.", 'notFound'), 'unknownTable'],
  ])('%s stops the route', (_what, error, cause) => {
    expect(dataverseFailure(error)).toMatchObject({ reason: 'systemic', retry: 'never', systemic: cause });
  });

  it.each([
    [
      'a 403 on one record (no privilege code)',
      dv(403, '0x80042f09', 'SecLib::AccessCheckEx failed. Returned hr = -2147187962 on the record', 'privilege'),
      'record',
    ],
    [
      'a value Dataverse refuses',
      dv(400, '0x80044331', 'A validation error occurred. The length of the name attribute exceeded the maximum allowed length of 160.', 'validation'),
      'record',
    ],
    [
      'a bad payload that names no column',
      dv(
        400,
        '0x80048d19',
        "Error identified in Payload provided by the user for Entity :'account' ----> InnerException : Cannot convert the literal 'x' to the expected type 'Edm.Int32'.",
        'validation',
      ),
      'record',
    ],
    ['a missing row by key', dv(404, '0x80060891', 'A record with the specified key values does not exist in account entity', 'notFound'), 'record'],
    [
      'a bulk message the table does not support',
      dv(404, '0x8006088a', "Resource not found for the segment 'Microsoft.Dynamics.CRM.UpsertMultiple'.", 'notFound'),
      'unsupported',
    ],
    [
      'throttling',
      new DataverseError({ kind: 'throttled', status: 429, code: '0x80072322', message: 'Number of requests exceeded', retryAfterMs: 1000 }),
      'transient',
    ],
  ])('%s does not', (_what, error, type) => {
    expect(engineView(dataverseFailure(error))).toBe(type);
  });
});
