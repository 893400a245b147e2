/**
 * The engine's own error types. Every error carries the source text and the character span it
 * refers to, so callers can show a caret excerpt. Nothing else is ever thrown out of the engine.
 */
export interface SourceSpan {
  /** Offset of the first character (0-based) in the source string. */
  start: number;
  /** Offset just past the last character. */
  end: number;
}

export abstract class ExpressionError extends Error {
  abstract readonly kind: 'syntax' | 'compile' | 'runtime' | 'limit';
  constructor(
    readonly detail: string,
    readonly source: string,
    readonly span: SourceSpan,
  ) {
    super(`${detail} (at position ${span.start + 1})\n${caretExcerpt(source, span)}`);
    this.name = new.target.name;
  }
  /** 0-based offset, kept for callers that only want one number. */
  get position(): number {
    return this.span.start;
  }
}

/** The text does not follow the expression grammar (unclosed string, stray token, ...). */
export class ExpressionSyntaxError extends ExpressionError {
  readonly kind = 'syntax' as const;
}

/** Well-formed text that cannot run: unknown function, wrong number of arguments. */
export class ExpressionCompileError extends ExpressionError {
  readonly kind = 'compile' as const;
}

/** A function or property access failed on the actual data (wrong type, missing property, ...). */
export class ExpressionRuntimeError extends ExpressionError {
  readonly kind = 'runtime' as const;
}

/** A configured limit (length, depth, size, steps) was exceeded. */
export class ExpressionLimitError extends ExpressionError {
  readonly kind = 'limit' as const;
}

/** Thrown by function implementations, which do not know where they sit in the source; the evaluator adds the span. */
export class FunctionFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FunctionFailure';
  }
}

/** Raised by value helpers when a size limit is crossed; converted into ExpressionLimitError with a span. */
export class LimitFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LimitFailure';
  }
}

const EXCERPT_RADIUS = 40;

/** One line of source around the span with a caret under it, e.g. `equals(1,` / `         ^`. */
export function caretExcerpt(source: string, span: SourceSpan): string {
  const from = Math.max(0, span.start - EXCERPT_RADIUS);
  const to = Math.min(source.length, Math.max(span.end, span.start + 1) + EXCERPT_RADIUS);
  const prefix = from > 0 ? '…' : '';
  const suffix = to < source.length ? '…' : '';
  const text = source.slice(from, to).replace(/[\r\n\t]/g, ' ');
  const caretAt = prefix.length + (span.start - from);
  const width = Math.max(1, Math.min(span.end, to) - span.start);
  return `  ${prefix}${text}${suffix}\n  ${' '.repeat(caretAt)}${'^'.repeat(width)}`;
}
