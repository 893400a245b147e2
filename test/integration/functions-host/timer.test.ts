/** Timer triggers through the local Functions host: NCRONTAB with seconds, runOnStartup, %setting% schedules. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Timer } from '@azure/functions';
import { timerFunction } from '../../../functions/definition';
import { startFunctionsHost } from '../../../emulators/functions-host';
import { parseSchedule } from '../../../emulators/functions-host/timer-trigger';

const appDir = mkdtempSync(join(tmpdir(), 'fh-timer-'));
const quiet = () => undefined;

function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = setInterval(() => {
      if (predicate()) {
        clearInterval(tick);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(tick);
        reject(new Error('condition not met in time'));
      }
    }, 20);
  });
}

test('an every-second schedule fires repeatedly with a Timer payload, and stops firing after close', async () => {
  const fired: { at: number; timer: Timer; name: string }[] = [];
  const host = await startFunctionsHost({
    appDir,
    port: 0,
    hostJson: {},
    log: quiet,
    settings: { TICK_SCHEDULE: '* * * * * *' },
    definitions: [
      timerFunction('tick', {
        schedule: '%TICK_SCHEDULE%',
        handler: (timer, context) => void fired.push({ at: Date.now(), timer, name: context.functionName }),
      }),
    ],
  });
  try {
    await waitFor(() => fired.length >= 2, 4000);
  } finally {
    await host.close();
  }
  const [first, second] = fired;
  expect(first.name).toBe('tick');
  expect(second.at - first.at).toBeGreaterThanOrEqual(500);
  expect(first.timer.isPastDue).toBe(false);
  expect(new Date(first.timer.scheduleStatus.next).getTime()).toBeGreaterThan(first.at - 1000);
  expect(new Date(second.timer.scheduleStatus.last).getTime()).toBeLessThanOrEqual(second.at);
  const countAtClose = fired.length;
  await new Promise((r) => setTimeout(r, 1200));
  expect(fired.length).toBe(countAtClose);
});

test('runOnStartup fires immediately even when the schedule is far away', async () => {
  const fired: number[] = [];
  const started = Date.now();
  const host = await startFunctionsHost({
    appDir,
    port: 0,
    hostJson: {},
    log: quiet,
    definitions: [timerFunction('nightly', { schedule: '0 0 3 * * *', runOnStartup: true, handler: () => void fired.push(Date.now()) })],
  });
  try {
    await waitFor(() => fired.length === 1, 2000);
    expect(fired[0] - started).toBeLessThan(2000);
  } finally {
    await host.close();
  }
});

test('a five-field cron expression is refused with a message that explains NCRONTAB', async () => {
  await expect(
    startFunctionsHost({
      appDir,
      port: 0,
      hostJson: {},
      log: quiet,
      definitions: [timerFunction('bad', { schedule: '*/5 * * * *', handler: () => undefined })],
    }),
  ).rejects.toThrow(/"bad".*5 fields; NCRONTAB needs 6/);
});

test('schedules: NCRONTAB seconds field in UTC, and TimeSpan intervals', () => {
  const at = new Date('2026-01-01T10:00:07.500Z');
  expect(parseSchedule('0 */5 * * * *', 'f').next(at).toISOString()).toBe('2026-01-01T10:05:00.000Z');
  expect(parseSchedule('30 0 3 * * *', 'f').next(at).toISOString()).toBe('2026-01-02T03:00:30.000Z');
  expect(parseSchedule('00:00:05', 'f').next(at).toISOString()).toBe('2026-01-01T10:00:12.500Z');
  expect(() => parseSchedule('0 99 * * * *', 'f')).toThrow(/not a valid NCRONTAB/);
});
