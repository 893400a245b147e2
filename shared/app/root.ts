/**
 * The composition root: given the validated configuration it builds every shared part of the app lazily
 * and at most once (pools, storage, ledger, failures, checkpoints, circuits, the Service Bus client and
 * the changes queue's publisher and rescheduler, the large-message store, the blob reader) and assembles
 * from them what each door needs (worker engine, intake, sync, import, operator commands). One root means
 * one way to wire each part: a door cannot read a setting differently, and parts that hold state (throttle
 * lanes, connections) are shared by every door of a process rather than built again.
 */
import type { ServiceBusClient } from '@azure/service-bus';
import type { TableClient } from '@azure/data-tables';
import type { Configuration } from '../config/configuration';
import type { Settings } from '../config/settings';
import type { LoadedRoutes } from '../routes/load';
import { BlobMessageReader } from '../engine/blob-reader';
import type { WriteEngine } from '../engine/engine';
import { ServiceBusRescheduler } from '../engine/servicebus-rescheduler';
import type { ImportDeps } from '../import/runner';
import { Checkpoints } from '../ledger/checkpoints';
import { TableCircuitStore } from '../ledger/circuits';
import { FailureStore } from '../ledger/failures';
import { RecordLedger } from '../ledger/record-ledger';
import { FAILURES_TABLE, requireStorageConnection, tableClient } from '../ledger/tables';
import { BlobLargeMessageStore, type LargeMessageStore } from '../queue/large-messages';
import type { ChangePublisher } from '../queue/outgoing';
import { createServiceBusClient, ServiceBusChangePublisher } from '../queue/servicebus';
import type { SyncRuntime } from '../sync/runtime';
import { throttleTelemetry } from '../telemetry/outcomes';
import { invocationTelemetry } from '../telemetry/scope';
import type { Telemetry } from '../telemetry/telemetry';
import { environmentPools, type PoolOf } from '../throttle/pools';
import type { IntakeRuntime } from '../webhook/runtime';
import { workerEngineOf } from './engine';
import { importDepsOf } from './import';
import { intakeOf } from './intake';
import type { RootOverrides, SharedParts } from './parts';
import { once } from './once';
import { syncOf } from './sync';

/** The settings, with the routes for every door that routes changes (operator commands need only settings). */
export interface RootConfiguration {
  settings: Settings;
  routes?: LoadedRoutes;
}

export interface RootOptions {
  /**
   * Where throttle events (`dataverse.throttled`) of the shared pools go. Default: the sink of the current
   * invocation (`runWithTelemetry` in functions/apply-changes.ts), since the pools outlive every invocation.
   */
  telemetry?: Telemetry;
  overrides?: RootOverrides;
}

export class AppRoot implements SharedParts {
  readonly settings: Settings;
  readonly overrides: RootOverrides;
  private readonly telemetry: Telemetry;

  constructor(
    private readonly config: RootConfiguration,
    options: RootOptions = {},
  ) {
    this.settings = config.settings;
    this.overrides = options.overrides ?? {};
    this.telemetry = options.telemetry ?? invocationTelemetry();
  }

  configuration(): Configuration {
    const { settings, routes } = this.config;
    if (!routes) throw new Error('This composition root was built from the settings alone (an operator command); doors that route changes need the routes.');
    return { settings, routes };
  }

  readonly pools = once((): PoolOf =>
    environmentPools(this.settings, { onResponse: (environment, user, meta) => throttleTelemetry(this.telemetry, environment, user)(meta) }),
  );

  storageConnection(): string {
    return requireStorageConnection(this.settings.storage.accountConnection);
  }

  readonly recordLedger = once(() => new RecordLedger({ connectionString: this.storageConnection() }));
  readonly failures = once(() => new FailureStore({ connectionString: this.storageConnection() }));
  readonly failuresTable = once((): TableClient => tableClient(this.storageConnection(), FAILURES_TABLE));
  readonly checkpoints = once(() => new Checkpoints({ connectionString: this.storageConnection() }));
  readonly circuits = once(() => new TableCircuitStore({ connectionString: this.storageConnection() }));
  readonly serviceBusClient = once((): ServiceBusClient => createServiceBusClient(this.settings.serviceBus));

  // The root owns the client: closing the publisher closes its sender only.
  private readonly ownPublisher = once(() => {
    const { serviceBus, intake } = this.settings;
    return new ServiceBusChangePublisher(this.serviceBusClient(), serviceBus.changesQueue, intake.retryAfterSeconds, false);
  });

  changePublisher(): ChangePublisher {
    return this.overrides.publisher ?? this.ownPublisher();
  }

  readonly rescheduler = once(() => new ServiceBusRescheduler(this.serviceBusClient(), this.settings.serviceBus.changesQueue));

  private readonly ownLargeMessages = once((): LargeMessageStore | undefined => BlobLargeMessageStore.fromSettings(this.settings.storage));

  largeMessages(): LargeMessageStore | undefined {
    const { largeMessages } = this.overrides;
    return largeMessages === undefined ? this.ownLargeMessages() : (largeMessages ?? undefined);
  }

  readonly blobReader = once(() => BlobMessageReader.fromConnectionString(this.storageConnection()));

  /** The apply-changes worker's engine. */
  readonly workerEngine = once((): WriteEngine => workerEngineOf(this));
  /** What the webhook, ingest and inbound handlers need. */
  readonly intake = once((): IntakeRuntime => intakeOf(this));
  /** Incremental sync; its close() closes nothing, the root's close() does. */
  readonly sync = once((): SyncRuntime => syncOf(this));
  /** What `dvsync import` needs (the engine in-process; Service Bus is never touched). */
  readonly importDeps = once((): Omit<ImportDeps, 'progress'> => importDepsOf(this));

  /** Closes what the root opened (senders first, then the Service Bus client); overrides belong to the caller. */
  async close(): Promise<void> {
    await this.rescheduler.built()?.close();
    await this.ownPublisher.built()?.close();
    await this.serviceBusClient.built()?.close();
  }
}
