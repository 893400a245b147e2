/**
 * The privilege switch: table privileges an application user lacks in one environment, so tests can
 * see what Dataverse answers a caller whose security role misses `prv<Action><SchemaName>`.
 * Default: every privilege is held (no check runs). The emulator's own writes (`ctx.system`:
 * seeding, operator loads, first-sight systemuser rows, webhook system rows) are never refused.
 *
 * What a refusal looks like in Dataverse:
 * - status 403 for `PrivilegeDenied` (Learn: webapi/compose-http-requests-handle-errors, "Identify status codes";
 *   401 is for authentication errors only);
 * - code `0x80040220` = -2147220960, name PrivilegeDenied (Learn: reference/web-service-error-codes;
 *   https://learn.microsoft.com/troubleshoot/power-platform/power-apps/dataverse/client-errors,
 *   "Principal user is missing privilege on OTC for entity");
 * - message shape from a live Web API response posted publicly (https://community.dynamics.com/forums/thread/details/?threadid=ec47c577-6b11-f111-8406-7c1e520d531e:
 *   `Principal user (Id=…, type=8, roleCount=8, privilegeCount=420,
 *   accessMode='0 Read-Write', AADObjectId='…', MetadataCachePrivilegesCount=12471, businessUnitId=…), is missing
 *   prvReadOfficeDocument privilege (Id=…) on OTC=4490 for entity 'officedocument' (LocalizedName='Office Document').
 *   context.Caller=…. Consider adding missed privilege to one of the principal (user/team) roles.`),
 *   the same text the SDK shows (rappen/FetchXMLBuilder issue #770). See dvErrors.privilegeDenied.
 *
 * Which privilege each operation needs (checked in store/environment.ts and the read handlers):
 * Create → Create; Update → Write; Delete → Delete; GET by key, collection GET, `$count`, change
 * tracking and `$expand` targets → Read; a lookup value written → Append on the row's table and AppendTo on
 * the target's; an N:N (dis)associate → Write + Append on entity1 (Dynamics CRM 2016 SDK "Associate message
 * privileges", gg328270) and AppendTo on entity2 (that page's entry reads "prvSecondaryEntity") [U]; changing ownerid in an update → Assign. A standard-table
 * Upsert runs Create or Update (Learn: use-upsert-insert-update-record), so it needs Create when it creates and
 * Write when it updates; for elastic tables, which skip those messages, the emulator assumes the same [U].
 * Share is accepted but no emulated operation shares.
 */
import { createHash } from 'node:crypto';
import { DvError, dvErrors } from './errors';
import type { TableDef } from './schema/model';
import type { RequestContext, Row } from './types';

export const PRIVILEGE_ACTIONS = ['Create', 'Read', 'Write', 'Delete', 'Append', 'AppendTo', 'Assign', 'Share'] as const;
export type PrivilegeAction = (typeof PRIVILEGE_ACTIONS)[number];

export interface PrivilegeDenial {
  table: string;
  action: PrivilegeAction;
  /** `prv<Action><SchemaName>`, e.g. prvCreateAccount. */
  privilege: string;
}

/** `prv<Action><SchemaName>`: prvReadAccount, prvReadOfficeDocument; a custom table keeps its schema name's casing (prvCreatecat_DeploymentSolutionProfile, microsoft/coe-starter-kit issue #6827). */
export const privilegeName = (table: TableDef, action: PrivilegeAction): string => `prv${action}${table.schemaName}`;

