/** Syntax tree of one workflow-language value: a literal, an `@` expression, or an interpolated string. */
import type { SourceSpan } from './errors';
import type { Value } from './values';

export type Node = LiteralNode | CallNode | IndexNode | InterpolationNode;

export interface LiteralNode {
  type: 'literal';
  /** Literal values: string, integer (number/bigint), float (FloatValue or non-integral number), boolean, null. */
  value: Value;
  span: SourceSpan;
}

export interface CallNode {
  type: 'call';
  /** Function name as written; lookup is case-insensitive. */
  name: string;
  args: Node[];
  span: SourceSpan;
  nameSpan: SourceSpan;
}

export interface IndexNode {
  type: 'index';
  target: Node;
  /** `['x']`, `[0]`, `.x` (then a literal string key), or any expression inside brackets. */
  key: Node;
  /** `?[...]` / `?.x`: yields null instead of failing when the target is null or the key is missing. */
  nullSafe: boolean;
  span: SourceSpan;
}

/** A string with `@{...}` segments; always evaluates to a string. */
export interface InterpolationNode {
  type: 'interpolation';
  parts: Array<{ text: string } | { expr: Node }>;
  span: SourceSpan;
}
