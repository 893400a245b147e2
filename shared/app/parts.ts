/**
 * The shared parts of the app, as the doors (./engine.ts, ./intake.ts, ./sync.ts, ./import.ts) see them.
 * AppRoot (./root.ts) builds each one lazily and at most once; the doors only assemble them.
 */
import type { ServiceBusClient } from '@azure/service-bus';
import type { TableClient } from '@azure/data-tables';
import type { Configuration } from '../config/configuration';
import type { Settings } from '../config/settings';
import type { BlobMessageReader } from '../engine/blob-reader';
import type { ServiceBusRescheduler } from '../engine/servicebus-rescheduler';
import type { Checkpoints } from '../ledger/checkpoints';
import type { TableCircuitStore } from '../ledger/circuits';
import type { FailureStore, FailureStorePort } from '../ledger/failures';
import type { RecordLedger } from '../ledger/record-ledger';
import type { LargeMessageStore } from '../queue/large-messages';
import type { ChangePublisher } from '../queue/outgoing';
import type { ChangeSource, CheckpointStore } from '../sync/pass';
import type { PoolOf } from '../throttle/pools';

/** Test seams: parts used instead of the ones the root would build. The caller owns (and closes) them. */
export interface RootOverrides {
  publisher?: ChangePublisher;
  /** null: no large-message store (large Dataverse changes become re-read instructions). */
  largeMessages?: LargeMessageStore | null;
  /** Where the intake records refused inbound messages; null: nowhere (they are redelivered, then dead-lettered). */
  intakeFailures?: FailureStorePort | null;
  /** Sync's delta-link checkpoints. */
  syncCheckpoints?: CheckpointStore;
  /** Sync's change source per source environment. */
  changeSource?: (environment: string) => ChangeSource;
  now?: () => Date;
}

export interface SharedParts {
  readonly settings: Settings;
  readonly overrides: RootOverrides;
  /** Settings and routes; throws for a root built for an operator command (settings only). */
  configuration(): Configuration;
  /** One throttle user pool per environment, every response reaching the throttle telemetry. */
  pools(): PoolOf;
  /** The storage account of the tables and the worker's blob reads; throws StorageConfigError when none is configured. */
  storageConnection(): string;
  recordLedger(): RecordLedger;
  failures(): FailureStore;
  failuresTable(): TableClient;
  checkpoints(): Checkpoints;
  circuits(): TableCircuitStore;
  serviceBusClient(): ServiceBusClient;
  /** The changes queue's publisher (intake, sync, failures replay). */
  changePublisher(): ChangePublisher;
  /** The changes queue's rescheduler (the worker's held changes). */
  rescheduler(): ServiceBusRescheduler;
  largeMessages(): LargeMessageStore | undefined;
  blobReader(): BlobMessageReader;
}
