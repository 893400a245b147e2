/**
 * Per-environment webhook delivery: matching committed writes to enabled steps, sync delivery
 * inside the write's transaction (a failure fails the write), the async queue in commit order
 * with system jobs, the single 502/503/504 retry, the 256 KB strip, and the attempt log.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DvError } from '../errors';
import type { Environment } from '../store/environment';
import type { WriteEvent } from '../types';
import { contextForEvent, contextMessage, type RequestExtras } from './event-context';
import { parseWebhookOptions, type WebhookOptions } from './options';
import { deliveryHeaders, deliveryUrl, postWebhook, redactedUrl } from './post';
import type { StepRegistration } from './registrations';
import { ensureSystemRows, stepsFor } from './registry';
import { defaultRowVersionPolicy, rowVersionModeFor, type RowVersionMode, type RowVersionPolicy } from './row-version';
import { serializeRemoteExecutionContext } from './serialize';

export interface WriteRequestExtras extends RequestExtras {
  organizationHost: string;
  bypassStepIds: string[];
  /** The request's timeScale: delivery timeouts and the retry delay follow it. */
  timeScale: number;
}

export interface DeliveryAttempt {
  jobId: string;
  stepId: string;
  stepName: string;
  mode: 'sync' | 'async';
  message: string;
  table: string;
  recordId: string;
  url: string;
  attempt: number;
  status?: number;
  error?: string;
  startedAt: string;
  durationMs: number;
  sizeBytes: number;
  truncated: boolean;
  /** What the payload's RowVersion fields carried (row-version.ts). */
  rowVersion: RowVersionMode;
}

/** An async step's system job (asyncoperation): statuscode 0 waiting, 20 in progress, 30 succeeded, 31 failed. */
export interface SystemJob {
  asyncoperationid: string;
  owningextensionid: string;
  name: string;
  message: string;
  table: string;
  recordId: string;
  statuscode: 0 | 20 | 30 | 31;
  createdon: string;
  completedon?: string;
  error?: string;
}

const RETRIED = new Set([502, 503, 504]);
const ok = (status?: number): boolean => status !== undefined && status >= 200 && status < 300;

export class EnvironmentWebhooks {
  options: WebhookOptions = parseWebhookOptions({}, 'webhooks');
  /** The RowVersion policy, read at each delivery; the runtime points it at its options (`attachRowVersionPolicy`). */
  rowVersionPolicy: () => RowVersionPolicy = defaultRowVersionPolicy;
  /** serviceendpointid → authvalue (never stored in the row). */
  readonly secrets = new Map<string, string>();
  readonly attempts: DeliveryAttempt[] = [];
  readonly jobs: SystemJob[] = [];
  private readonly extras = new Map<string, WriteRequestExtras>();
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  /** The latest request's timeScale, for events whose request extras were already forgotten. */
  private timeScale = 1;

  constructor(readonly env: Environment) {
    env.onCommitted((events) => this.enqueue(events));
  }

  ensureSeeded(): void {
    ensureSystemRows(this.env);
  }

  /** Remember what a write request carried, for events committed later (bounded). */
  rememberRequest(requestId: string, extras: WriteRequestExtras): void {
    this.extras.set(requestId, extras);
    this.timeScale = extras.timeScale;
    if (this.extras.size > 1000) this.extras.delete(this.extras.keys().next().value!);
  }

  private extrasOf(event: WriteEvent): WriteRequestExtras {
    return (
      this.extras.get(event.requestId) ?? {
        userAgent: '',
        suppressDuplicateDetection: false,
        organizationHost: `${this.env.info.uniqueName}.crm.dynamics.com`,
        bypassStepIds: [],
        timeScale: this.timeScale,
      }
    );
  }

  /** Steps of `mode` that this event fires (message, table, filtering attributes, bypass options). */
  matching(event: WriteEvent, mode: 0 | 1): StepRegistration[] {
    const message = contextMessage(event);
    if (!message || !this.env.table(event.table)) return [];
    const bypass = (event.bypassBusinessLogicExecution ?? '').toLowerCase();
    // BypassCustomPluginExecution and CustomSync skip sync custom steps; CustomAsync skips async ones (Learn: bypass-custom-business-logic).
    if (mode === 0 && (event.bypassCustomPluginExecution || bypass.includes('customsync'))) return [];
    if (mode === 1 && bypass.includes('customasync')) return [];
    const skipIds = new Set(this.extrasOf(event).bypassStepIds);
    return stepsFor(this.env, event.table, message, this.secrets).filter((s) => {
      if (s.mode !== mode || skipIds.has(s.id)) return false;
      if (message !== 'Update' || !s.filteringAttributes) return true;
      return s.filteringAttributes.some((a) => event.changedColumns.includes(a));
    });
  }

