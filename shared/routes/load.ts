/**
 * Loads the routes file once at startup: from DVSYNC_ROUTES_FILE (a path relative to the app root)
 * or DVSYNC_ROUTES (inline JSON). Validates with zod and compiles every trigger condition once.
 * Every error names the file, the route (name and index) and the field path; all errors are reported together.
 */
import { readFileSync } from 'fs';
import { isAbsolute, resolve } from 'path';
import { formatPath } from '../util/path';
import { primaryIdColumns, sourceColumnUses } from './columns';
import { filterProblems } from './filter';
import type { ConditionCompiler, LoadedRoute, LoadedRoutes } from './loaded';
import { routesFileSchema, type Route } from './schema';

export type { CompiledCondition, ConditionCompiler, LoadedRoute, LoadedRoutes } from './loaded';

export class RoutesError extends Error {
  constructor(
    readonly origin: string,
    readonly problems: string[],
  ) {
    super(`Routes in ${origin} are invalid (${problems.length} problem(s)):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RoutesError';
  }
}

export interface RoutesSource {
  file?: string;
  inline?: string;
  /** Base for a relative file path (the function app root). */
  appRoot: string;
}

export function loadRoutes(source: RoutesSource, compile: ConditionCompiler): LoadedRoutes {
  let origin = 'DVSYNC_ROUTES';
  let text: string;
  if (source.file) {
    origin = isAbsolute(source.file) ? source.file : resolve(source.appRoot, source.file);
    try {
      text = readFileSync(origin, 'utf8');
    } catch (e) {
      throw new RoutesError(origin, [
        `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); DVSYNC_ROUTES_FILE is resolved against ${source.appRoot}`,
      ]);
    }
  } else if (source.inline) {
    text = source.inline;
  } else {
    throw new RoutesError(origin, ['no routes configured: set DVSYNC_ROUTES_FILE (path to routes.json) or DVSYNC_ROUTES (inline JSON)']);
  }
  return parseRoutes(text, origin, compile);
}

export function parseRoutes(text: string, origin: string, compile: ConditionCompiler): LoadedRoutes {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RoutesError(origin, [`not valid JSON: ${(e as Error).message}`]);
  }
  const r = routesFileSchema.safeParse(json);
  const rawRoutes = (json as { routes?: unknown[] } | null)?.routes;
  const where = (path: ReadonlyArray<PropertyKey>): string => {
    if (path[0] === 'routes' && typeof path[1] === 'number') {
      const name = (rawRoutes?.[path[1]] as { name?: unknown } | undefined)?.name;
      const rest = formatPath(path.slice(2));
      return `route ${typeof name === 'string' ? `"${name}" ` : ''}(index ${path[1]}), field ${rest}`;
    }
    return `field ${formatPath(path)}`;
  };
  if (!r.success)
    throw new RoutesError(
      origin,
      r.error.issues.map((i) => `${where(i.path)}: ${i.message}`),
    );

  const problems: string[] = [];
  const routes: LoadedRoute[] = [];
  const byName = new Map<string, LoadedRoute>();
  r.data.routes.forEach((route, index) => {
    if (byName.has(route.name))
      problems.push(`route "${route.name}" (index ${index}): the name is already used by index ${byName.get(route.name)!.index}; route names must be unique`);
    if (!route.source.environment && !route.source.recordColumns)
      problems.push(
        `${where(['routes', index, 'source'])}: give source.environment (a Dataverse source) or source.recordColumns (an external source for ingest/import)`,
      );
    const conditions: LoadedRoute['conditions'] = [];
    route.source.triggerConditions.forEach((condition, ci) => {
      try {
        conditions.push({ source: condition, compiled: compile(condition) });
      } catch (e) {
        problems.push(`${where(['routes', index, 'source', 'triggerConditions', ci])}: ${(e as Error).message}`);
      }
    });
    problems.push(...columnContradictions(route).map((c) => `${where(['routes', index, ...c.path])}: ${c.message}`));
    problems.push(...filterProblems(route, r.data.routes).map((c) => `${where(['routes', index, ...c.path])}: ${c.message}`));
    const loaded = { route, index, conditions };
    routes.push(loaded);
    if (!byName.has(route.name)) byName.set(route.name, loaded);
  });
  for (const { route, index } of routes) {
    for (const dep of route.target.dependsOn) {
      if (!byName.has(dep)) problems.push(`${where(['routes', index, 'target', 'dependsOn'])}: unknown route "${dep}"`);
    }
  }
  if (problems.length) throw new RoutesError(origin, problems);
  return { origin, routes, byName };
}

/**
 * A column list that leaves out a column the route's mappings read is a contradiction: every change would
 * reach the worker without it (for a key column: every change fails with "key column has no value").
 * - source.selectColumns (when not empty) must list every source column target.columns and target.lookups
 *   read; the primary id (`<table>id` / `activityid`) is always carried and never needs listing.
 * - source.sync.select (when sync is enabled and the list is not empty) must track those columns too, a lookup
 *   as `_<column>_value`; Dataverse always returns the primary id.
 * Columns only filters, conditions or onlyWhenValueChanged read are no contradiction: those run on the whole
 * event at intake, before the selection.
 */
function columnContradictions(route: Route): Array<{ path: Array<string | number>; message: string }> {
  const out: Array<{ path: Array<string | number>; message: string }> = [];
  const primary = new Set(primaryIdColumns(route.source.table));
  const uses = sourceColumnUses(route).filter((u) => !primary.has(u.column));
  const select = route.source.selectColumns;
  if (select.length) {
    for (const u of uses) {
      if (select.includes(u.column)) continue;
      out.push({
        path: u.path,
        message: `reads source column "${u.column}", which source.selectColumns [${select.join(', ')}] leaves out${u.key ? '; it is a target key column, so every change would fail with "key column has no value"' : ', so every change would arrive without it'}. Add "${u.column}" to source.selectColumns, or remove source.selectColumns to carry every column`,
      });
    }
  }
  const sync = route.source.sync;
  if (sync?.enabled && sync.select.length) {
    for (const u of uses) {
      if (sync.select.includes(u.column) || sync.select.includes(`_${u.column}_value`)) continue;
      out.push({
        path: ['source', 'sync', 'select'],
        message: `does not track source column "${u.column}", which ${formatPath(u.path)} reads${u.key ? ' (a target key column: every change would fail with "key column has no value")' : ''}. Add "${u.column}" (a lookup: "_${u.column}_value") to source.sync.select, or empty it to track every column`,
      });
    }
  }
  return out;
}
