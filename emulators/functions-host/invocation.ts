/**
 * Running one invocation the way the host does: a fresh InvocationContext (invocation id, function
 * name, logs prefixed with the function name), functionTimeout enforced, and every invocation tracked
 * so shutdown can wait for the ones in flight.
 */
import { randomUUID } from 'node:crypto';
import { InvocationContext, type LogLevel, type TriggerMetadata } from '@azure/functions';

export type HostLogger = (line: string) => void;

export class FunctionTimeoutError extends Error {
  constructor(functionName: string, timeoutMs: number) {
    super(`Timeout value of ${formatDuration(timeoutMs)} was exceeded by function: Functions.${functionName}`);
    this.name = 'FunctionTimeoutError';
  }
}

export interface InvokeOptions {
  functionName: string;
  triggerMetadata?: TriggerMetadata;
  /** The trigger as `context.options.trigger` shows it. */
  trigger: { type: string; name: string } & Record<string, unknown>;
}

export class InvocationRunner {
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly functionTimeoutMs: number,
    private readonly log: HostLogger,
  ) {}

  get activeCount(): number {
    return this.inFlight.size;
  }

  /** Runs the handler; resolves with its result or rejects with its error (or a FunctionTimeoutError). */
  run<T>(options: InvokeOptions, call: (context: InvocationContext) => T | Promise<T>): Promise<T> {
    const invocationId = randomUUID();
    const { functionName } = options;
    const context = new InvocationContext({
      invocationId,
      functionName,
      triggerMetadata: options.triggerMetadata,
      options: { trigger: options.trigger as never, extraInputs: [], extraOutputs: [] },
      logHandler: (level: LogLevel, ...args: unknown[]) =>
        this.log(`[${functionName}] ${level === 'information' ? '' : `${level}: `}${args.map(formatArg).join(' ')}`),
    });
    this.log(`Executing 'Functions.${functionName}' (Id=${invocationId})`);
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const handlerResult = Promise.resolve().then(() => call(context));
    const timeout = Number.isFinite(this.functionTimeoutMs)
      ? new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new FunctionTimeoutError(functionName, this.functionTimeoutMs)), this.functionTimeoutMs);
        })
      : undefined;
    const result = (timeout ? Promise.race([handlerResult, timeout]) : handlerResult).then(
      (value) => {
        this.log(`Executed 'Functions.${functionName}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`);
        return value;
      },
      (err: unknown) => {
        this.log(`Executed 'Functions.${functionName}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms): ${formatArg(err)}`);
        throw err;
      },
    );
    const tracked = result.finally(() => {
      clearTimeout(timer);
      this.inFlight.delete(tracked);
    });
    tracked.catch(() => undefined);
    this.inFlight.add(tracked);
    return result;
  }

  /** Waits until no invocation is running or `timeoutMs` passes; returns how many were still running. */
  async drain(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))))]);
      clearTimeout(timer);
    }
    return this.inFlight.size;
  }
}

function formatArg(arg: unknown): string {
  if (arg instanceof Error) return arg.stack ?? `${arg.name}: ${arg.message}`;
  if (typeof arg === 'string') return arg;
  try {
    return JSON.stringify(arg);
  } catch {
    return String(arg);
  }
}

function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}
