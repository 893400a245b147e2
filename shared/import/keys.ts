/** The target-row identity of an import record (environment, table, alternate key), as the engine maps it. */
import type { ChangeMessage } from '../model/change-message';
import type { Route } from '../routes/schema';
import { mapChange, type EntitySetResolver } from '../engine/mapping';

export function keyOf(route: Route, message: ChangeMessage, entitySetOf: EntitySetResolver): string {
  const mapped = mapChange(route, message, entitySetOf);
  const t = route.target;
  return mapped.type === 'write' ? `${mapped.write.environment}/${mapped.write.table}/${mapped.write.keyText}` : `${t.environment}/${t.table}/(ignored)`;
}
