import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import path from 'path';
import { defaultQueues, loadQueuesFile, parseIsoDuration, QueueConfigError, resolveQueues } from '../../../../emulators/servicebus/config';

const tmp = mkdtempSync(path.join(tmpdir(), 'sb-config-'));
const file = (name: string, content: unknown) => {
  const p = path.join(tmp, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};

test('ISO-8601 durations convert to milliseconds; malformed ones are undefined', () => {
  expect(parseIsoDuration('PT1M')).toBe(60_000);
  expect(parseIsoDuration('PT1.5S')).toBe(1500);
  expect(parseIsoDuration('P14D')).toBe(14 * 86_400_000);
  expect(parseIsoDuration('P1DT2H3M4S')).toBe(((26 * 60 + 3) * 60 + 4) * 1000);
  expect(parseIsoDuration('P1W')).toBe(7 * 86_400_000);
  for (const bad of ['', 'P', 'PT', '1M', 'P1Y', 'PT1X', 'P1M']) expect(parseIsoDuration(bad)).toBeUndefined();
});

test('the shipped queues.json declares our two queues as infra does', () => {
  const [changes, inbound] = defaultQueues();
  expect(changes).toEqual({
    name: 'dvsync-changes',
    requiresSession: true,
    duplicateDetectionWindowMs: 600_000,
    maxDeliveryCount: 10,
    lockDurationMs: 300_000,
    defaultTtlMs: 14 * 86_400_000,
    deadLetterOnExpiry: true,
  });
  expect(inbound).toMatchObject({ name: 'dvsync-inbound', requiresSession: false, duplicateDetectionWindowMs: 600_000 });
});

test('omitted properties take the Azure defaults', () => {
  expect(resolveQueues([{ name: 'q' }], 'test')).toEqual([
    {
      name: 'q',
      requiresSession: false,
      duplicateDetectionWindowMs: undefined,
      maxDeliveryCount: 10,
      lockDurationMs: 60_000,
      defaultTtlMs: Infinity,
      deadLetterOnExpiry: false,
    },
  ]);
});

test('errors name the source, the queue and the property', () => {
  expect(() => resolveQueues([{ name: 'q', lockDuration: '1 minute' }], 'cfg.json')).toThrow(
    /cfg\.json: queue "q", property "lockDuration": expected an ISO-8601 duration/,
  );
  expect(() => resolveQueues([{ name: 'q', maxDeliveryCount: 0 }], 'cfg.json')).toThrow(/queue "q", property "maxDeliveryCount"/);
  expect(() => resolveQueues([{ name: 'q', requiresSessions: true }], 'cfg.json')).toThrow(/queue "q", .*requiresSessions/);
  expect(() => resolveQueues([{ name: 'q', lockDuration: 'PT10M' }], 'cfg.json')).toThrow(/between PT1S and PT5M/);
  expect(() => resolveQueues([{ name: 'A' }, { name: 'a' }], 'cfg.json')).toThrow(/declared twice/);
  expect(() => resolveQueues([{}], 'cfg.json')).toThrow(QueueConfigError);
});

test('a file in our shape or in the official emulator Config.json shape loads', () => {
  expect(loadQueuesFile(file('ours.json', { queues: [{ name: 'x', lockDuration: 'PT2S' }] }))[0].lockDurationMs).toBe(2000);
  const official = {
    UserConfig: {
      Namespaces: [
        {
          Name: 'sbemulatorns',
          Queues: [
            {
              Name: 'queue.1',
              Properties: {
                DeadLetteringOnMessageExpiration: false,
                DefaultMessageTimeToLive: 'PT1H',
                DuplicateDetectionHistoryTimeWindow: 'PT20S',
                ForwardDeadLetteredMessagesTo: '',
                LockDuration: 'PT1M',
                MaxDeliveryCount: 3,
                RequiresDuplicateDetection: true,
                RequiresSession: true,
              },
            },
          ],
        },
      ],
      Logging: { Type: 'File' },
    },
  };
  expect(loadQueuesFile(file('official.json', official))).toEqual([
    {
      name: 'queue.1',
      requiresSession: true,
      duplicateDetectionWindowMs: 20_000,
      maxDeliveryCount: 3,
      lockDurationMs: 60_000,
      defaultTtlMs: 3_600_000,
      deadLetterOnExpiry: false,
    },
  ]);
});

test('unreadable or unrecognised files fail with the file name', () => {
  expect(() => loadQueuesFile(path.join(tmp, 'missing.json'))).toThrow(/missing\.json: cannot read queue config/);
  expect(() => loadQueuesFile(file('bad.json', '{not json'))).toThrow(/bad\.json: cannot read queue config/);
  expect(() => loadQueuesFile(file('shape.json', { topics: [] }))).toThrow(/shape\.json: expected \{"queues"/);
});
