/**
 * Telemetry of the current invocation for code that is built once per process (the worker's engine, its
 * throttle pools): `runWithTelemetry(t, fn)` makes `t` the sink for everything `fn` awaits, and
 * `invocationTelemetry` writes to it. So a 429 is logged on the invocation whose request got it, tied to
 * its operation_Id. Outside any scope (CLI, tests without one) lines go to the fallback, if given.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Telemetry } from './telemetry';

const scope = new AsyncLocalStorage<Telemetry>();

export function runWithTelemetry<T>(telemetry: Telemetry, fn: () => T): T {
  return scope.run(telemetry, fn);
}

/** A Telemetry that forwards to the innermost `runWithTelemetry` sink, else to `fallback`, else nowhere. */
export function invocationTelemetry(fallback?: Telemetry): Telemetry {
  const current = (): Telemetry | undefined => scope.getStore() ?? fallback;
  return {
    count: (name, properties, value) => current()?.count(name, properties, value),
    event: (name, properties, level) => current()?.event(name, properties, level),
    trace: (level, message, properties) => current()?.trace(level, message, properties),
  };
}
