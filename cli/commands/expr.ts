/**
 * `dvsync expr '<expression>' [--trigger FILE]`: evaluate a Power Automate / Logic Apps expression
 * and print the result as JSON. The argument is read as the workflow engine reads a JSON string
 * value (`@expr`, `@{...}` interpolation, `@@` escape, otherwise a literal string), with one
 * convenience: a bare function call such as `add(1, 2)` (how the reference and the expression
 * editor write expressions) is evaluated as `@add(1, 2)`. Exit 0 on success, 1 on a
 * parse/evaluation error, 2 on bad usage.
 */
import { readFileSync } from 'fs';
import { compileExpression, ExpressionError, toJsonText } from '../../shared/conditions';

const USAGE = `Usage: dvsync expr '<expression>' [--trigger FILE] [--now ISO-TIMESTAMP]

Evaluates a Power Automate / Logic Apps expression and prints the result as JSON.
  --trigger FILE   JSON file with trigger outputs {"headers": {...}, "body": {...}};
                   triggerOutputs() is the whole object, triggerBody() its body.
  --now TIMESTAMP  fix the clock for utcNow(), getFutureTime(), getPastTime().
A bare function call (add(1, 2), as the expression editor writes it) is evaluated as @add(1, 2);
any other argument without a leading '@' is a literal string, as in a workflow definition.
`;

export async function run(argv: string[]): Promise<number> {
  let source: string | undefined;
  let triggerFile: string | undefined;
  let now: Date | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (a === '--trigger' || a === '--now') {
      const v = argv[++i];
      if (v === undefined) return usageError(`${a} needs a value.`);
      if (a === '--trigger') triggerFile = v;
      else {
        now = new Date(v);
        if (Number.isNaN(now.getTime())) return usageError(`--now expects an ISO 8601 timestamp, got "${v}".`);
      }
      continue;
    }
    if (source !== undefined) return usageError(`unexpected extra argument "${a}" (quote the whole expression as one argument).`);
    source = a;
  }
  if (source === undefined) return usageError('missing the expression to evaluate.');

  let triggerOutputs: unknown;
  if (triggerFile !== undefined) {
    try {
      triggerOutputs = JSON.parse(readFileSync(triggerFile, 'utf8'));
    } catch (err) {
      process.stderr.write(`dvsync expr: cannot read trigger outputs from "${triggerFile}": ${(err as Error).message}\n`);
      return 1;
    }
    if (typeof triggerOutputs !== 'object' || triggerOutputs === null || Array.isArray(triggerOutputs)) {
      process.stderr.write(`dvsync expr: "${triggerFile}" must hold a JSON object like {"headers": {...}, "body": {...}}.\n`);
      return 1;
    }
  }

  try {
    const result = compileExpression(asWorkflowValue(source)).evaluate({ triggerOutputs, clock: now ? () => now! : undefined });
    process.stdout.write(`${toJsonText(result)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ExpressionError) {
      process.stderr.write(`dvsync expr: ${err.name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** A bare call like `add(1, 2)` or `triggerBody()?['x']` means the expression `@add(1, 2)`; anything else is taken as written. */
export function asWorkflowValue(arg: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*\(/.test(arg) && !arg.includes('@{') ? `@${arg}` : arg;
}

function usageError(message: string): number {
  process.stderr.write(`dvsync expr: ${message}\n\n${USAGE}`);
  return 2;
}
