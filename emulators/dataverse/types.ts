/**
 * Plain types of the Dataverse emulator pipeline (and `dispatcherOf`). Nothing here depends on node:http, so `$batch`
 * can run its inner requests through the same `dispatch` as the HTTP server.
 */
import type { Environment } from './store/environment';
import type { Transaction } from './store/transaction';
import type { CostModel } from './cost';

/** One Web API request, relative to an environment's `/api/data/v9.2/` prefix. */
export interface DvRequest {
  method: string;
  /** Percent-decoded path after `/api/data/v9.2/`, no leading slash: `accounts(accountnumber='A''1')/primarycontactid/$ref`. */
  path: string;
  query: URLSearchParams;
  /** Header names lowercased. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface DvResponse {
  status: number;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** Which write path a request (or an operation inside it) takes; drives the cost model and counters. */
export type WritePath = 'single' | 'batch' | 'bulk';

/** The calling application user (one per distinct token subject). */
export interface AppUser {
  /** systemuserid of the row created on first sight. */
  systemUserId: string;
  /** The `oid`/`sub` claim, or the raw token when it is not a JWT. */
  principal: string;
  name: string;
}

export interface RequestContext {
  env: Environment;
  user: AppUser;
  now: Date;
  /** `?tag=` query parameter (reaches plug-ins as SharedVariables["tag"]). */
  tag?: string;
  /** `MSCRM.BypassCustomPluginExecution: true`. */
  bypassPlugins: boolean;
  /** `MSCRM.BypassBusinessLogicExecution` raw value (CustomSync, CustomAsync). */
  bypassBusinessLogic?: string;
  /** `MSCRM.SuppressDuplicateDetection`; the Web API default is true (detection off). */
  suppressDuplicateDetection: boolean;
  /** `CallerObjectId` header (impersonation by Entra object id). */
  callerObjectId?: string;
  correlationId: string;
  requestId: string;
  /** Execution time in model milliseconds accrued by this request so far (see cost.ts). */
  costMs: number;
  writePath: WritePath;
  /** The emulator's cost model; charge through `charge(ctx, kind, count)` in cost.ts. */
  costModel: CostModel;
  /** The emulator's timeScale: real duration = model duration × timeScale (delays, windows, webhook timeouts). */
  timeScale: number;
  /** Operations charged so far, keyed `<writePath>:<kind>` (operator counters). */
  operations: Record<string, number>;
  /** Base URL of the environment, ending in `/api/data/v9.2/`, for OData-EntityId and @odata.context. */
  baseUrl: string;
  /** Operator loads and first-sight systemuser rows: writes publish no WriteEvents (the change log still records them). */
  quiet?: boolean;
  /** The emulator's own writes (seeding, operator loads, first-sight systemuser rows, webhook system rows): never refused by the privilege switch (privileges.ts). */
  system?: boolean;
  /** Privileges refused during this request, `prv…` → count (the pipeline adds them to the operator counters' `privilegeDenied`). */
  privilegeDenied?: Record<string, number>;
  /** Set while inside `env.transaction(ctx, fn)`; writes record undo steps and buffer their events here. */
  tx?: Transaction;
  /**
   * Routing for requests handlers make themselves (`$batch` parts, a webhook step's wrapped request): the
   * pipeline sets it to dispatch.ts, so handlers need not import the router that imports them.
   */
  dispatch?: (req: DvRequest, ctx: RequestContext) => Promise<DvResponse>;
}

/** The router of a request context (set by the pipeline for every HTTP request). */
export function dispatcherOf(ctx: RequestContext): (req: DvRequest, ctx: RequestContext) => Promise<DvResponse> {
  if (!ctx.dispatch) throw new Error('This request context has no dispatcher (only contexts built by the pipeline route inner requests).');
  return ctx.dispatch;
}

/**
 * A handler owns some URLs. It returns undefined when the request is not its business, so the
 * next handler in `handlers.ts` gets it. Throw `DvError` for protocol errors.
 */
export type Handler = (req: DvRequest, ctx: RequestContext) => Promise<DvResponse | undefined>;

// ---- stored data ----

export interface LookupValue {
  id: string;
  /** Logical name of the referenced table (polymorphic lookups differ per row). */
  table: string;
}

/** Typed column values: string (string, memo, datetime ISO, uniqueidentifier), number (int, decimal, money, choice), boolean, number[] (multi-select choice), LookupValue. */
export type ColumnValue = string | number | boolean | number[] | LookupValue | null;

/** A stored row: column logical name → typed value. Always has the primary id, versionnumber, createdon, modifiedon. */
export type Row = Record<string, ColumnValue>;

export type WriteMessage = 'Create' | 'Update' | 'Delete' | 'Associate' | 'Disassociate' | 'SetState' | 'Upsert';

/** One committed write, emitted by `env.onCommitted` after its transaction commits. */
export interface WriteEvent {
  message: WriteMessage;
  /** Table logical name. */
  table: string;
  id: string;
  /** Full row before the write (Update, Delete, SetState). */
  preImage?: Row;
  /** Full row after the write (Create, Update, SetState, Upsert). */
  postImage?: Row;
  /** Columns the caller set (Create/Update), plus the server-set ones. */
  changedColumns: string[];
  /** Exactly the columns the request set (Create/Update/SetState; key values copied from an upsert URL count as set), without server-set ones. */
  callerColumns?: string[];
  /** For Associate/Disassociate: the relationship schema name and the other side. */
  relationship?: { name: string; relatedTable: string; relatedIds: string[] };
  versionNumber: number;
  userId: string;
  callerObjectId?: string;
  tag?: string;
  correlationId: string;
  requestId: string;
  bypassCustomPluginExecution: boolean;
  bypassBusinessLogicExecution?: string;
  operationTime: Date;
  depth: 1;
  organizationId: string;
  organizationName: string;
  businessUnitId: string;
}

/** One entry of a table's change log (read by change tracking). */
export interface ChangeEntry {
  version: number;
  id: string;
  kind: 'upsert' | 'delete';
  /** Commit time (epoch ms); entries older than the change-tracking retention are trimmed. */
  at: number;
}
