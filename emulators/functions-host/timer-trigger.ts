/**
 * Timer triggers: six-field NCRONTAB (`{second} {minute} {hour} {day} {month} {day-of-week}`, UTC
 * like the host without WEBSITE_TIME_ZONE) or a TimeSpan interval (`hh:mm:ss`), `runOnStartup`, and
 * one invocation at a time per function (the host holds a singleton lock per timer).
 */
import parser from 'cron-parser';
import type { Timer, TimerFunctionOptions } from '@azure/functions';
import { parseTimeSpanMs } from './config';
import type { HostLogger, InvocationRunner } from './invocation';

/** A timer that fires this late after its scheduled time is reported with `isPastDue: true`. */
const PAST_DUE_AFTER_MS = 1000;
/** setTimeout's ceiling; longer waits are chained. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface TimerFunction {
  name: string;
  options: TimerFunctionOptions;
}

export interface Schedule {
  /** The first occurrence strictly after `after`. */
  next(after: Date): Date;
}

export function parseSchedule(schedule: string, functionName: string): Schedule {
  const text = schedule.trim();
  if (/^(?:\d+\.)?\d{1,2}:\d{2}:\d{2}$/.test(text)) {
    const interval = parseTimeSpanMs(text, `Function "${functionName}" schedule`);
    if (!(interval > 0)) throw new Error(`Function "${functionName}": schedule "${schedule}" must be a positive interval.`);
    return { next: (after) => new Date(after.getTime() + interval) };
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(
      `Function "${functionName}": schedule "${schedule}" has ${fields.length} fields; NCRONTAB needs 6 ` +
        `({second} {minute} {hour} {day} {month} {day-of-week}), e.g. "0 */5 * * * *" for every five minutes.`,
    );
  }
  try {
    parser.parseExpression(text, { utc: true });
  } catch (err) {
    throw new Error(`Function "${functionName}": schedule "${schedule}" is not a valid NCRONTAB expression: ${(err as Error).message}`, { cause: err });
  }
  return { next: (after) => parser.parseExpression(text, { utc: true, currentDate: after }).next().toDate() };
}

export interface TimerTriggerHost {
  start(): void;
  /** Stops scheduling; invocations in flight are awaited by the runner's drain. */
  stop(): void;
  describe(): string[];
}

export function createTimerTriggerHost(
  functions: TimerFunction[],
  resolve: (value: string, where: string) => string,
  runner: InvocationRunner,
  log: HostLogger,
): TimerTriggerHost {
  const timers = functions.map((f) => ({ ...f, schedule: parseSchedule(resolve(f.options.schedule, `Function "${f.name}" schedule`), f.name) }));
  const handles = new Set<NodeJS.Timeout>();
  let stopped = false;

  function sleepUntil(due: Date, then: () => void): void {
    const wait = Math.min(MAX_TIMEOUT_MS, Math.max(0, due.getTime() - Date.now()));
    const handle = setTimeout(() => {
      handles.delete(handle);
      if (stopped) return;
      if (Date.now() < due.getTime()) sleepUntil(due, then);
      else then();
    }, wait);
    handles.add(handle);
  }

  function loop(timer: (typeof timers)[number], last: Date | undefined): void {
    const due = timer.schedule.next(new Date());
    sleepUntil(due, () => {
      void fire(timer, due, last).then(() => {
        if (!stopped) loop(timer, due);
      });
    });
  }

  async function fire(timer: (typeof timers)[number], scheduled: Date, last: Date | undefined): Promise<void> {
    const now = new Date();
    const payload: Timer = {
      isPastDue: now.getTime() - scheduled.getTime() > PAST_DUE_AFTER_MS,
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: (last ?? new Date(0)).toISOString(),
        next: timer.schedule.next(now).toISOString(),
        lastUpdated: now.toISOString(),
      },
    };
    try {
      await runner.run(
        {
          functionName: timer.name,
          trigger: { type: 'timerTrigger', name: 'timerTrigger', schedule: timer.options.schedule, runOnStartup: Boolean(timer.options.runOnStartup) },
        },
        (context) => timer.options.handler(payload, context),
      );
    } catch {
      // Already logged by the runner; a failed timer run simply waits for its next occurrence, like the host.
    }
  }

  return {
    start() {
      for (const timer of timers) {
        if (timer.options.runOnStartup) {
          log(`Timer '${timer.name}': runOnStartup is set; running it now.`);
          void fire(timer, new Date(), undefined).then(() => {
            if (!stopped) loop(timer, new Date());
          });
        } else {
          loop(timer, undefined);
        }
      }
    },
    stop() {
      stopped = true;
      for (const handle of handles) clearTimeout(handle);
      handles.clear();
    },
    describe: () => timers.map((t) => `${t.name}: timerTrigger (${t.options.schedule}, next ${t.schedule.next(new Date()).toISOString()})`),
  };
}
