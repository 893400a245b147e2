/** Web API change rows → SourceRow, version stamps, delta-token versions, and the schedule setting. */
import { deltaTokenVersion, rowVersion, toSourceRow } from '../../../shared/sync/row';
import { ncrontabProblem, syncScheduleFrom } from '../../../shared/config/sync';
import { loadSettings, SettingsError } from '../../../shared/config/settings';

describe('toSourceRow', () => {
  it('drops annotations, keeps primitives, turns lookups into references or bare ids', () => {
    const row = {
      '@odata.etag': 'W/"1234"',
      accountid: 'a1b2c3d4-0000-0000-0000-000000000001',
      name: 'Contoso',
      'name@OData.Community.Display.V1.FormattedValue': 'Contoso',
      numberofemployees: 12,
      donotemail: false,
      description: null,
      _parentaccountid_value: 'a1b2c3d4-0000-0000-0000-000000000002',
      '_parentaccountid_value@Microsoft.Dynamics.CRM.lookuplogicalname': 'account',
      _primarycontactid_value: 'a1b2c3d4-0000-0000-0000-000000000003',
      _ownerid_value: null,
      address: { nested: true },
    };
    expect(toSourceRow(row)).toEqual({
      accountid: 'a1b2c3d4-0000-0000-0000-000000000001',
      name: 'Contoso',
      numberofemployees: 12,
      donotemail: false,
      description: null,
      parentaccountid: { $type: 'reference', table: 'account', id: 'a1b2c3d4-0000-0000-0000-000000000002' },
      primarycontactid: 'a1b2c3d4-0000-0000-0000-000000000003',
      ownerid: null,
    });
  });
});

describe('versions', () => {
  it('reads versionnumber, else the number in the weak ETag', () => {
    expect(rowVersion({ versionnumber: 987654, '@odata.etag': 'W/"1"' })).toBe('987654');
    expect(rowVersion({ versionnumber: '99999999999999999999' })).toBe('99999999999999999999');
    expect(rowVersion({ '@odata.etag': 'W/"470867"' })).toBe('470867');
    expect(rowVersion({ '@odata.etag': '"opaque"' })).toBeUndefined();
  });

  it('reads the version of the documented "<version>!<time>" delta token, URL-encoded', () => {
    // The sample token of the change-tracking doc (Learn: use-change-tracking-synchronize-data-external-systems).
    expect(deltaTokenVersion('https://org.crm.dynamics.com/api/data/v9.2/accounts?$select=name&$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44')).toBe(
      '919042',
    );
    expect(deltaTokenVersion('https://org.crm.dynamics.com/api/data/v9.2/accounts?$deltatoken=opaque')).toBeUndefined();
    expect(deltaTokenVersion('not a url')).toBeUndefined();
  });
});

describe('DVSYNC_SYNC_SCHEDULE', () => {
  it('accepts six-field NCRONTAB and explains five-field and malformed ones', () => {
    expect(ncrontabProblem('0 */5 * * * *')).toBeUndefined();
    expect(ncrontabProblem('0 0 2 * * Mon-Fri')).toBeUndefined();
    expect(ncrontabProblem('*/5 * * * *')).toContain('needs 6 (seconds first), e.g. "0 */5 * * * *"');
    expect(ncrontabProblem('0 */5 * * * * *')).toContain('has 7 fields');
    expect(ncrontabProblem('0 */5 * * * $')).toContain('field 6 ("$")');
  });

  it('is reported by the app settings validation; registration falls back to the default', () => {
    const base = {
      DVSYNC_ENVIRONMENTS: '{"source":{"url":"https://contoso.crm.dynamics.com","credentials":[{"type":"managedIdentity"}]}}',
      DVSYNC_ROUTES: '{"routes":[]}',
      ServiceBusConnection: 'Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=b',
    };
    expect(loadSettings(base).sync.schedule).toBe('0 */5 * * * *');
    expect(loadSettings({ ...base, DVSYNC_SYNC_SCHEDULE: '0 0 * * * *' }).sync.schedule).toBe('0 0 * * * *');
    let error: unknown;
    try {
      loadSettings({ ...base, DVSYNC_SYNC_SCHEDULE: '*/5 * * * *' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).issues).toEqual([expect.objectContaining({ setting: 'DVSYNC_SYNC_SCHEDULE' })]);
    expect(syncScheduleFrom({ DVSYNC_SYNC_SCHEDULE: '*/5 * * * *' })).toBe('0 */5 * * * *');
    expect(syncScheduleFrom({ DVSYNC_SYNC_SCHEDULE: ' 0 0 * * * * ' })).toBe('0 0 * * * *');
  });
});
