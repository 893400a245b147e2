/**
 * Route compilation, once, when the engine is built: unique names, a known sink per route, the entity
 * set of every table a route writes or looks up, and the rank of each route (parents before children).
 * A mistake is an EngineConfigError at start-up, never a failure at write time.
 */
import type { Route } from '../routes/schema';
import { routeRanks } from './dependencies';
import { EngineConfigError } from './errors';
import type { EntitySetResolver } from './mapping';
import type { ResolvedOptions } from './options';
import { DEFAULT_SINK } from './sink';

export interface CompiledRoutes {
  routes: Map<string, Route>;
  ranks: Map<string, number>;
  entitySetOf: EntitySetResolver;
}

export function compileRoutes(opts: Pick<ResolvedOptions, 'routes' | 'entitySets'>, sinks: readonly string[]): CompiledRoutes {
  const routes = new Map<string, Route>();
  const entitySets = new Map<string, string>();
  const tableId = (env: string, table: string): string => JSON.stringify([env, table]);
  for (const r of opts.routes) {
    if (routes.has(r.name)) throw new EngineConfigError(`Two routes are named "${r.name}"; route names must be unique.`);
    const sink = r.target.sink ?? DEFAULT_SINK;
    if (!sinks.includes(sink))
      throw new EngineConfigError(`Route "${r.name}" writes to sink "${sink}", which this engine does not have (sinks: ${sinks.join(', ') || 'none'}).`);
    routes.set(r.name, r);
    entitySets.set(tableId(r.target.environment, r.target.table), r.target.entitySet);
  }
  for (const r of opts.routes) {
    for (const l of r.target.lookups) {
      if (l.entitySet === undefined) continue;
      const tables = Array.isArray(l.targetTable) ? l.targetTable : [l.targetTable];
      for (const t of tables) {
        const set = typeof l.entitySet === 'string' ? (tables.length === 1 ? l.entitySet : undefined) : l.entitySet[t];
        if (set && !entitySets.has(tableId(r.target.environment, t))) entitySets.set(tableId(r.target.environment, t), set);
      }
    }
  }
  for (const [env, tables] of Object.entries(opts.entitySets)) for (const [t, set] of Object.entries(tables)) entitySets.set(tableId(env, t), set);
  const ranks = routeRanks(opts.routes);
  for (const r of opts.routes) {
    for (const l of r.target.lookups) {
      for (const t of Array.isArray(l.targetTable) ? l.targetTable : [l.targetTable]) {
        if (!entitySets.has(tableId(r.target.environment, t))) {
          throw new EngineConfigError(
            `Route "${r.name}": lookup "${l.from}" targets table "${t}", but no route writes "${t}" in environment "${r.target.environment}", ` +
              `the lookup has no entitySet for it and engine option entitySets.${r.target.environment}.${t} is not set, so its entity set is unknown.`,
          );
        }
      }
    }
  }
  return { routes, ranks, entitySetOf: (env, table) => entitySets.get(tableId(env, table)) };
}
