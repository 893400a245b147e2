/** Tokenizer for the expression part of a value (what follows `@`, or sits inside `@{...}`). */
import { ExpressionSyntaxError } from './errors';
import { FloatValue } from './values';

export type TokenType = 'ident' | 'string' | 'integer' | 'float' | '(' | ')' | '[' | ']' | ',' | '.' | '?' | 'eof';

export interface Token {
  type: TokenType;
  /** Identifier name, string contents (quotes removed, `''` unescaped), or the number value. */
  value: string | number | bigint | FloatValue;
  start: number;
  end: number;
}

const PUNCT = new Set(['(', ')', '[', ']', ',', '.', '?']);

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '$';
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}
function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\u00a0' || c === '\ufeff';
}

/**
 * Scan `source` from `from` up to `to`. `source` is the whole value so positions in errors point
 * into what the user wrote.
 */
export function tokenize(source: string, from: number, to: number): Token[] {
  const tokens: Token[] = [];
  let i = from;
  while (i < to) {
    const c = source[i];
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "'") {
      let text = '';
      i++;
      for (;;) {
        if (i >= to) {
          throw new ExpressionSyntaxError("Unterminated string literal: add the closing single quote (write '' for a quote inside a string).", source, {
            start,
            end: to,
          });
        }
        const ch = source[i];
        if (ch === "'") {
          if (source[i + 1] === "'" && i + 1 < to) {
            text += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += ch;
        i++;
      }
      tokens.push({ type: 'string', value: text, start, end: i });
      continue;
    }
    if (
      isDigit(c) ||
      ((c === '-' || c === '+' || c === '.') && i + 1 < to && (isDigit(source[i + 1]) || (source[i + 1] === '.' && isDigit(source[i + 2] ?? ''))))
    ) {
      // A '.' starts a number only when no value precedes it (otherwise it is member access).
      const prev = tokens[tokens.length - 1];
      const dotIsMember =
        c === '.' &&
        prev !== undefined &&
        (prev.type === ')' || prev.type === ']' || prev.type === 'ident' || prev.type === 'string' || prev.type === 'integer' || prev.type === 'float');
      if (!dotIsMember) {
        i = scanNumber(source, i, to, tokens);
        continue;
      }
    }
    if (isIdentStart(c)) {
      while (i < to && (isIdentStart(source[i]) || isDigit(source[i]) || source[i] === '-')) {
        // A '-' belongs to a name only between name characters (e.g. never in practice); stop before it otherwise.
        if (source[i] === '-') break;
        i++;
      }
      tokens.push({ type: 'ident', value: source.slice(start, i), start, end: i });
      continue;
    }
    if (PUNCT.has(c)) {
      tokens.push({ type: c as TokenType, value: c, start, end: i + 1 });
      i++;
      continue;
    }
    throw new ExpressionSyntaxError(`Unexpected character '${c}' in expression.`, source, { start, end: start + 1 });
  }
  tokens.push({ type: 'eof', value: '', start: to, end: to });
  return tokens;
}

function scanNumber(source: string, i: number, to: number, tokens: Token[]): number {
  const start = i;
  if (source[i] === '-' || source[i] === '+') i++;
  while (i < to && isDigit(source[i])) i++;
  let isFloat = false;
  if (i < to && source[i] === '.' && isDigit(source[i + 1] ?? '')) {
    isFloat = true;
    i++;
    while (i < to && isDigit(source[i])) i++;
  } else if (i < to && source[i] === '.' && !isIdentStart(source[i + 1] ?? '')) {
    // "2." is a float with no fraction digits.
    isFloat = true;
    i++;
  }
  if (
    i < to &&
    (source[i] === 'e' || source[i] === 'E') &&
    (isDigit(source[i + 1] ?? '') || ((source[i + 1] === '-' || source[i + 1] === '+') && isDigit(source[i + 2] ?? '')))
  ) {
    isFloat = true;
    i += 2;
    while (i < to && isDigit(source[i])) i++;
  }
  const text = source.slice(start, i);
  if (i < to && (isIdentStart(source[i]) || isDigit(source[i]))) {
    throw new ExpressionSyntaxError(`Malformed number '${text}${source[i]}'.`, source, { start, end: i + 1 });
  }
  if (isFloat) {
    const n = Number(text);
    if (!Number.isFinite(n)) throw new ExpressionSyntaxError(`Number '${text}' is out of range for a float.`, source, { start, end: i });
    tokens.push({ type: 'float', value: Number.isInteger(n) ? new FloatValue(n) : n, start, end: i });
  } else {
    const big = BigInt(text.replace(/^\+/, ''));
    if (big > 2n ** 63n - 1n || big < -(2n ** 63n)) {
      throw new ExpressionSyntaxError(`Integer '${text}' does not fit in 64 bits.`, source, { start, end: i });
    }
    const safe = big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER);
    tokens.push({ type: 'integer', value: safe ? Number(big) : big, start, end: i });
  }
  return i;
}
