/** Zod validation whose issues read as `path: what was expected`, in the path form people read (./path.ts). */
import type { z } from 'zod';
import { formatPath, type PathProblem } from './path';

/** Validates with zod and turns issues into problems, their paths prefixed with `prefix`. */
export function checkSchema<T>(schema: z.ZodType<T>, value: unknown, prefix: ReadonlyArray<PropertyKey> = []): { value?: T; problems: PathProblem[] } {
  const r = schema.safeParse(value);
  if (r.success) return { value: r.data, problems: [] };
  return {
    problems: r.error.issues.map((i) => ({ path: formatPath([...prefix, ...i.path]), message: describeIssue(i, valueAt(value, i.path)) })),
  };
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v = root;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  const message = issue.message.replace(/^Invalid input: /, '');
  if (value === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_format')) return `missing (${message})`;
  return message;
}