  /** Deliver one event to one step: the attempt and, on 502/503/504, the single retry. Resolves to the final attempt. */
  private async deliver(event: WriteEvent, step: StepRegistration, jobId: string): Promise<DeliveryAttempt> {
    const extras = this.extrasOf(event);
    const o = this.options;
    const message = contextMessage(event)!;
    const rowVersion = rowVersionModeFor(this.rowVersionPolicy(), step);
    const input = contextForEvent(this.env, event, step, {
      operationId: step.mode === 1 ? jobId : randomUUID(),
      stepTime: new Date(),
      serverUtcOffsetMinutes: o.serverUtcOffsetMinutes,
      userUtcOffsetMinutes: o.userUtcOffsetMinutes,
      extras,
      changedEntityTypes: [[event.table, message === 'Delete' ? 'Delete' : 'Update']],
      rowVersion,
    })!;
    let body = Buffer.from(serializeRemoteExecutionContext(input), 'utf8');
    const truncated = body.length > o.maxPayloadBytes;
    if (truncated) body = Buffer.from(serializeRemoteExecutionContext(input, { stripped: true }), 'utf8');
    const url = deliveryUrl(step.endpoint);
    const headers = deliveryHeaders(step.endpoint, {
      organizationHost: o.organizationHost ?? extras.organizationHost,
      entityName: event.table,
      requestName: message,
      correlationId: event.correlationId,
      sizeExceeded: truncated,
    });
    const scale = o.timeScale ?? extras.timeScale;
    let last!: DeliveryAttempt;
    for (let attempt = 1; attempt <= 2; attempt++) {
      if (attempt === 2) await sleep(o.retryDelayMs * scale);
      const startedAt = new Date().toISOString();
      const r = await postWebhook(url, headers, body, o.timeoutMs * scale);
      last = {
        jobId,
        stepId: step.id,
        stepName: step.name,
        mode: step.mode === 0 ? 'sync' : 'async',
        message,
        table: event.table,
        recordId: event.id,
        url: redactedUrl(url),
        attempt,
        status: r.status,
        error: r.error,
        startedAt,
        durationMs: Math.round(r.durationMs),
        sizeBytes: body.length,
        truncated,
        rowVersion,
      };
      this.log(last);
      if (ok(r.status) || r.status === undefined || !RETRIED.has(r.status)) break;
    }
    return last;
  }

  private log(a: DeliveryAttempt): void {
    this.attempts.push(a);
    if (this.attempts.length > this.options.maxLoggedAttempts) this.attempts.shift();
  }

  /** Sync steps for the events of one write, before its transaction commits; throws to fail (and roll back) the write. */
  async deliverSync(events: WriteEvent[]): Promise<void> {
    for (const event of events) {
      for (const step of this.matching(event, 0)) {
        const a = await this.deliver(event, step, randomUUID());
        if (!ok(a.status)) {
          const why = a.status !== undefined ? `answered HTTP ${a.status}` : `failed: ${a.error}`;
          // A failing sync step surfaces like a failing plug-in: 400 0x80040265 (Learn: webapi/compose-http-requests-handle-errors).
          throw new DvError(
            400,
            '0x80040265',
            `The synchronous webhook step '${step.name}' (${a.url}) ${why}, so the ${event.message} of ${event.table} ${event.id} was rolled back. Make the endpoint answer 2xx within ${Math.round(this.options.timeoutMs / 1000)} s, or disable the step (statecode 1).`,
          );
        }
      }
    }
  }

  /** onCommitted: queue async steps in commit order. */
  private enqueue(events: WriteEvent[]): void {
    for (const event of events) {
      for (const step of this.matching(event, 1)) {
        const job: SystemJob = {
          asyncoperationid: randomUUID(),
          owningextensionid: step.id,
          name: step.name,
          message: contextMessage(event)!,
          table: event.table,
          recordId: event.id,
          statuscode: 0,
          createdon: new Date().toISOString(),
        };
        this.jobs.push(job);
        this.pending++;
        this.tail = this.tail.then(() => this.runJob(job, event, step));
      }
    }
  }

  private async runJob(job: SystemJob, event: WriteEvent, step: StepRegistration): Promise<void> {
    try {
      job.statuscode = 20;
      const a = await this.deliver(event, step, job.asyncoperationid);
      job.statuscode = ok(a.status) ? 30 : 31;
      if (!ok(a.status)) job.error = a.status !== undefined ? `HTTP ${a.status}` : a.error;
      job.completedon = new Date().toISOString();
      // asyncautodelete removes the system job once it succeeded (Learn: register-web-hook).
      if (job.statuscode === 30 && step.asyncAutoDelete) this.jobs.splice(this.jobs.indexOf(job), 1);
    } catch (e) {
      job.statuscode = 31;
      job.error = e instanceof Error ? e.message : String(e);
    } finally {
      this.pending--;
    }
  }

  /** Resolves when every queued async delivery (including ones queued while waiting) is done. */
  async drain(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.tail;
      await seen;
    } while (seen !== this.tail || this.pending > 0);
  }

  get queued(): number {
    return this.pending;
  }

  clearLog(): void {
    this.attempts.length = 0;
    this.jobs.length = 0;
  }
}

const states = new WeakMap<Environment, EnvironmentWebhooks>();

function stateOf(env: Environment): EnvironmentWebhooks {
  let s = states.get(env);
  if (!s) {
    s = new EnvironmentWebhooks(env);
    states.set(env, s);
  }
  return s;
}

/** The webhook state of an environment, created (and its system rows seeded) on first use. */
export function webhooksOf(env: Environment): EnvironmentWebhooks {
  const s = stateOf(env);
  s.ensureSeeded();
  return s;
}

/** Make deliveries in `env` read the RowVersion policy from `policy` (the runtime's options); seeds nothing. */
export function attachRowVersionPolicy(env: Environment, policy: () => RowVersionPolicy): void {
  stateOf(env).rowVersionPolicy = policy;
}
