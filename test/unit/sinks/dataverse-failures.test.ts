/**
 * The Dataverse sink's translation of its errors into the engine's vocabulary (shared/sinks/dataverse/failures.ts):
 * the one place Dataverse codes are read, so each decision the engine makes from a failure is pinned here.
 */
import { DataverseError } from '../../../shared/dataverse/errors';
import { dataverseFailure } from '../../../shared/sinks/dataverse/failures';
import { RescheduleError } from '../../../shared/throttle/errors';
import { WriteFailure } from '../../../shared/engine/write-failure';

const dv = (status: number | undefined, code: string, message: string, kind: DataverseError['kind']) => new DataverseError({ kind, status, code, message });

describe('Dataverse errors as WriteFailure', () => {
  it('a throttle wait past the budget is later, throttled; a backoff past it is later, backoff', () => {
    const paused = dataverseFailure(new RescheduleError(new Date(10_000), 0, 'lane paused'));
    expect(paused).toMatchObject({ reason: 'throttled', retry: 'later', notBefore: new Date(10_000) });
    const backoff = dataverseFailure(new RescheduleError(new Date(10_000), 0, 'backoff', { backoff: true }));
    expect(backoff).toMatchObject({ reason: 'backoff', retry: 'later' });
  });

  it('SQL timeouts are overloaded (shrink and split), 5xx transient with the server hint', () => {
    expect(dataverseFailure(dv(500, '0x80044151', 'SQL timeout expired', 'transient'))).toMatchObject({ reason: 'overloaded', retry: 'redeliver' });
    const busy = new DataverseError({ kind: 'transient', status: 503, code: '', message: 'Service Unavailable', retryAfterMs: 2000 });
    expect(dataverseFailure(busy)).toMatchObject({ reason: 'transient', retry: 'redeliver', retryAfterMs: 2000 });
    expect(dataverseFailure(new Error('socket hang up'))).toMatchObject({ reason: 'transient', retry: 'redeliver' });
  });

  it('a create-only conflict says the row exists; a missing row by reference names its table', () => {
    const exists = dataverseFailure(dv(412, '0x80060892', 'A record with matching key values already exists.', 'duplicateKey'));
    expect(exists).toMatchObject({ reason: 'rejected', retry: 'never', rowExists: true, kind: 'duplicateKey', vendor: { status: 412, code: '0x80060892' } });
    const missing = dataverseFailure(dv(404, '0x80040217', 'account With Id = 6f1c Does Not Exist', 'notFound'));
    expect(missing).toMatchObject({ reason: 'rejected', kind: 'notFound', rowExists: false });
    expect(missing.missingRow?.mentions('account')).toBe(true);
    expect(missing.missingRow?.mentions('contact')).toBe(false);
    expect(missing.missingRow?.byReference).toBe(true);
    expect(dataverseFailure(dv(400, '0x80044331', 'The length of the name attribute exceeded the maximum', 'validation')).missingRow).toBeUndefined();
  });

  it('any other 404 on an update is a missing target (kind notFound), a bulk message the table lacks is unsupported', () => {
    expect(dataverseFailure(dv(404, '', 'Not Found', 'permanent'))).toMatchObject({ reason: 'rejected', kind: 'notFound' });
    expect(dataverseFailure(dv(400, '0x80040800', "The 'CreateMultiple' method does not support entities of type 'dvs_widget'.", 'validation'))).toMatchObject({
      reason: 'unsupported',
      retry: 'redeliver',
    });
  });

  it("a request refused before it was sent is the record's fault; a WriteFailure passes through", () => {
    expect(dataverseFailure(dv(undefined, '', 'key value contains a slash', 'validation'))).toMatchObject({ reason: 'rejected', kind: 'validation' });
    const own = new WriteFailure({ reason: 'systemic', systemic: 'auth', message: 'x' });
    expect(dataverseFailure(own)).toBe(own);
  });
});
