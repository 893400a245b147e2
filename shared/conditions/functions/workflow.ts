/** Workflow functions that make sense for a trigger condition evaluated outside Logic Apps. */
import { FunctionFailure } from '../errors';
import { fromJson, getOwn, isObject, newObject, setOwn, type Value } from '../values';
import { str } from './args';
import { fn, type FunctionContext, type FunctionTable } from './types';

// Converting caller data to engine values once per outputs object keeps repeated evaluations cheap.
const converted = new WeakMap<object, Value>();
function cachedFromJson(input: unknown): Value {
  if (typeof input !== 'object' || input === null) return fromJson(input);
  let v = converted.get(input);
  if (v === undefined) {
    v = fromJson(input);
    converted.set(input, v);
  }
  return v;
}

function outputs(ctx: FunctionContext): Value {
  if (ctx.scope.triggerOutputs === undefined) {
    throw new FunctionFailure(`The function '${ctx.name}' needs trigger outputs, and none were given (pass --trigger FILE on the CLI).`);
  }
  return cachedFromJson(ctx.scope.triggerOutputs);
}

function lookup(ctx: FunctionContext, table: Record<string, unknown> | undefined, kind: string, name: string): Value {
  const values = table === undefined ? undefined : fromJson(table);
  const found = isObject(values) ? getOwn(values, name) : undefined;
  if (found === undefined) {
    throw new FunctionFailure(
      `The ${kind} '${name}' is not defined${kind === 'variable' ? ' (Power Automate does not allow variables in trigger conditions)' : ''}.`,
    );
  }
  return found;
}

export const workflowFunctions: FunctionTable = {
  triggeroutputs: fn('triggerOutputs', 0, 0, (_a, ctx) => outputs(ctx)),
  triggerbody: fn('triggerBody', 0, 0, (_a, ctx) => {
    const o = outputs(ctx);
    return isObject(o) ? (getOwn(o, 'body') ?? null) : null;
  }),
  trigger: fn('trigger', 0, 0, (_a, ctx) => {
    const t = isObject(fromJson(ctx.scope.trigger ?? {})) ? (fromJson(ctx.scope.trigger ?? {}) as Record<string, Value>) : newObject();
    const out = newObject();
    for (const k of Object.keys(t)) setOwn(out, k, t[k]);
    setOwn(out, 'outputs', outputs(ctx));
    return out;
  }),
  parameters: fn('parameters', 1, 1, (args, ctx) => lookup(ctx, ctx.scope.parameters, 'parameter', str(ctx.name, args, 0))),
  variables: fn('variables', 1, 1, (args, ctx) => lookup(ctx, ctx.scope.variables, 'variable', str(ctx.name, args, 0))),
  workflow: fn('workflow', 0, 0, (_a, ctx) => {
    if (ctx.scope.workflow === undefined) throw new FunctionFailure("The function 'workflow' has no workflow details in this context.");
    return fromJson(ctx.scope.workflow);
  }),
};
