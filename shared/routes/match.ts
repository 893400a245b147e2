/**
 * Does a webhook ChangeEvent go down a route? Every "no" carries a stated reason (returned to the caller
 * in the 202 answer and counted in telemetry), so a missing change can always be explained.
 * Order: cheap envelope checks first, trigger conditions last.
 * Stripped payloads (reread) cannot be judged on columns, so column-based filters let them through:
 * an extra re-read is cheap, a lost change is not.
 */
import type { SourceRow, SourceValue } from '../model/source-value';
import type { ChangeEvent } from '../model/change-event';
import type { LoadedRoute } from './loaded';
import type { DataverseTriggerOutputs } from './trigger-outputs';

export type RouteDecision = { matched: true } | { matched: false; reason: string };

export interface MatchInput {
  event: ChangeEvent;
  /** Configured environment name the event came from (resolved from its OrganizationId). */
  environment: string;
  /** Our write tag (DVSYNC_WRITE_TAG). */
  writeTag: string;
  /** Built once per event, only when a route has trigger conditions. */
  triggerOutputs: () => DataverseTriggerOutputs;
}

export const no = (reason: string): RouteDecision => ({ matched: false, reason });

export function matchRoute(loaded: LoadedRoute, input: MatchInput): RouteDecision {
  const { route } = loaded;
  const src = route.source;
  const { event } = input;
  if (!route.enabled) return no('route is disabled');
  if (!src.environment) return no('route has an external source (ingest/import only)');
  if (src.environment !== input.environment) return no(`source environment is "${src.environment}", event came from "${input.environment}"`);
  if (src.table !== event.table) return no(`table is "${event.table}", route listens to "${src.table}"`);
  if (!src.messages.includes(event.message)) return no(`message "${event.message}" is not one of ${src.messages.join(', ')}`);
  if (src.ignoreOwnWrites && event.tag !== undefined && event.tag === input.writeTag) return no(`own write (tag "${event.tag}")`);
  const ignored = new Set(src.ignoreUsers.map((u) => u.toLowerCase()));
  if (event.initiatingUserId && ignored.has(event.initiatingUserId)) return no(`initiating user ${event.initiatingUserId} is in ignoreUsers`);
  if (event.userId && ignored.has(event.userId)) return no(`user ${event.userId} is in ignoreUsers`);
  if (event.reread) return { matched: true };

  if (event.message === 'Update' && src.filteringColumns.length) {
    const changed = new Set(event.changedColumns);
    if (!src.filteringColumns.some((c) => changed.has(c))) return no(`none of the filtering columns (${src.filteringColumns.join(', ')}) changed`);
  }
  const scope = scopeDecision(loaded, event.values);
  if (!scope.matched) return scope;
  if (event.message === 'Update' && src.onlyWhenValueChanged.length) {
    if (!src.onlyWhenValueChanged.some((c) => valueChanged(event, c)))
      return no(`no value changed in ${src.onlyWhenValueChanged.join(', ')} (compared with PreImage)`);
  }
  for (let i = 0; i < loaded.conditions.length; i++) {
    const c = loaded.conditions[i];
    const r = c.compiled.test(input.triggerOutputs());
    if (r.error) return no(`trigger condition ${i + 1} (${c.source}) failed: ${r.error.message}`);
    if (!r.matched) return no(`trigger condition ${i + 1} (${c.source}) is false`);
  }
  return { matched: true };
}

export function refId(v: SourceValue | undefined): { table: string; id: string } | undefined {
  return v !== null && typeof v === 'object' && v.$type === 'reference' ? { table: v.table, id: v.id.toLowerCase() } : undefined;
}

/** Power Automate scope: the row's owner compared with the flow owner (route source ownerUserId / ownerBusinessUnitId). */
export function scopeDecision(loaded: LoadedRoute, values: SourceRow): RouteDecision {
  const src = loaded.route.source;
  switch (src.scope) {
    case 'Organization':
      return { matched: true };
    case 'User': {
      const owner = refId(values.ownerid) ?? refId(values.owninguser);
      if (!owner) return no('scope User: the event has no ownerid (register a PostImage with ownerid, or use scope Organization)');
      return owner.id === src.ownerUserId!.toLowerCase()
        ? { matched: true }
        : no(`scope User: row is owned by ${owner.table} ${owner.id}, not ${src.ownerUserId}`);
    }
    case 'BusinessUnit':
    case 'ParentChildBusinessUnits': {
      const bu = refId(values.owningbusinessunit);
      if (!bu) return no(`scope ${src.scope}: the event has no owningbusinessunit (register a PostImage with owningbusinessunit, or use scope Organization)`);
      const allowed = new Set([src.ownerBusinessUnitId!.toLowerCase()]);
      if (src.scope === 'ParentChildBusinessUnits') for (const c of src.ownerChildBusinessUnitIds) allowed.add(c.toLowerCase());
      return allowed.has(bu.id)
        ? { matched: true }
        : no(
            `scope ${src.scope}: row's business unit ${bu.id} is outside the route owner's ${src.scope === 'BusinessUnit' ? 'business unit' : 'business unit tree'}`,
          );
    }
  }
}

/**
 * A column changed when the Target carries it and its value differs from the PreImage. Without a PreImage
 * entry we cannot compare, so a column the caller sent counts as changed; one absent from the Target did not change.
 */
export function valueChanged(event: ChangeEvent, column: string): boolean {
  if (!event.changedColumns.includes(column)) return false;
  if (!event.preImage || !(column in event.preImage)) return true;
  return !sameValue(event.preImage[column], event.values[column]);
}

export function sameValue(a: SourceValue | undefined, b: SourceValue | undefined): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: SourceValue | undefined): string {
  if (v === undefined) return 'undefined';
  if (v !== null && typeof v === 'object') {
    // Labels and names are display text, not the value.
    if (v.$type === 'reference') return `ref:${v.table}:${v.id.toLowerCase()}`;
    if (v.$type === 'choice') return `choice:${v.value}`;
    if (v.$type === 'choices') return `choices:${[...v.values].sort((x, y) => x - y).join(',')}`;
    if (v.$type === 'decimal') return `num:${Number(v.value)}`;
  }
  if (typeof v === 'number') return `num:${v}`;
  return JSON.stringify(v);
}
