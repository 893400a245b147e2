/**
 * Which webhook steps a routes file needs, per source environment: one step per (table, message), with
 * the filtering attributes and images the routes' filters, mappings and conditions read. Pure; the
 * Web API calls that register the plan are in webhook-registration.ts.
 */
import type { Route } from '../../shared/routes/schema';

/** Messages the local stack registers steps for (what Dataverse delivers to a webhook as a row change). */
export const REGISTERED_MESSAGES = ['Create', 'Update', 'Delete'] as const;
export type RegisteredMessage = (typeof REGISTERED_MESSAGES)[number];

export interface ImagePlan {
  alias: 'PreImage' | 'PostImage';
  /** 0 PreImage, 1 PostImage (imagetype, Learn: reference/entities/sdkmessageprocessingstepimage). */
  imageType: 0 | 1;
  /** "Id" for a Create post image, "Target" otherwise (Learn: register-plug-in; public registration tools use "Id" for Create). */
  messagePropertyName: 'Id' | 'Target';
  attributes: string[];
}

export interface StepPlan {
  table: string;
  message: RegisteredMessage;
  /** Update only; undefined = every column (some route listens to all updates). */
  filteringAttributes?: string[];
  images: ImagePlan[];
  /** Routes this step serves (for the summary). */
  routes: string[];
}

/** Column names a trigger condition reads: `triggerOutputs()?['body/<col>']` and `triggerBody()?['<col>']`. */
export function conditionColumns(condition: string): string[] {
  const found = new Set<string>();
  for (const m of condition.matchAll(/\[\s*'body\/([A-Za-z_][A-Za-z0-9_]*)'\s*\]/g)) found.add(m[1].toLowerCase());
  for (const m of condition.matchAll(/triggerBody\(\)\??\s*\[\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*\]/gi)) found.add(m[1].toLowerCase());
  return [...found];
}

/** Every source column a route reads, so images can list attributes instead of "all columns" (Learn: register-plug-in advice). */
export function routeColumns(route: Route, primaryId: string): string[] {
  const s = route.source;
  const cols = new Set<string>([
    primaryId,
    ...s.filteringColumns,
    ...s.selectColumns,
    ...s.onlyWhenValueChanged,
    ...s.triggerConditions.flatMap(conditionColumns),
  ]);
  for (const mapping of Object.values(route.target.columns)) {
    if (typeof mapping === 'string') cols.add(mapping);
    else if (mapping.from) cols.add(mapping.from);
  }
  for (const lookup of route.target.lookups) cols.add(lookup.from);
  if (s.scope !== 'Organization') ['ownerid', 'owningbusinessunit'].forEach((c) => cols.add(c));
  if (route.target.onDelete === 'deactivate') cols.add('statecode');
  return [...cols].sort();
}

/**
 * environment → steps. `primaryIdOf(table)` names each source table's primary id column (from metadata).
 * Disabled routes and routes without a Dataverse source register nothing.
 */
export function planSteps(routes: readonly Route[], primaryIdOf: (environment: string, table: string) => string): Map<string, StepPlan[]> {
  const plan = new Map<string, StepPlan[]>();
  for (const route of routes) {
    const env = route.source.environment;
    if (!route.enabled || !env) continue;
    const steps = plan.get(env) ?? [];
    plan.set(env, steps);
    const columns = routeColumns(route, primaryIdOf(env, route.source.table));
    for (const message of REGISTERED_MESSAGES) {
      if (!route.source.messages.includes(message)) continue;
      let step = steps.find((s) => s.table === route.source.table && s.message === message);
      if (!step) {
        step = { table: route.source.table, message, images: imagesFor(message), routes: [], ...(message === 'Update' ? { filteringAttributes: [] } : {}) };
        steps.push(step);
      }
      step.routes.push(route.name);
      for (const image of step.images) image.attributes = [...new Set([...image.attributes, ...columns])].sort();
      if (message === 'Update') {
        // One route without filtering columns needs every update, so the step cannot filter.
        step.filteringAttributes =
          step.filteringAttributes && route.source.filteringColumns.length > 0
            ? [...new Set([...step.filteringAttributes, ...route.source.filteringColumns])].sort()
            : undefined;
      }
    }
  }
  for (const [env, steps] of plan) if (steps.length === 0) plan.delete(env);
  return plan;
}

function imagesFor(message: RegisteredMessage): ImagePlan[] {
  const pre: ImagePlan = { alias: 'PreImage', imageType: 0, messagePropertyName: 'Target', attributes: [] };
  if (message === 'Create') return [{ alias: 'PostImage', imageType: 1, messagePropertyName: 'Id', attributes: [] }];
  if (message === 'Delete') return [pre];
  return [pre, { alias: 'PostImage', imageType: 1, messagePropertyName: 'Target', attributes: [] }];
}
