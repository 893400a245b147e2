/**
 * Power Automate / Logic Apps expressions (Workflow Definition Language) for trigger conditions.
 *
 *   const cond = compileTriggerCondition("@equals(triggerBody()?['statuscode'], 1)");
 *   cond.test(outputs) // { matched: true }
 */
import type { Node } from './ast';
import { ExpressionCompileError, ExpressionError, ExpressionLimitError, ExpressionRuntimeError, ExpressionSyntaxError } from './errors';
import { compileNode, toEngineError, type Compiled } from './evaluator';
import { FUNCTIONS, supportedFunctionNames } from './functions';
import type { EvaluationScope } from './functions/types';
import { resolveLimits, DEFAULT_LIMITS, type ExpressionLimits } from './limits';
import { parseValue } from './parser';
import type { DataverseTriggerOutputs } from './trigger-context';
import { Budget, typeOf, type Value } from './values';

export interface CompileOptions {
  limits?: Partial<ExpressionLimits>;
}

export interface CompiledExpression {
  readonly source: string;
  /** Evaluate against a scope. Throws only ExpressionRuntimeError or ExpressionLimitError. */
  evaluate(scope?: EvaluationScope): Value;
}

export interface TriggerConditionResult {
  matched: boolean;
  /** Set when evaluation failed or did not produce a boolean; the condition then does not match. */
  error?: ExpressionRuntimeError | ExpressionLimitError;
}

export interface CompiledTriggerCondition {
  readonly source: string;
  test(outputs: DataverseTriggerOutputs, scope?: Omit<EvaluationScope, 'triggerOutputs'>): TriggerConditionResult;
}

/**
 * Compile a value exactly as the workflow engine reads a JSON string value: `@expr` is an
 * expression, `@{...}` interpolates into a string, `@@` escapes a leading `@`, anything else is a
 * literal string. Throws ExpressionSyntaxError, ExpressionCompileError or ExpressionLimitError.
 */
export function compileExpression(source: string, options: CompileOptions = {}): CompiledExpression {
  if (typeof source !== 'string') throw new TypeError('compileExpression expects the expression source as a string.');
  const limits = resolveLimits(options.limits);
  let run: Compiled;
  try {
    const ast: Node = parseValue(source, limits);
    run = compileNode(ast, source, FUNCTIONS);
  } catch (err) {
    throw toEngineError(err, source, { start: 0, end: source.length });
  }
  return {
    source,
    evaluate(scope: EvaluationScope = {}): Value {
      try {
        return run({ scope, budget: new Budget(limits) });
      } catch (err) {
        throw toEngineError(err, source, { start: 0, end: source.length });
      }
    },
  };
}

/**
 * Compile a trigger condition. test() never throws: a runtime error means "not matched" and is
 * returned. Only boolean true matches; the strings 'true'/'false' (any case, which is what an
 * `@{...}` condition produces) count as booleans; any other result is a non-match with an error.
 */
export function compileTriggerCondition(source: string, options: CompileOptions = {}): CompiledTriggerCondition {
  const expression = compileExpression(source, options);
  return {
    source,
    test(outputs, scope = {}): TriggerConditionResult {
      let result: Value;
      try {
        result = expression.evaluate({ ...scope, triggerOutputs: outputs });
      } catch (err) {
        const e = err instanceof ExpressionRuntimeError || err instanceof ExpressionLimitError ? err : toRuntime(err, source);
        return { matched: false, error: e };
      }
      if (typeof result === 'boolean') return { matched: result };
      if (typeof result === 'string' && /^(true|false)$/i.test(result)) return { matched: result.toLowerCase() === 'true' };
      return {
        matched: false,
        error: new ExpressionRuntimeError(
          `A trigger condition must evaluate to a boolean, but this one produced a value of type '${typeOf(result)}'.`,
          source,
          { start: 0, end: source.length },
        ),
      };
    },
  };
}

function toRuntime(err: unknown, source: string): ExpressionRuntimeError {
  const e = toEngineError(err, source, { start: 0, end: source.length });
  return e instanceof ExpressionRuntimeError ? e : new ExpressionRuntimeError(e.detail, source, e.span);
}

export { DEFAULT_LIMITS, ExpressionCompileError, ExpressionError, ExpressionLimitError, ExpressionRuntimeError, ExpressionSyntaxError, supportedFunctionNames };
export type { DataverseTriggerBody, DataverseTriggerOutputs } from './trigger-context';
export type { EvaluationScope } from './functions/types';
export type { ExpressionLimits } from './limits';
export { BinaryValue, FloatValue, toJsonText, typeOf, type Value } from './values';
