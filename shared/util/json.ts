/**
 * A strict JSON parser (RFC 8259) for request and message bodies (webhook, ingest, inbound). Two reasons not to use JSON.parse:
 * - errors must name the line and column (Node 20's JSON.parse only gives an offset, sometimes not even that);
 * - numbers must stay exact: Dataverse decimals arrive as `1.0000000000` and money may exceed float
 *   precision, so a number whose text does not survive a round trip through `number` is kept as
 *   an `ExactNumber` holding its original text.
 */

/** A JSON number that a JS number cannot hold exactly (trailing zeros, > 15 significant digits, big integers). */
export class ExactNumber {
  constructor(readonly text: string) {}
  toNumber(): number {
    return Number(this.text);
  }
  toJSON(): number {
    return Number(this.text);
  }
}

export type JsonValue = null | boolean | number | string | ExactNumber | JsonValue[] | { [key: string]: JsonValue };

export class JsonSyntaxError extends Error {
  constructor(
    readonly detail: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${detail} at line ${line}, column ${column}`);
    this.name = 'JsonSyntaxError';
  }
}

const MAX_DEPTH = 256;

/** Parse JSON text. Throws JsonSyntaxError with the 1-based line and column of the first problem. */
export function parseJson(text: string): JsonValue {
  const p = new Parser(text);
  p.ws();
  const value = p.value(0);
  p.ws();
  if (p.pos < text.length) p.fail(`unexpected ${describe(text[p.pos])} after the JSON value`);
  return value;
}

/** Keeps a number as `number` when that is lossless, else as ExactNumber. */
export function numberFromText(text: string): number | ExactNumber {
  const n = Number(text);
  if (!Number.isFinite(n)) return new ExactNumber(text);
  if (/^-?\d+$/.test(text)) return Number.isSafeInteger(n) ? n : new ExactNumber(text);
  return canonicalDecimal(text) === canonicalDecimal(String(n)) ? n : new ExactNumber(text);
}

/** Normalises a decimal literal so that "2.50e1" and "25" compare equal only when digits match exactly. */
function canonicalDecimal(text: string): string {
  // Numbers printed by JS never have trailing fractional zeros; the literal keeps them, so compare literally
  // except for exponent notation, which JS uses for very small/large values.
  return /e/i.test(text) ? String(Number(text)) : text.replace(/^(-?)0+(?=\d)/, '$1');
}

function describe(ch: string | undefined): string {
  if (ch === undefined) return 'end of input';
  const code = ch.charCodeAt(0);
  if (code < 0x20) return `control character U+${code.toString(16).padStart(4, '0').toUpperCase()}`;
  return `"${ch}"`;
}

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  fail(detail: string, at = this.pos): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.s.length; i++) {
      if (this.s.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    throw new JsonSyntaxError(detail, line, at - lineStart + 1);
  }

  ws(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else break;
    }
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    const ch = this.s[this.pos];
    switch (ch) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return this.number();
        return this.fail(`expected a JSON value but found ${describe(ch)}`);
    }
  }

  literal<T extends JsonValue>(word: string, v: T): T {
    if (this.s.startsWith(word, this.pos)) {
      this.pos += word.length;
      return v;
    }
    return this.fail(`expected "${word}"`);
  }

  number(): number | ExactNumber {
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = this.pos;
    const r = m.exec(this.s);
    if (!r) return this.fail('malformed number');
    const next = this.s[this.pos + r[0].length];
    if (next !== undefined && /[0-9.eE+-]/.test(next)) this.fail('malformed number', this.pos + r[0].length);
    this.pos += r[0].length;
    return numberFromText(r[0]);
  }

  string(): string {
    const s = this.s;
    const start = this.pos;
    this.pos++; // opening quote
    let out = '';
    let chunk = this.pos;
    for (;;) {
      if (this.pos >= s.length) this.fail('unterminated string', start);
      const c = s.charCodeAt(this.pos);
      if (c === 0x22) {
        out += s.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail(`${describe(s[this.pos])} inside a string (escape it)`);
      if (c === 0x5c) {
        out += s.slice(chunk, this.pos);
        const e = s[this.pos + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && e in simple) {
          out += simple[e];
          this.pos += 2;
        } else if (e === 'u') {
          const hex = s.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape (expected 4 hex digits)');
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 6;
        } else {
          this.fail(`invalid escape "\\${e ?? ''}"`);
        }
        chunk = this.pos;
        continue;
      }
      this.pos++;
    }
  }

  array(depth: number): JsonValue[] {
    this.pos++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return out;
      }
      this.fail(`expected "," or "]" but found ${describe(c)}`);
    }
  }

  object(depth: number): { [key: string]: JsonValue } {
    this.pos++;
    const out: { [key: string]: JsonValue } = {};
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.pos] !== '"') this.fail(`expected a property name in double quotes but found ${describe(this.s[this.pos])}`);
      const key = this.string();
      this.ws();
      if (this.s[this.pos] !== ':') this.fail(`expected ":" after property name "${key}"`);
      this.pos++;
      this.ws();
      const v = this.value(depth + 1);
      // defineProperty so a "__proto__" key is plain data, never the prototype.
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      this.ws();
      const c = this.s[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        return out;
      }
      this.fail(`expected "," or "}" but found ${describe(c)}`);
    }
  }
}
