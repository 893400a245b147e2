/**
 * Compiles a syntax tree into a tree of closures once; evaluation then only runs closures.
 * Function names and argument counts are resolved here, so an unknown function or a wrong
 * argument count is an ExpressionCompileError before any data is seen.
 */
import type { CallNode, IndexNode, Node } from './ast';
import {
  ExpressionCompileError,
  ExpressionError,
  ExpressionLimitError,
  ExpressionRuntimeError,
  FunctionFailure,
  LimitFailure,
  type SourceSpan,
} from './errors';
import type { EvaluationScope, FunctionContext, FunctionTable } from './functions/types';
import { type Budget, getOwn, isInteger, isObject, toDisplayString, typeOf, type Value } from './values';

export interface Runtime {
  scope: EvaluationScope;
  budget: Budget;
}

export type Compiled = (rt: Runtime) => Value;

export function compileNode(node: Node, source: string, functions: FunctionTable): Compiled {
  switch (node.type) {
    case 'literal': {
      const value = node.value;
      return () => value;
    }
    case 'interpolation': {
      const parts = node.parts.map((p) => ('text' in p ? p.text : compileNode(p.expr, source, functions)));
      return (rt) => {
        let out = '';
        for (const p of parts) out += typeof p === 'string' ? p : toDisplayString(p(rt));
        return guard(source, node.span, () => rt.budget.string(out));
      };
    }
    case 'index':
      return compileIndex(node, source, functions);
    case 'call':
      return compileCall(node, source, functions);
  }
}

function compileCall(node: CallNode, source: string, functions: FunctionTable): Compiled {
  const def = Object.prototype.hasOwnProperty.call(functions, node.name.toLowerCase()) ? functions[node.name.toLowerCase()] : undefined;
  if (!def) {
    throw new ExpressionCompileError(
      `The function '${node.name}' is not a known workflow expression function (see shared/conditions/README.md for the supported list).`,
      source,
      node.nameSpan,
    );
  }
  const n = node.args.length;
  if (n < def.minArgs || n > def.maxArgs) {
    const expected =
      def.minArgs === def.maxArgs
        ? `exactly ${def.minArgs}`
        : def.maxArgs === Infinity
          ? `at least ${def.minArgs}`
          : `between ${def.minArgs} and ${def.maxArgs}`;
    throw new ExpressionCompileError(
      `The function '${def.name}' takes ${expected} argument${def.maxArgs === 1 && def.minArgs === 1 ? '' : 's'}, but ${n} ${n === 1 ? 'was' : 'were'} given.`,
      source,
      node.span,
    );
  }
  const args = node.args.map((a) => compileNode(a, source, functions));
  const span = node.span;
  if (def.lazy) {
    const lazy = def.lazy;
    return (rt) => {
      rt.budget.step();
      const ctx: FunctionContext = { budget: rt.budget, scope: rt.scope, name: def.name };
      const thunks = args.map((a) => () => a(rt));
      return guard(source, span, () => lazy(thunks, ctx));
    };
  }
  const impl = def.impl!;
  return (rt) => {
    rt.budget.step();
    const values = new Array<Value>(args.length);
    for (let i = 0; i < args.length; i++) values[i] = args[i](rt);
    const ctx: FunctionContext = { budget: rt.budget, scope: rt.scope, name: def.name };
    return guard(source, span, () => impl(values, ctx));
  };
}

function compileIndex(node: IndexNode, source: string, functions: FunctionTable): Compiled {
  const target = compileNode(node.target, source, functions);
  const key = compileNode(node.key, source, functions);
  const nullSafe = node.nullSafe;
  const span = node.span;
  return (rt) => {
    rt.budget.step();
    const t = target(rt);
    const k = key(rt);
    return guard(source, span, () => selectProperty(t, k, nullSafe));
  };
}

/** Property/element selection. Only own data properties are visible. */
export function selectProperty(target: Value, key: Value, nullSafe: boolean): Value {
  if (target === null) {
    if (nullSafe) return null;
    throw new FunctionFailure(
      `The property '${toDisplayString(key)}' cannot be selected because the value is null. Use the null-safe form ?['${toDisplayString(key)}'] if the value can be missing.`,
    );
  }
  if (Array.isArray(target)) {
    if (!isInteger(key)) {
      throw new FunctionFailure(`An array can only be indexed by an integer, but the index '${toDisplayString(key)}' is of type '${typeOf(key)}'.`);
    }
    const i = Number(key);
    if (i >= 0 && i < target.length) return target[i] ?? null;
    if (nullSafe) return null;
    throw new FunctionFailure(`The index ${i} is out of range: the array has ${target.length} element(s), indexed from 0.`);
  }
  if (isObject(target)) {
    if (typeof key !== 'string' && !isInteger(key)) {
      throw new FunctionFailure(`An object's properties are selected by name, but the key is of type '${typeOf(key)}'.`);
    }
    const name = String(key);
    let found = getOwn(target, name);
    if (found === undefined && name.includes('/')) found = selectPath(target, name);
    if (found !== undefined) return found;
    if (nullSafe) return null;
    const available = Object.keys(target);
    throw new FunctionFailure(
      `The property '${name}' doesn't exist, available properties are '${available.slice(0, 20).join(', ')}${available.length > 20 ? ', …' : ''}'. Use ?['${name}'] if the property can be missing.`,
    );
  }
  throw new FunctionFailure(`Property selection is not supported on values of type '${typeOf(target)}' (selecting '${toDisplayString(key)}').`);
}

/** Power Automate's path shorthand: `x?['body/a/b']` ≡ `x?['body']?['a']?['b']`. */
function selectPath(target: Value, path: string): Value | undefined {
  let current: Value = target;
  for (const segment of path.split('/')) {
    if (current === null) return null;
    if (isObject(current)) {
      const next = getOwn(current, segment);
      if (next === undefined) return null;
      current = next;
    } else if (Array.isArray(current) && /^\d+$/.test(segment)) {
      current = current[Number(segment)] ?? null;
    } else {
      return undefined;
    }
  }
  return current;
}

/** Turn failures from helpers into positioned engine errors; pass engine errors through. */
function guard(source: string, span: SourceSpan, run: () => Value): Value {
  try {
    return run();
  } catch (err) {
    throw toEngineError(err, source, span);
  }
}

export function toEngineError(err: unknown, source: string, span: SourceSpan): ExpressionError {
  if (err instanceof ExpressionError) return err;
  if (err instanceof LimitFailure) return new ExpressionLimitError(err.message, source, span);
  if (err instanceof FunctionFailure) return new ExpressionRuntimeError(err.message, source, span);
  if (err instanceof RangeError && /call stack|string length|array length/i.test(err.message)) {
    return new ExpressionLimitError(`Evaluation ran out of resources: ${err.message}.`, source, span);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ExpressionRuntimeError(`Evaluation failed: ${message}`, source, span);
}