/** Deterministic privilege id (Dataverse's ids for a table's privileges are fixed per table; the real values are not needed here). */
export function privilegeId(name: string): string {
  const h = createHash('sha1').update(`privilege/${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** GUID principals (JWT oid claims) match case-insensitively; token strings match exactly. */
const principalKey = (principal: string): string => (/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(principal) ? principal.toLowerCase() : principal);

export function parseAction(action: unknown): PrivilegeAction {
  const found = PRIVILEGE_ACTIONS.find((a) => typeof action === 'string' && a.toLowerCase() === action.toLowerCase());
  if (!found) throw dvErrors.invalidArgument(`Unknown privilege action ${JSON.stringify(action)}; use one of ${PRIVILEGE_ACTIONS.join(', ')}.`);
  return found;
}

/** One environment's denied privileges, per caller principal (the name the pipeline resolves, as the service protection limits use). */
export class Privileges {
  /** principal → table logical name → denied actions */
  private denied = new Map<string, Map<string, Set<PrivilegeAction>>>();

  constructor(
    private readonly tables: () => Iterable<TableDef>,
    private readonly tableOf: (logicalName: string) => TableDef | undefined,
  ) {}

  /** Make `principal` lack `prv<action><table>`. */
  deny(principal: string, table: string, action: PrivilegeAction | string): void {
    const def = this.mustTable(table);
    const a = parseAction(action);
    const key = principalKey(principal);
    const byTable = this.denied.get(key) ?? new Map<string, Set<PrivilegeAction>>();
    this.denied.set(key, byTable);
    const set = byTable.get(def.logicalName) ?? new Set<PrivilegeAction>();
    byTable.set(def.logicalName, set);
    set.add(a);
  }

  /** Give `principal` back `prv<action><table>`. */
  allow(principal: string, table: string, action: PrivilegeAction | string): void {
    const def = this.mustTable(table);
    const a = parseAction(action);
    const key = principalKey(principal);
    const byTable = this.denied.get(key);
    const set = byTable?.get(def.logicalName);
    if (!byTable || !set) return;
    set.delete(a);
    if (set.size === 0) byTable.delete(def.logicalName);
    if (byTable.size === 0) this.denied.delete(key);
  }

  /** Replace what `principal` lacks (validated first: a bad entry changes nothing). */
  set(principal: string, denials: Array<{ table: string; action: PrivilegeAction | string }>): void {
    for (const d of denials) {
      this.mustTable(d.table);
      parseAction(d.action);
    }
    this.clear(principal);
    for (const d of denials) this.deny(principal, d.table, d.action);
  }

  /** Restore every privilege of `principal`, or of every principal. */
  clear(principal?: string): void {
    if (principal === undefined) this.denied.clear();
    else this.denied.delete(principalKey(principal));
  }

  isDenied(principal: string, table: string, action: PrivilegeAction): boolean {
    return this.denied.get(principalKey(principal))?.get(table)?.has(action) ?? false;
  }

  /** What `principal` lacks. */
  deniedTo(principal: string): PrivilegeDenial[] {
    const out: PrivilegeDenial[] = [];
    for (const [table, actions] of this.denied.get(principalKey(principal)) ?? []) {
      const def = this.tableOf(table)!;
      for (const action of actions) out.push({ table, action, privilege: privilegeName(def, action) });
    }
    return out;
  }

  /** Every principal with a denied privilege → what it lacks. */
  list(): Record<string, PrivilegeDenial[]> {
    return Object.fromEntries([...this.denied.keys()].map((p) => [p, this.deniedTo(p)]));
  }

  // ---- checks (store and read handlers) ----

  /** Throw 403 0x80040220 when the caller of `ctx` lacks `prv<action><table>`. */
  check(ctx: RequestContext, table: TableDef, action: PrivilegeAction): void {
    if (this.denied.size === 0 || ctx.system) return;
    if (!this.denied.get(principalKey(ctx.user.principal))?.get(table.logicalName)?.has(action)) return;
    const name = privilegeName(table, action);
    const refused = (ctx.privilegeDenied ??= {});
    refused[name] = (refused[name] ?? 0) + 1;
    const total = [...this.tables()].length * PRIVILEGE_ACTIONS.length;
    throw dvErrors.privilegeDenied({
      userId: ctx.user.systemUserId,
      aadObjectId: ctx.user.principal,
      businessUnitId: ctx.env.info.businessUnitId,
      privilegeCount: total - this.deniedTo(ctx.user.principal).length,
      metadataPrivilegeCount: total,
      privilege: name,
      privilegeId: privilegeId(name),
      objectTypeCode: table.objectTypeCode,
      table: table.logicalName,
      localizedName: table.schemaName,
    });
  }

  /**
   * A row write: `action` on the table, Append on it and AppendTo on the target for every lookup value
   * it sets (ownerid is an assignment instead: Assign when an update changes the owner).
   */
  checkWrite(ctx: RequestContext, table: TableDef, action: 'Create' | 'Write', values: Row, current?: Row): void {
    if (this.denied.size === 0 || ctx.system) return;
    this.check(ctx, table, action);
    for (const [column, value] of Object.entries(values)) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
      if (column === 'ownerid') {
        const owner = current?.ownerid;
        if (current && !(owner && typeof owner === 'object' && !Array.isArray(owner) && owner.id === value.id)) this.check(ctx, table, 'Assign');
        continue;
      }
      const target = this.tableOf(value.table);
      if (!target || !table.columns.has(column)) continue;
      this.check(ctx, table, 'Append');
      this.check(ctx, target, 'AppendTo');
    }
  }

  private mustTable(table: string): TableDef {
    const def = this.tableOf(table);
    if (!def) {
      throw new DvError(404, '0x8006088a', `No table '${table}' in this environment; known: ${[...this.tables()].map((t) => t.logicalName).join(', ')}.`);
    }
    return def;
  }
}
