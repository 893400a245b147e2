/** A routes file after loading (./load.ts): each route with its compiled trigger conditions. Types only. */
import type { Route } from './schema';
import type { DataverseTriggerOutputs } from './trigger-outputs';

export interface CompiledCondition {
  test(outputs: DataverseTriggerOutputs): { matched: boolean; error?: Error };
}
export type ConditionCompiler = (source: string) => CompiledCondition;

export interface LoadedRoute {
  route: Route;
  index: number;
  conditions: Array<{ source: string; compiled: CompiledCondition }>;
}

export interface LoadedRoutes {
  /** Where the routes came from: the resolved file path, or "DVSYNC_ROUTES". */
  origin: string;
  routes: LoadedRoute[];
  byName: Map<string, LoadedRoute>;
}
