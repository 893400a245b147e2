/**
 * The route filters for rows that are not webhook events: change-tracking rows (incremental sync) and
 * external records (ingest, the inbound queue, import). The webhook's filters are in ./match.ts; this file
 * applies the same ones wherever the row carries what they need, and `filterProblems` makes the loader
 * refuse a route whose filters a path could not apply faithfully (the table is in ./README.md, "Filters
 * per intake path").
 *
 * A row is a state, not a change: it has no changed-column set, no pre image, no write tag and, for
 * change tracking, no SDK message (a new or updated row is one kind of change). So:
 * - `messages`: an upsert passes when Create or Update is listed, a deletion when Delete is;
 * - `filteringColumns`, `onlyWhenValueChanged`: every column of a tracked row counts as changed (the
 *   ledger's skipUnchanged then writes only columns whose value really changed);
 * - `ignoreUsers`: compared with the row's `modifiedby` and `modifiedonbehalfby`;
 * - `ignoreOwnWrites`: a tracked row carries no tag; a two-way route must name our application users in
 *   `ignoreUsers` (the loader says so);
 * - scope and trigger conditions: evaluated on the row (a deleted row has no columns left: deletions pass).
 */
import type { Operation } from '../model/change-message';
import type { SourceRow } from '../model/source-value';
import type { LoadedRoute } from './loaded';
import { no, refId, scopeDecision, type RouteDecision } from './match';
import type { Route } from './schema';
import { rowTriggerBody } from './trigger-body';

export type RowPath = 'sync' | 'ingest' | 'inbound' | 'import';

export interface RowCandidate {
  operation: Operation;
  rowId: string;
  values: SourceRow;
}

export function matchRow(loaded: LoadedRoute, row: RowCandidate): RouteDecision {
  const { route } = loaded;
  const src = route.source;
  if (!route.enabled) return no('route is disabled');
  if (row.operation === 'delete') {
    if (!src.messages.includes('Delete')) return no(`a deletion, and "Delete" is not one of ${src.messages.join(', ')}`);
    return { matched: true };
  }
  if (!src.messages.includes('Create') && !src.messages.includes('Update'))
    return no(`a new or updated row, and neither "Create" nor "Update" is one of ${src.messages.join(', ')}`);
  if (src.ignoreUsers.length) {
    const ignored = new Set(src.ignoreUsers.map((u) => u.toLowerCase()));
    for (const column of ['modifiedonbehalfby', 'modifiedby']) {
      const user = refId(row.values[column])?.id ?? plainId(row.values[column]);
      if (user && ignored.has(user)) return no(`${column} ${user} is in ignoreUsers`);
    }
  }
  if (src.environment) {
    const scope = scopeDecision(loaded, row.values);
    if (!scope.matched) return scope;
  }
  if (loaded.conditions.length) {
    const outputs = { headers: {}, body: rowTriggerBody({ table: src.table, rowId: row.rowId, values: row.values }) };
    for (let i = 0; i < loaded.conditions.length; i++) {
      const c = loaded.conditions[i];
      const r = c.compiled.test(outputs);
      if (r.error) return no(`trigger condition ${i + 1} (${c.source}) failed: ${r.error.message}`);
      if (!r.matched) return no(`trigger condition ${i + 1} (${c.source}) is false`);
    }
  }
  return { matched: true };
}

/** An external record's id in a trigger body (`ItemInternalId`): its target key values, joined by "|". */
export function externalRecordId(route: Route, row: SourceRow): string {
  return route.target.key
    .map((k) => {
      const m = route.target.columns[k];
      const column = typeof m === 'string' ? m : (m?.from ?? k);
      return String(row[column] ?? '');
    })
    .join('|');
}

function plainId(v: SourceRow[string] | undefined): string | undefined {
  return typeof v === 'string' ? v.toLowerCase() : undefined;
}

/** Trigger properties a row cannot supply: only a webhook event knows its message, changed columns, user and headers. */
const EVENT_ONLY = ['SdkMessage', '_filteredattributes', 'RunAsSystemUserId', 'headers'];

/** Names a condition reads with `['name']` (triggerBody()?['name'], triggerOutputs()?['body/…']…), annotations stripped. */
export function conditionColumns(source: string): string[] {
  const out = new Set<string>();
  for (const m of source.matchAll(/\[\s*'([^']+)'\s*\]/g)) {
    for (const part of m[1].split('/')) {
      const name = part.split('@')[0];
      if (name && name !== 'body') out.add(name);
    }
  }
  return [...out];
}

export interface FilterProblem {
  path: Array<string | number>;
  message: string;
}

