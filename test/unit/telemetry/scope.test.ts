import { invocationTelemetry, runWithTelemetry } from '../../../shared/telemetry/scope';
import { MemoryTelemetry } from '../../../shared/telemetry/telemetry';

describe('invocation telemetry scope', () => {
  it('sends each line to the sink of the invocation it was raised in, across awaits, with concurrent invocations', async () => {
    const shared = invocationTelemetry();
    const a = new MemoryTelemetry();
    const b = new MemoryTelemetry();
    const work = async (name: string, delayMs: number) => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      shared.event('dataverse.throttled', { user: name }, 'warn');
      shared.count('n', {}, 2);
    };
    await Promise.all([runWithTelemetry(a, () => work('a', 20)), runWithTelemetry(b, () => work('b', 5))]);
    expect(a.events).toEqual([{ name: 'dataverse.throttled', level: 'warn', properties: { user: 'a' } }]);
    expect(b.events).toEqual([{ name: 'dataverse.throttled', level: 'warn', properties: { user: 'b' } }]);
    expect(a.total('n')).toBe(2);
  });

  it('outside any invocation writes to the fallback when given', () => {
    const fallback = new MemoryTelemetry();
    invocationTelemetry(fallback).trace('info', 'hello');
    invocationTelemetry().trace('info', 'dropped');
    expect(fallback.traces.map((t) => t.message)).toEqual(['hello']);
  });
});
