/**
 * The sinks a route can write to (`target.sink`, default "dataverse"). A new sink is a folder here that
 * implements shared/engine/sink.ts `Sink` (actions in, WriteFailure out) plus one line in SINKS.
 */
import type { Sink } from '../engine/sink';
import type { PoolOf } from '../throttle/pools';
import { DataverseSink, type DataverseSinkOptions } from './dataverse';

/** What the composition root hands every sink factory. */
export interface SinkContext {
  /** The throttle user pool of each Dataverse environment. */
  pools: PoolOf;
  dataverse?: DataverseSinkOptions;
}

export type SinkFactory = (context: SinkContext) => Sink;

export const SINKS = {
  dataverse: (context) => new DataverseSink(context.pools, context.dataverse),
} satisfies Record<string, SinkFactory>;

/** One instance of every registered sink. */
export function buildSinks(context: SinkContext): Record<string, Sink> {
  return Object.fromEntries(Object.entries(SINKS).map(([name, create]) => [name, create(context)]));
}
