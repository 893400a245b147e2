/**
 * The write engine on real parts: the Dataverse emulator (real HTTP on loopback, its own limits and
 * errors) reached through the real client + throttle pools + adapter, the ledger and failures on
 * Azurite, re-enqueued changes on the Service Bus emulator. One world per test file; `fresh()` gives
 * each test its own tables and session, and resets the emulator's rows and counters.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { startDataverseEmulator, type DataverseEmulator } from '../../../emulators/dataverse';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../emulators/servicebus';
import { startAzurite, type TestAzurite } from '../../helpers/azurite';
import type { EnvironmentConfig } from '../../../shared/config/environments';
import type { DataverseClient } from '../../../shared/dataverse/client';
import { BlobMessageReader } from '../../../shared/engine/blob-reader';
import { DataverseSink, DataverseSourceReader } from '../../../shared/sinks/dataverse';
import type { Sink } from '../../../shared/engine/sink';
import { WriteEngine, type EnginePorts, type IncomingMessage } from '../../../shared/engine/engine';
import type { EngineOptions } from '../../../shared/engine/options';
import type { RecordLedgerPort } from '../../../shared/engine/ports';
import { ServiceBusRescheduler } from '../../../shared/engine/servicebus-rescheduler';
import { FailureStore } from '../../../shared/ledger/failures';
import { RecordLedger } from '../../../shared/ledger/record-ledger';
import { routeSchema, type Route } from '../../../shared/routes/schema';
import { createEnvironmentPool } from '../../../shared/throttle/environment';
import type { UserPool } from '../../../shared/throttle/pool';

export const QUEUE = 'dvsync-changes';
/** One emulated millisecond per model second: Retry-After 300 s → 0.3 s of real time. */
export const TIME_SCALE = 0.001;

/** The default emulator schema plus `dvs_widget`, a table without bulk messages (SdkEntityDoesNotSupportMessage). */
export function writeTestSchema(): string {
  const schema = JSON.parse(readFileSync(join(__dirname, '../../../emulators/dataverse/schemas/default.json'), 'utf8'));
  schema.tables.push({
    logicalName: 'dvs_widget',
    entitySetName: 'dvs_widgets',
    primaryId: 'dvs_widgetid',
    primaryName: 'dvs_name',
    ownership: 'OrganizationOwned',
    columns: { dvs_name: { type: 'string', maxLength: 20 }, dvs_code: { type: 'string', maxLength: 20 } },
    keys: [{ name: 'dvs_widget_code_key', columns: ['dvs_code'] }],
  });
  const file = join(mkdtempSync(join(tmpdir(), 'dvsync-engine-')), 'schema.json');
  writeFileSync(file, JSON.stringify(schema));
  return file;
}

export interface World {
  dv: DataverseEmulator;
  azurite: TestAzurite;
  sb: ServiceBusEmulator;
  sbClient: ServiceBusClient;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const [dv, azurite, sb] = await Promise.all([
    startDataverseEmulator({ port: 0, timeScale: TIME_SCALE, schemaFile: writeTestSchema() }),
    startAzurite(),
    startServiceBusEmulator({ port: 0 }),
  ]);
  const sbClient = new ServiceBusClient(sb.connectionString);
  return {
    dv,
    azurite,
    sb,
    sbClient,
    close: async () => {
      await sbClient.close();
      await Promise.all([dv.close(), azurite.close(), sb.close()]);
    },
  };
}

/**
 * The jest hooks every engine suite needs: one world per test file, filled in by beforeAll (the returned
 * object is the same one the tests hold), and an emulator reset before each test.
 */
export function useWorld(): World {
  const world = {} as World;
  beforeAll(async () => {
    Object.assign(world, await startWorld());
  });
  afterAll(async () => {
    await world.close?.();
  });
  beforeEach(async () => {
    await operator(world.dv, 'POST', 'reset');
  });
  return world;
}

/** The emulated environment as DVSYNC_ENVIRONMENTS would describe it; the token names the application user. */
export function environmentConfig(dv: DataverseEmulator, env: string, users: string[] = ['app-user-1']): EnvironmentConfig {
  return { url: `https://${env}.crm.dynamics.com`, apiBaseUrl: dv.url(env), credentials: users.map((token) => ({ type: 'staticToken' as const, token })) };
}

