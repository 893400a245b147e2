/** `dvsync settings check`: the app's own validation, every problem at once, from local.settings.json + environment. */
import { execFile } from 'child_process';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';
import { readAppSettings, AppSettingsFileError } from '../../../shared/operations/app-settings';
import { checkSettings } from '../../../shared/operations/settings-check';

const run = promisify(execFile);
const CLI = join(__dirname, '../../../dist/cli/dvsync.js');
const dir = mkdtempSync(join(tmpdir(), 'dvsync-settings-'));

const ROUTES = JSON.stringify({
  routes: [
    {
      name: 'accounts',
      source: { environment: 'source', table: 'account', sync: { enabled: true } },
      target: { environment: 'nowhere', table: 'account', entitySet: 'accounts', key: ['accountnumber'] },
    },
  ],
});

function writeSettings(name: string, values: Record<string, unknown>): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ IsEncrypted: false, Values: values }));
  return file;
}

describe('settings check', () => {
  it('reports every missing or invalid setting at once, with what to put there', () => {
    const check = checkSettings({ DVSYNC_SESSION_BUCKETS: 'many', DVSYNC_SYNC_SCHEDULE: '*/5 * * * *', DVSYNC_ROUTES: ROUTES });
    expect(check.ok).toBe(false);
    const bySetting = Object.fromEntries(check.issues.map((i) => [i.setting, i]));
    expect(Object.keys(bySetting)).toEqual(
      expect.arrayContaining(['DVSYNC_ENVIRONMENTS', 'ServiceBusConnection', 'DVSYNC_SESSION_BUCKETS', 'DVSYNC_SYNC_SCHEDULE']),
    );
    expect(bySetting.DVSYNC_SESSION_BUCKETS.fix).toContain('whole number from 1 to 4096');
    expect(bySetting.DVSYNC_SYNC_SCHEDULE.problem).toContain('5 fields');
    expect(check.settings.find((s) => s.name === 'DVSYNC_CHANGES_QUEUE')).toMatchObject({ state: 'default', default: 'dvsync-changes' });
  });

  it('reads local.settings.json Values with environment variables winning, and refuses a file without Values', () => {
    const file = writeSettings('a.json', { '// DVSYNC_WRITE_TAG': 'doc entry', DVSYNC_WRITE_TAG: 'from-file', DVSYNC_SESSION_BUCKETS: '8' });
    const { env, origin } = readAppSettings({ file, env: { DVSYNC_SESSION_BUCKETS: '16' } });
    expect(env).toEqual({ DVSYNC_WRITE_TAG: 'from-file', DVSYNC_SESSION_BUCKETS: '16' });
    expect(origin).toContain('a.json');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"Values": {"X": 1}}');
    expect(() => readAppSettings({ file: bad, env: {} })).toThrow(AppSettingsFileError);
    expect(() => readAppSettings({ file: bad, env: {} })).toThrow('Values.X is 1');
  });

  it('the CLI prints the full report and exits 1 on problems, 0 when valid', async () => {
    const bad = writeSettings('bad-settings.json', { DVSYNC_ROUTES: ROUTES, DVSYNC_SYNC_SCHEDULE: 'every 5 minutes' });
    const clean = { PATH: process.env.PATH ?? '' };
    const failed = await run(process.execPath, [CLI, 'settings', 'check', '--file', bad], { env: clean }).catch((e: { code: number; stdout: string }) => e);
    expect('code' in failed ? failed.code : 0).toBe(1);
    expect(failed.stdout).toContain('DVSYNC_ENVIRONMENTS: is missing');
    expect(failed.stdout).toContain('ServiceBusConnection: is missing');
    expect(failed.stdout).toContain('DVSYNC_SYNC_SCHEDULE');

    const good = writeSettings('good-settings.json', {
      DVSYNC_ROUTES: ROUTES.replace('nowhere', 'target'),
      DVSYNC_ENVIRONMENTS: JSON.stringify({
        source: { url: 'https://s.crm.dynamics.com', credentials: [{ type: 'managedIdentity' }] },
        target: { url: 'https://t.crm.dynamics.com', credentials: [{ type: 'managedIdentity' }] },
      }),
      ServiceBusConnection: 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=v',
    });
    const ok = await run(process.execPath, [CLI, 'settings', 'check', '--file', good], { env: clean });
    expect(ok.stdout).toContain('OK: every app setting is valid.');
    expect(ok.stdout).toContain('incremental sync on: accounts');
  });
});
