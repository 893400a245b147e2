/**
 * Route dependency graph: route A depends on B when A has a lookup to the table B writes (same target
 * environment) or lists B in `dependsOn`. Ranks come from a topological sort; parents (lower rank) are
 * written before children within one batch. A cycle is a configuration error, reported at load.
 */
import type { Route } from '../routes/schema';
import { EngineConfigError } from './errors';

export function routeRanks(routes: readonly Route[]): Map<string, number> {
  const byName = new Map(routes.map((r) => [r.name, r]));
  const deps = new Map<string, Set<string>>();
  for (const r of routes) {
    const d = new Set<string>();
    for (const name of r.target.dependsOn) {
      if (!byName.has(name))
        throw new EngineConfigError(
          `Route "${r.name}": target.dependsOn names route "${name}", which does not exist (routes: ${[...byName.keys()].join(', ')}).`,
        );
      if (name !== r.name) d.add(name);
    }
    const lookupTables = new Set(r.target.lookups.flatMap((l) => (Array.isArray(l.targetTable) ? l.targetTable : [l.targetTable])));
    for (const other of routes) {
      // A self-referencing lookup (account → parent account) is not an ordering edge: same table, same group.
      if (
        other.name !== r.name &&
        other.target.environment === r.target.environment &&
        lookupTables.has(other.target.table) &&
        other.target.table !== r.target.table
      )
        d.add(other.name);
    }
    deps.set(r.name, d);
  }
  const rank = new Map<string, number>();
  const visiting: string[] = [];
  const visit = (name: string): number => {
    const known = rank.get(name);
    if (known !== undefined) return known;
    const at = visiting.indexOf(name);
    if (at >= 0) {
      const cycle = [...visiting.slice(at), name].join(' → ');
      throw new EngineConfigError(
        `Routes depend on each other in a cycle (${cycle}), so no write order exists. Remove a dependsOn entry or write one of the lookups in a second route.`,
      );
    }
    visiting.push(name);
    let r = 0;
    for (const d of deps.get(name) ?? []) r = Math.max(r, visit(d) + 1);
    visiting.pop();
    rank.set(name, r);
    return r;
  };
  for (const r of routes) visit(r.name);
  return rank;
}
