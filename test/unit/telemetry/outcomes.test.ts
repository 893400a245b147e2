/** Outcome lines as Application Insights receives them (through the InvocationContext log methods). */
import { emitOutcome, OUTCOME_DIMENSIONS, recordWorkerOutcomes, throttleTelemetry } from '../../../shared/telemetry/outcomes';
import { contextTelemetry, MemoryTelemetry, type LogSink } from '../../../shared/telemetry/telemetry';

function sink(): LogSink & { lines: Array<{ level: string; line: string }> } {
  const lines: Array<{ level: string; line: string }> = [];
  const at =
    (level: string) =>
    (...args: unknown[]) =>
      void lines.push({ level, line: args.map(String).join(' ') });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** The KQL in shared/telemetry/README.md: `parse message with "dvsync.event " name " " props`. */
function parseLine(line: string): { kind: string; name: string; props: Record<string, unknown> } {
  const m = /^dvsync\.(\w+) (\S+) (\{.*\})$/.exec(line);
  if (!m) throw new Error(`not a dvsync line: ${line}`);
  return { kind: m[1], name: m[2], props: JSON.parse(m[3]) as Record<string, unknown> };
}

describe('emitOutcome', () => {
  it('writes one line with every standard dimension (empty when unknown) plus the extras', () => {
    const s = sink();
    emitOutcome(contextTelemetry(s), 'webhook.skipped', {
      route: 'accounts',
      table: 'account',
      reason: 'message "Update" is not one of Create',
      environment: 'source',
      message: 'Update',
    });
    expect(s.lines).toHaveLength(1);
    expect(s.lines[0].level).toBe('info');
    const { kind, name, props } = parseLine(s.lines[0].line);
    expect({ kind, name }).toEqual({ kind: 'event', name: 'webhook.skipped' });
    expect(Object.keys(props).slice(0, OUTCOME_DIMENSIONS.length)).toEqual([...OUTCOME_DIMENSIONS]);
    expect(props).toEqual({
      route: 'accounts',
      table: 'account',
      reason: 'message "Update" is not one of Create',
      correlationId: '',
      messageId: '',
      environment: 'source',
      message: 'Update',
    });
  });

  it('logs failures at warning level (customDimensions.LogLevel "Warning")', () => {
    const s = sink();
    emitOutcome(contextTelemetry(s), 'ingest.rejected', { route: 'erp', reason: 'invalid_records' }, 'warn');
    expect(s.lines.map((l) => l.level)).toEqual(['warn']);
  });
});

describe('recordWorkerOutcomes', () => {
  const body = (route: string, changedAt?: string) => ({
    v: 1,
    route,
    origin: 'webhook',
    operation: 'upsert',
    source: { environment: 'source', table: 'account', id: 'r', correlationId: 'corr-b', ...(changedAt ? { changedAt } : {}) },
    version: '1',
    values: {},
    receivedAt: '2025-01-01T00:00:05.000Z',
  });

  it('one line per outcome with route, table, reason, ids and environment; latency on applied; counters per route and status', () => {
    const t = new MemoryTelemetry();
    const messages = [
      { messageId: 'm1', correlationId: 'corr-1', body: body('accounts', '2025-01-01T00:00:00.000Z') },
      { messageId: 'm2', body: body('accounts') },
      { messageId: 'm3', body: body('contacts') },
      { messageId: 'm4', body: 'not json' },
    ];
    recordWorkerOutcomes(
      t,
      messages,
      [
        { index: 0, messageId: 'm1', route: 'accounts', targetKey: "accountnumber='A'", outcome: { status: 'applied', path: 'bulk' } },
        { index: 1, messageId: 'm2', route: 'accounts', outcome: { status: 'skipped', reason: 'stale', detail: 'version 1 ≤ 2' } },
        { index: 2, messageId: 'm3', route: 'contacts', outcome: { status: 'rescheduled', reason: 'throttled', notBefore: '2025-01-01T00:01:00.000Z' } },
        {
          index: 3,
          messageId: 'm4',
          outcome: { status: 'failed', reason: 'DataverseError', detail: "400 0x80044331: A validation error occurred. The length of the 'name' attribute..." },
        },
      ],
      new Date('2025-01-01T00:00:07.500Z'),
    );
    const [applied, skipped, rescheduled, failed] = t.events;
    expect(applied).toEqual({
      name: 'worker.applied',
      level: 'info',
      properties: {
        route: 'accounts',
        table: 'account',
        reason: '',
        correlationId: 'corr-1',
        messageId: 'm1',
        environment: 'source',
        targetKey: "accountnumber='A'",
        path: 'bulk',
        latencyMs: 7500,
      },
    });
    expect(skipped.properties).toMatchObject({ route: 'accounts', reason: 'stale', correlationId: 'corr-b' });
    expect(skipped.properties.latencyMs).toBeUndefined();
    expect(rescheduled).toMatchObject({
      name: 'worker.rescheduled',
      properties: { route: 'contacts', reason: 'throttled', notBefore: '2025-01-01T00:01:00.000Z' },
    });
    expect(failed).toMatchObject({
      name: 'worker.failed',
      level: 'warn',
      properties: { route: '', table: '', reason: 'DataverseError', messageId: 'm4', code: '0x80044331' },
    });
    expect(t.counts).toEqual(
      expect.arrayContaining([
        { name: 'worker.applied', value: 1, properties: { route: 'accounts' } },
        { name: 'worker.skipped', value: 1, properties: { route: 'accounts' } },
        { name: 'worker.rescheduled', value: 1, properties: { route: 'contacts' } },
        { name: 'worker.failed', value: 1, properties: { route: '' } },
      ]),
    );
  });

  it('falls back to receivedAt for latency when the change time is unknown', () => {
    const t = new MemoryTelemetry();
    recordWorkerOutcomes(
      t,
      [{ messageId: 'x', body: body('accounts') }],
      [{ messageId: 'x', outcome: { status: 'applied' } }],
      new Date('2025-01-01T00:00:06.000Z'),
    );
    expect(t.events[0].properties.latencyMs).toBe(1000);
  });
});

describe('throttleTelemetry', () => {
  it('reports each 429 with environment, user and the pause; other answers are silent', () => {
    const t = new MemoryTelemetry();
    const observe = throttleTelemetry(t, 'target', 'app:1111');
    observe({ status: 200, durationMs: 5 });
    observe({ status: 429, durationMs: 2, retryAfterMs: 30_000, requestId: 'req-1' });
    expect(t.events).toEqual([
      {
        name: 'dataverse.throttled',
        level: 'warn',
        properties: {
          route: '',
          table: '',
          reason: 'http429',
          correlationId: '',
          messageId: '',
          environment: 'target',
          user: 'app:1111',
          retryAfterMs: 30_000,
          requestId: 'req-1',
        },
      },
    ]);
  });
});
