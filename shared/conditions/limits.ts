/**
 * Resource limits for compiling and evaluating expressions. A trigger condition comes from a
 * user's flow definition, so it is untrusted: these bound the CPU and memory one evaluation can use.
 * Defaults live here and only here.
 */
export interface ExpressionLimits {
  /** Longest accepted source text, in characters. Logic Apps caps expressions at 8,192 characters. */
  maxExpressionLength: number;
  /** Deepest nesting of calls, indexes and interpolations. */
  maxDepth: number;
  /** Longest string any function may produce, in UTF-16 code units. */
  maxStringLength: number;
  /** Most elements an array (or properties an object) a function may produce. */
  maxCollectionLength: number;
  /** Most evaluation steps (AST node visits plus collection work) per evaluate() call. */
  maxSteps: number;
}

export const DEFAULT_LIMITS: Readonly<ExpressionLimits> = Object.freeze({
  maxExpressionLength: 8192,
  maxDepth: 64,
  maxStringLength: 1_048_576,
  maxCollectionLength: 100_000,
  maxSteps: 1_000_000,
});

/** Merge caller overrides over the defaults and reject nonsense (zero, negative, non-integer). */
export function resolveLimits(overrides: Partial<ExpressionLimits> | undefined): ExpressionLimits {
  const limits: ExpressionLimits = { ...DEFAULT_LIMITS, ...(overrides ?? {}) };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`Expression limit "${key}" must be a positive integer, got ${String(value)}.`);
    }
  }
  return limits;
}