export async function operator(dv: DataverseEmulator, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(new URL(path, dv.operatorUrl), {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export interface Counters {
  requests: number;
  responsesByStatus: Record<string, number>;
  throttledByCode: Record<string, number>;
  operations: Record<string, number>;
}

export const counters = (dv: DataverseEmulator): Promise<Counters> => operator(dv, 'GET', 'counters');

/** Rows of a table as the emulator stores them (read over the Web API by a separate, unthrottled reader). */
export async function rows(dv: DataverseEmulator, env: string, set: string, select: string): Promise<Array<Record<string, any>>> {
  const res = await fetch(`${dv.url(env)}${set}?$select=${select}`, { headers: { authorization: 'Bearer test-reader' } });
  if (!res.ok) throw new Error(`GET ${set}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { value: Array<Record<string, any>> }).value;
}

let unique = 0;
export const uniqueName = (base: string): string => `${base}${process.pid % 1000}${Date.now() % 100000}${unique++}`;

export interface Rig {
  engine: WriteEngine;
  pools: Map<string, UserPool<DataverseClient>>;
  ledger: RecordLedger;
  failures: FailureStore;
  ledgerTable: string;
  session: string;
  msg(route: string, values: Record<string, unknown>, version: number, extra?: MessageExtra): IncomingMessage;
  /** Everything waiting on this rig's session (scheduled messages included), via a real session receiver. */
  queued(): Promise<ServiceBusReceivedMessage[]>;
}

export interface MessageExtra extends Partial<IncomingMessage> {
  operation?: 'upsert' | 'delete';
  receivedAt?: string;
  source?: Record<string, unknown>;
  reread?: boolean;
  blobRef?: { container: string; name: string };
}

export interface RigOptions {
  engine?: Partial<EngineOptions>;
  budgetMs?: number;
  /** The adapter's in-request transient retries (throttle run loop). */
  retry?: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  users?: string[];
  /** Wrap the Dataverse sink (e.g. to record which requests were in flight together). */
  dataverse?: (real: DataverseSink) => Sink;
  /** More sinks beside Dataverse, by the name routes give in target.sink. */
  sinks?: Record<string, Sink>;
  /** Replace the ledger port (e.g. to make one write fail on a closed port). */
  ledger?: (real: RecordLedger) => RecordLedgerPort;
  /** Share the pools (and so the throttle lanes) of another rig. */
  pools?: Map<string, UserPool<DataverseClient>>;
  ledgerTable?: string;
  /** Circuits of stopped routes (default: in this engine only); share one store to model several instances. */
  circuits?: EnginePorts['circuits'];
}

export function rig(world: World, routes: Route[], o: RigOptions = {}): Rig {
  const ledgerTable = o.ledgerTable ?? uniqueName('ledger');
  const ledger = new RecordLedger({ connectionString: world.azurite.connectionString, table: ledgerTable });
  const failures = new FailureStore({ connectionString: world.azurite.connectionString, table: uniqueName('failures') });
  const pools = o.pools ?? new Map<string, UserPool<DataverseClient>>();
  const poolOf = (env: string): UserPool<DataverseClient> => {
    let p = pools.get(env);
    if (!p) pools.set(env, (p = createEnvironmentPool(env, environmentConfig(world.dv, env, o.users))));
    return p;
  };
  const wrapDataverse = o.dataverse ?? ((real: DataverseSink) => real);
  const ports: EnginePorts = {
    sinks: { dataverse: wrapDataverse(new DataverseSink(poolOf, { budgetMs: o.budgetMs ?? 5_000, ...(o.retry ? { retry: o.retry } : {}) })), ...o.sinks },
    sources: new DataverseSourceReader(poolOf, { budgetMs: o.budgetMs ?? 5_000 }),
    blobs: BlobMessageReader.fromConnectionString(world.azurite.connectionString),
    ledger: o.ledger ? o.ledger(ledger) : ledger,
    failures,
    rescheduler: new ServiceBusRescheduler(world.sbClient, QUEUE),
    ...(o.circuits ? { circuits: o.circuits } : {}),
  };
  const engine = new WriteEngine({ routes, transientDelayMs: 10, retry: { maxAttempts: 3, baseDelayMs: 60_000 }, ...o.engine }, ports);
  const session = uniqueName('s');
  let seq = 0;
  return {
    engine,
    pools,
    ledger,
    failures,
    ledgerTable,
    session,
    msg(route, values, version, extra = {}) {
      const { operation, receivedAt, source, reread, blobRef, ...incoming } = extra;
      const body = {
        v: 1,
        route,
        origin: reread ? 'webhook' : 'ingest',
        operation: operation ?? 'upsert',
        source: { table: route, ...source },
        // Numbers in tests are positions on one scale: row versions for Dataverse changes, the producer clock for external ones.
        version: reread ? `rv=${version}` : `ext=${version}:0:test`,
        values,
        ...(reread ? { reread } : {}),
        ...(blobRef ? { blobRef } : {}),
        receivedAt: receivedAt ?? new Date().toISOString(),
      };
      return { body, messageId: `${session}-m${seq++}`, sessionId: session, ...incoming };
    },
    async queued() {
      const receiver = await world.sbClient.acceptSession(QUEUE, session);
      try {
        return await receiver.peekMessages(100);
      } finally {
        await receiver.close();
      }
    },
  };
}

export const accountRoute = (extra: Record<string, unknown> = {}): Route =>
  routeSchema.parse({
    name: 'accounts',
    source: { table: 'account', recordColumns: {} },
    target: {
      environment: 'target',
      table: 'account',
      entitySet: 'accounts',
      key: ['accountnumber'],
      columns: { accountnumber: 'num', name: 'name', telephone1: 'phone' },
      ...extra,
    },
  });

export const contactRoute = (missingParent: 'retry' | 'dropLookup' | 'fail' = 'retry'): Route =>
  routeSchema.parse({
    name: 'contacts',
    source: { table: 'contact', recordColumns: {} },
    target: {
      environment: 'target',
      table: 'contact',
      entitySet: 'contacts',
      key: ['emailaddress1'],
      columns: { emailaddress1: 'email', lastname: 'last', dvs_externalid: 'ext' },
      lookups: [{ from: 'account', navigationProperty: 'parentcustomerid_account', targetTable: 'account', key: ['accountnumber'], missingParent }],
    },
  });

export const widgetRoute = (): Route =>
  routeSchema.parse({
    name: 'widgets',
    source: { table: 'widget', recordColumns: {} },
    target: { environment: 'target', table: 'dvs_widget', entitySet: 'dvs_widgets', key: ['dvs_code'], columns: { dvs_code: 'code', dvs_name: 'name' } },
  });

/** A port on loopback that nothing listens on (connections are refused at once). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