/**
 * Filters a route asks for that one of its intake paths cannot apply: each would let rows through that the
 * route excludes (or drop rows it includes), so the loader refuses the route. `routes` is the whole file
 * (a two-way pair is two routes).
 */
export function filterProblems(route: Route, routes: readonly Route[]): FilterProblem[] {
  const src = route.source;
  const out: FilterProblem[] = [];
  const createOrUpdateOnly = src.messages.includes('Create') !== src.messages.includes('Update');
  const eventOnly = (why: string): void => {
    src.triggerConditions.forEach((c, i) => {
      const used = EVENT_ONLY.filter((p) => new RegExp(`\\b${p}\\b`).test(c));
      if (used.length)
        out.push({
          path: ['source', 'triggerConditions', i],
          message: `reads ${used.join(', ')}, which ${why} does not carry (only webhook events do). Remove it, or move the condition to a route without ${why}`,
        });
    });
  };
  if (!src.environment) {
    const what = 'an external record (ingest, inbound queue, import)';
    if (src.scope !== 'Organization')
      out.push({
        path: ['source', 'scope'],
        message: `scope "${src.scope}" compares a Dataverse row's owner, and ${what} has none. Remove source.scope (default "Organization")`,
      });
    for (const field of ['filteringColumns', 'onlyWhenValueChanged', 'ignoreUsers'] as const) {
      if (src[field].length)
        out.push({
          path: ['source', field],
          message: `${what} carries no ${field === 'ignoreUsers' ? 'Dataverse user' : 'changed-column set or pre image'}, so source.${field} cannot be applied. Remove it`,
        });
    }
    if (src.sync)
      out.push({
        path: ['source', 'sync'],
        message: 'incremental sync reads a Dataverse table; this route has an external source (no source.environment). Remove source.sync',
      });
    if (createOrUpdateOnly)
      out.push({
        path: ['source', 'messages'],
        message: `${what} is an upsert, neither a Create nor an Update, so listing only one of them cannot be applied. List both (or neither) and choose target.mode "createOnly" or "updateOnly" instead`,
      });
    eventOnly('an external record');
    return out;
  }
  const sync = src.sync;
  if (!sync?.enabled) return out;
  if (createOrUpdateOnly)
    out.push({
      path: ['source', 'messages'],
      message:
        'incremental sync cannot tell a Create from an Update (change tracking reports a new or updated row), so listing only one of them cannot be applied. List both, choose target.mode "createOnly" or "updateOnly", or disable source.sync',
    });
  eventOnly('a change-tracking row (source.sync)');
  const writers = routes.filter((r) => r.name !== route.name && r.enabled && r.target.environment === src.environment && r.target.table === src.table);
  if (src.ignoreOwnWrites && writers.length && !src.ignoreUsers.length)
    out.push({
      path: ['source', 'ignoreUsers'],
      message: `route ${writers.map((w) => `"${w.name}"`).join(', ')} writes ${src.environment}/${src.table}, so our own writes come back through incremental sync, which carries no write tag (ignoreOwnWrites sees only webhook events). List the systemuser ids of the application users in environment "${src.environment}" (DVSYNC_ENVIRONMENTS credentials) in source.ignoreUsers: sync then skips rows whose modifiedby is one of them`,
    });
  if (sync.select.length) {
    const tracked = new Set(sync.select);
    const need = (column: string, why: string, path: Array<string | number>): void => {
      if (!tracked.has(column))
        out.push({
          path: ['source', 'sync', 'select'],
          message: `does not track "${column}", which ${why} (${path.join('.')}). Add "${column}" to source.sync.select, or empty it to track every column`,
        });
    };
    if (src.scope === 'User') need('_ownerid_value', `scope "User" compares with the row's owner`, ['source', 'scope']);
    if (src.scope === 'BusinessUnit' || src.scope === 'ParentChildBusinessUnits')
      need('_owningbusinessunit_value', `scope "${src.scope}" compares with the row's business unit`, ['source', 'scope']);
    if (src.ignoreUsers.length) {
      need('_modifiedby_value', 'ignoreUsers compares with the user who changed the row last', ['source', 'ignoreUsers']);
      need('_modifiedonbehalfby_value', 'ignoreUsers compares with the user who changed the row on behalf of another', ['source', 'ignoreUsers']);
    }
    const primary = new Set([`${src.table}id`, 'activityid']);
    src.triggerConditions.forEach((c, i) => {
      for (const column of conditionColumns(c)) {
        if (EVENT_ONLY.includes(column) || primary.has(column) || column === 'ItemInternalId' || column.startsWith('@odata')) continue;
        need(column, `trigger condition ${i + 1} reads`, ['source', 'triggerConditions', i]);
      }
    });
  }
  return out;
}
