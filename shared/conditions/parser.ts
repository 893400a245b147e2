/**
 * Parser for a workflow-language value, the way the engine reads a JSON string value:
 * - `@@...`          → the literal string with the first `@` removed;
 * - `@expr`          → the expression's value (any type);
 * - `...@{expr}...`  → string interpolation (always a string; `@@{` writes a literal `@{`);
 * - anything else    → the literal string itself.
 */
import type { CallNode, InterpolationNode, Node } from './ast';
import { ExpressionLimitError, ExpressionSyntaxError } from './errors';
import { tokenize, type Token, type TokenType } from './lexer';
import type { ExpressionLimits } from './limits';

export function parseValue(source: string, limits: ExpressionLimits): Node {
  if (source.length > limits.maxExpressionLength) {
    throw new ExpressionLimitError(
      `Expression is ${source.length} characters long; the limit is ${limits.maxExpressionLength} (maxExpressionLength).`,
      source,
      { start: limits.maxExpressionLength, end: source.length },
    );
  }
  const whole = { start: 0, end: source.length };
  if (source.startsWith('@@')) return { type: 'literal', value: source.slice(1), span: whole };
  if (source.startsWith('@') && !source.startsWith('@{')) {
    return parseExpression(source, 1, source.length, limits, 0);
  }
  if (source.includes('@{')) return parseInterpolation(source, limits, 0, 0, source.length);
  return { type: 'literal', value: source, span: whole };
}

function parseInterpolation(source: string, limits: ExpressionLimits, depth: number, from: number, to: number): InterpolationNode {
  const parts: InterpolationNode['parts'] = [];
  let text = '';
  let i = from;
  while (i < to) {
    if (source.startsWith('@@{', i)) {
      text += '@{';
      i += 3;
      continue;
    }
    if (source.startsWith('@{', i)) {
      const close = findClosingBrace(source, i + 2, to);
      if (close < 0) {
        throw new ExpressionSyntaxError("Unclosed '@{': add the closing '}' of the interpolated expression.", source, { start: i, end: to });
      }
      if (text) parts.push({ text });
      text = '';
      parts.push({ expr: parseExpression(source, i + 2, close, limits, depth + 1) });
      i = close + 1;
      continue;
    }
    text += source[i];
    i++;
  }
  if (text) parts.push({ text });
  return { type: 'interpolation', parts, span: { start: from, end: to } };
}

/** Index of the `}` closing an interpolation, skipping over quoted strings; -1 if none. */
function findClosingBrace(source: string, from: number, to: number): number {
  let inString = false;
  for (let i = from; i < to; i++) {
    const c = source[i];
    if (inString) {
      if (c === "'") {
        if (source[i + 1] === "'") i++;
        else inString = false;
      }
    } else if (c === "'") inString = true;
    else if (c === '}') return i;
  }
  return -1;
}

function parseExpression(source: string, from: number, to: number, limits: ExpressionLimits, depth: number): Node {
  const tokens = tokenize(source, from, to);
  const parser = new TokenParser(source, tokens, limits, depth);
  if (tokens[0].type === 'eof') {
    throw new ExpressionSyntaxError("Empty expression: write a value or a function call after '@'.", source, { start: Math.max(0, from - 1), end: to });
  }
  const node = parser.expression();
  parser.expectEnd();
  return node;
}

class TokenParser {
  private pos = 0;
  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
    private readonly limits: ExpressionLimits,
    private depth: number,
  ) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
  }
  private next(): Token {
    return this.tokens[this.pos++];
  }
  private fail(message: string, token: Token): never {
    throw new ExpressionSyntaxError(message, this.source, { start: token.start, end: Math.max(token.end, token.start + 1) });
  }
  private expect(type: TokenType, what: string): Token {
    const t = this.peek();
    if (t.type !== type) this.fail(`Expected ${what} but found ${describe(t)}.`, t);
    return this.next();
  }
  expectEnd(): void {
    const t = this.peek();
    if (t.type !== 'eof') this.fail(`Unexpected ${describe(t)} after the end of the expression.`, t);
  }
  private enter(t: Token): void {
    this.depth++;
    if (this.depth > this.limits.maxDepth) {
      throw new ExpressionLimitError(`Expression nests deeper than ${this.limits.maxDepth} levels (maxDepth).`, this.source, {
        start: t.start,
        end: t.end,
      });
    }
  }

  expression(): Node {
    let node = this.primary();
    for (;;) {
      const t = this.peek();
      let nullSafe = false;
      let access = t;
      if (t.type === '?') {
        const after = this.peek(1);
        if (after.type !== '[' && after.type !== '.') this.fail("Expected '[' or '.' after '?'.", after);
        nullSafe = true;
        this.next();
        access = this.peek();
      }
      if (access.type === '[') {
        this.next();
        this.enter(access);
        const key = this.expression();
        this.depth--;
        const close = this.expect(']', "']' to close the index");
        node = { type: 'index', target: node, key, nullSafe, span: { start: node.span.start, end: close.end } };
      } else if (access.type === '.') {
        this.next();
        const name = this.peek();
        if (name.type !== 'ident' && name.type !== 'integer') this.fail(`Expected a property name after '.' but found ${describe(name)}.`, name);
        this.next();
        node = {
          type: 'index',
          target: node,
          key: { type: 'literal', value: String(name.value), span: { start: name.start, end: name.end } },
          nullSafe,
          span: { start: node.span.start, end: name.end },
        };
      } else {
        return node;
      }
    }
  }

  private primary(): Node {
    const t = this.next();
    switch (t.type) {
      case 'string':
      case 'integer':
      case 'float':
        return { type: 'literal', value: t.value as string, span: { start: t.start, end: t.end } };
      case 'ident': {
        const name = t.value as string;
        if (this.peek().type !== '(') {
          const lower = name.toLowerCase();
          if (lower === 'true' || lower === 'false') return { type: 'literal', value: lower === 'true', span: { start: t.start, end: t.end } };
          if (lower === 'null') return { type: 'literal', value: null, span: { start: t.start, end: t.end } };
          this.fail(`'${name}' is not a value: call functions with parentheses, e.g. ${name}(), and quote strings, e.g. '${name}'.`, t);
        }
        return this.call(t);
      }
      case 'eof':
        return this.fail('The expression ends too early: a value is missing.', t);
      default:
        return this.fail(`Expected a value but found ${describe(t)}.`, t);
    }
  }

  private call(nameToken: Token): CallNode {
    const open = this.next();
    this.enter(open);
    const args: Node[] = [];
    if (this.peek().type !== ')') {
      for (;;) {
        args.push(this.expression());
        const sep = this.peek();
        if (sep.type === ',') {
          this.next();
          continue;
        }
        if (sep.type === ')') break;
        this.fail(`Expected ',' or ')' in the arguments of ${String(nameToken.value)}() but found ${describe(sep)}.`, sep);
      }
    }
    const close = this.next();
    this.depth--;
    return {
      type: 'call',
      name: nameToken.value as string,
      args,
      span: { start: nameToken.start, end: close.end },
      nameSpan: { start: nameToken.start, end: nameToken.end },
    };
  }
}

function describe(t: Token): string {
  switch (t.type) {
    case 'eof':
      return 'the end of the expression';
    case 'string':
      return `the string '${String(t.value)}'`;
    case 'ident':
      return `'${String(t.value)}'`;
    case 'integer':
    case 'float':
      return `the number ${String(t.value instanceof Object ? (t.value as { value: number }).value : t.value)}`;
    default:
      return `'${t.type}'`;
  }
}
