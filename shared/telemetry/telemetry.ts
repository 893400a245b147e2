/**
 * A tiny telemetry interface. It writes through the InvocationContext logger: with
 * APPLICATIONINSIGHTS_CONNECTION_STRING set, the Functions host ships those lines to Application Insights
 * (`traces`, tied to the invocation's operation_Id), so no SDK is needed here.
 * Each line is `dvsync.<kind> <name> <json properties>` so KQL can parse it (README.md has the queries):
 *   traces | where message startswith "dvsync.event " | parse message with "dvsync.event " name " " props
 */
export interface TelemetryProperties {
  route?: string;
  table?: string;
  reason?: string;
  correlationId?: string;
  [key: string]: string | number | boolean | undefined;
}

export interface Telemetry {
  /** A counter increment (e.g. `webhook.routed`, `webhook.refused.organization`). */
  count(name: string, properties?: TelemetryProperties, value?: number): void;
  /** A business event worth finding later (e.g. a skipped route with its reason); `warn` for failures. */
  event(name: string, properties?: TelemetryProperties, level?: 'info' | 'warn' | 'error'): void;
  trace(level: 'debug' | 'info' | 'warn' | 'error', message: string, properties?: TelemetryProperties): void;
}

/** The subset of InvocationContext we log through (so tests and non-Functions callers can pass their own). */
export interface LogSink {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

const clean = (p: TelemetryProperties | undefined): Record<string, string | number | boolean> => {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(p ?? {})) if (v !== undefined) out[k] = v;
  return out;
};

export function contextTelemetry(sink: LogSink): Telemetry {
  return {
    count(name, properties, value = 1) {
      sink.info(`dvsync.count ${name} ${JSON.stringify({ value, ...clean(properties) })}`);
    },
    event(name, properties, level = 'info') {
      sink[level](`dvsync.event ${name} ${JSON.stringify(clean(properties))}`);
    },
    trace(level, message, properties) {
      const line = `dvsync.trace ${message} ${JSON.stringify(clean(properties))}`;
      sink[level](line);
    },
  };
}

/** Records everything in memory; for the CLI's dry runs and for tests that assert what was counted. */
export class MemoryTelemetry implements Telemetry {
  readonly counts: Array<{ name: string; value: number; properties: Record<string, string | number | boolean> }> = [];
  readonly events: Array<{ name: string; level: string; properties: Record<string, string | number | boolean> }> = [];
  readonly traces: Array<{ level: string; message: string; properties: Record<string, string | number | boolean> }> = [];
  count(name: string, properties?: TelemetryProperties, value = 1): void {
    this.counts.push({ name, value, properties: clean(properties) });
  }
  event(name: string, properties?: TelemetryProperties, level: 'info' | 'warn' | 'error' = 'info'): void {
    this.events.push({ name, level, properties: clean(properties) });
  }
  trace(level: 'debug' | 'info' | 'warn' | 'error', message: string, properties?: TelemetryProperties): void {
    this.traces.push({ level, message, properties: clean(properties) });
  }
  total(name: string): number {
    return this.counts.filter((c) => c.name === name).reduce((s, c) => s + c.value, 0);
  }
}
