/** The contract between the evaluator and function implementations. */
import type { Budget, Value } from '../values';

/** What the expression can see besides its arguments. All optional; missing parts make the matching functions fail clearly. */
export interface EvaluationScope {
  /** The trigger's outputs object, `{ headers, body }` for the Dataverse trigger. */
  triggerOutputs?: unknown;
  /** Extra properties of the trigger() object besides `outputs` (e.g. name, startTime). */
  trigger?: Record<string, unknown>;
  /** Values for parameters('name'). */
  parameters?: Record<string, unknown>;
  /** Values for variables('name'). Power Automate does not allow variables in trigger conditions. */
  variables?: Record<string, unknown>;
  /** The object workflow() returns. */
  workflow?: unknown;
  /** Current time for utcNow(), getFutureTime(), getPastTime(). Defaults to the system clock. */
  clock?: () => Date;
  /** Source of randomness in [0, 1) for rand() and guid(). Defaults to crypto randomness. */
  random?: () => number;
}

export interface FunctionContext {
  budget: Budget;
  scope: EvaluationScope;
  /** The function name as the registry spells it, for error messages. */
  name: string;
}

export interface FunctionDef {
  name: string;
  minArgs: number;
  maxArgs: number;
  /** Eager implementation: arguments are evaluated left to right before the call. */
  impl?: (args: Value[], ctx: FunctionContext) => Value;
  /** Lazy implementation (if, coalesce): arguments are evaluated on demand. */
  lazy?: (args: Array<() => Value>, ctx: FunctionContext) => Value;
}

export type FunctionTable = Record<string, FunctionDef>;

export function fn(name: string, minArgs: number, maxArgs: number, impl: FunctionDef['impl']): FunctionDef {
  return { name, minArgs, maxArgs, impl };
}
