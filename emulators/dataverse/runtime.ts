/** The emulator's live state: environments, options, per-environment service protection, faults and counters. */
import { randomUUID, createHash } from 'node:crypto';
import type { CostModel } from './cost';
import { FaultInjector } from './faults';
import { ServiceProtection } from './limits';
import { parseOptions, type EmulatorOptions } from './options';
import { loadSchema, type LoadedSchema } from './schema/load';
import { Environment } from './store/environment';
import type { AppUser, RequestContext } from './types';
import { attachRowVersionPolicy } from './webhooks/runner';

export interface Counters {
  requests: number;
  responsesByStatus: Record<string, number>;
  throttledByCode: Record<string, number>;
  executionMsByUser: Record<string, number>;
  /** `<writePath>:<kind>` → operations */
  operations: Record<string, number>;
  faultsInjected: number;
  /** Operations refused by the privilege switch: principal → `prv<Action><SchemaName>` → count (privileges.ts). */
  privilegeDenied: Record<string, Record<string, number>>;
}

const emptyCounters = (): Counters => ({
  requests: 0,
  responsesByStatus: {},
  throttledByCode: {},
  executionMsByUser: {},
  operations: {},
  faultsInjected: 0,
  privilegeDenied: {},
});

function stableGuid(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class EmulatorRuntime {
  readonly environments = new Map<string, Environment>();
  readonly limiters = new Map<string, ServiceProtection>();
  readonly faults: FaultInjector;
  counters: Counters = emptyCounters();
  readonly defaultEnvironment: string;
  readonly loaded: LoadedSchema;

  constructor(public options: EmulatorOptions) {
    this.loaded = loadSchema(options.schemaFile);
    for (const spec of this.loaded.file.environments) {
      const orgId = spec.organizationId ?? stableGuid(`org/${spec.name}`);
      const env = new Environment(
        {
          name: spec.name,
          uniqueName: spec.uniqueName ?? `org${spec.name}`,
          organizationId: orgId,
          friendlyName: spec.friendlyName ?? spec.name,
          businessUnitId: stableGuid(`bu/${orgId}`),
        },
        this.loaded.build(),
      );
      this.applyEnvironmentOptions(env, options);
      this.environments.set(spec.name, env);
      this.limiters.set(spec.name, new ServiceProtection(options.limits, options.timeScale));
    }
    const def = this.loaded.file.defaultEnvironment ?? this.loaded.file.environments[0].name;
    if (!this.environments.has(def)) throw new Error(`${this.loaded.source}: defaultEnvironment "${def}" is not one of the environments.`);
    this.defaultEnvironment = def;
    this.faults = new FaultInjector(options.faults);
    this.faults.armStorm(options.timeScale);
    for (const env of this.environments.values()) this.seed(env);
  }

  get costModel(): CostModel {
    return this.options.cost;
  }

  private applyEnvironmentOptions(env: Environment, options: EmulatorOptions): void {
    env.changeRetentionMs = options.changeTrackingRetentionMs;
    env.strictBatchLineEndings = options.batchStrictLineEndings;
    // Read at each delivery, so PATCH /_emulator/config and PUT /_emulator/webhooks/rowversion/<id> apply at once.
    attachRowVersionPolicy(env, () => ({ mode: this.options.webhookRowVersion, byRegistration: this.options.webhookRowVersionByRegistration }));
  }

  /** The root business unit row every environment starts with. */
  private seed(env: Environment): void {
    const bu = env.table('businessunit')!;
    if (!env.getRow('businessunit', env.info.businessUnitId)) {
      env.create(this.systemContext(env), 'businessunit', { [bu.primaryId]: env.info.businessUnitId, [bu.primaryName]: env.info.uniqueName });
    }
  }

  /** A context for server-side writes (seeding, operator loads, first-sight systemuser rows): SYSTEM user (or the new user), no cost, no events, no privilege checks. */
  systemContext(env: Environment, user?: AppUser): RequestContext {
    return {
      env,
      user: user ?? { systemUserId: stableGuid(`system/${env.info.organizationId}`), principal: 'SYSTEM', name: 'SYSTEM' },
      now: new Date(),
      bypassPlugins: false,
      suppressDuplicateDetection: true,
      correlationId: randomUUID(),
      requestId: randomUUID(),
      costMs: 0,
      writePath: 'single',
      costModel: this.costModel,
      timeScale: this.options.timeScale,
      operations: {},
      baseUrl: '',
      quiet: true,
      system: true,
    };
  }

  /** Change options at runtime (operator PATCH /_emulator/config); validated like start options. */
  reconfigure(patch: Record<string, unknown>): EmulatorOptions {
    const merged = {
      ...this.options,
      ...patch,
      limits: { ...this.options.limits, ...((patch.limits as object) ?? {}) },
      faults: { ...this.faults.faults, ...((patch.faults as object) ?? {}) },
      cost: {
        ...this.options.cost,
        ...((patch.cost as object) ?? {}),
        factors: { ...this.options.cost.factors, ...((patch.cost as { factors?: object })?.factors ?? {}) },
      },
    };
    const next = parseOptions(merged, 'PATCH /_emulator/config');
    if (next.port !== this.options.port || next.schemaFile !== this.options.schemaFile || next.host !== this.options.host) {
      throw new Error('PATCH /_emulator/config: port, host and schemaFile cannot change at runtime; restart the emulator.');
    }
    this.options = next;
    // Only what the patch names: per-environment settings made since start stay otherwise.
    for (const env of this.environments.values()) {
      if ('changeTrackingRetentionMs' in patch) env.changeRetentionMs = next.changeTrackingRetentionMs;
      if ('batchStrictLineEndings' in patch) env.strictBatchLineEndings = next.batchStrictLineEndings;
    }
    for (const l of this.limiters.values()) {
      l.limits = next.limits;
      l.timeScale = next.timeScale;
    }
    this.faults.faults = next.faults;
    if ((patch.faults as { throttleStormSeconds?: number } | undefined)?.throttleStormSeconds !== undefined) this.faults.armStorm(next.timeScale);
    return next;
  }

  reset(): void {
    for (const env of this.environments.values()) {
      env.clear();
      env.privileges.clear();
      this.seed(env);
    }
    for (const l of this.limiters.values()) l.reset();
    this.counters = emptyCounters();
  }
}
