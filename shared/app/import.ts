/** The `dvsync import` door: the engine in-process (held changes wait in memory), the root's failures and checkpoints. */
import { WriteEngine } from '../engine/engine';
import { InMemoryRescheduler } from '../import/apply';
import type { ImportDeps } from '../import/runner';
import { IMPORT_ENGINE_RETRY } from '../import/wiring';
import { engineDependencies } from './engine';
import type { SharedParts } from './parts';

export function importDepsOf(parts: SharedParts): Omit<ImportDeps, 'progress'> {
  const config = parts.configuration();
  const routes = config.routes.routes.map((r) => r.route);
  const held = new InMemoryRescheduler();
  const engine = new WriteEngine({ routes, retry: IMPORT_ENGINE_RETRY }, engineDependencies(parts, { rescheduler: held, worker: false }));
  return { engine, held, failures: parts.failures(), checkpoints: parts.checkpoints(), routes: config.routes.routes, entitySetOf: engine.entitySetOf };
}
