/**
 * JSON text → engine values, keeping `2.0` a float and big integers exact. Accepts what
 * Newtonsoft (the engine's parser) accepts beyond strict JSON: single-quoted strings,
 * comments and trailing commas.
 */
import { FunctionFailure } from '../errors';
import { FloatValue, newObject, setOwn, type Value } from '../values';

export function parseJsonText(text: string, maxDepth: number): Value {
  let i = 0;
  const fail = (what: string): never => {
    throw new FunctionFailure(`The function 'json' could not parse its input: ${what} at character ${i + 1}.`);
  };
  const ws = () => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i])) i++;
      if (text.startsWith('//', i)) {
        while (i < text.length && text[i] !== '\n') i++;
      } else if (text.startsWith('/*', i)) {
        const end = text.indexOf('*/', i + 2);
        i = end < 0 ? text.length : end + 2;
      } else return;
    }
  };
  const str = (): string => {
    const q = text[i++];
    let out = '';
    while (i < text.length && text[i] !== q) {
      if (text[i] === '\\') {
        const e = text[i + 1];
        i += 2;
        if (e === 'u') {
          const hex = text.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
        } else {
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '/': '/', '\\': '\\', '"': '"', "'": "'" };
          if (!(e in map)) fail(`bad escape '\\${e}'`);
          out += map[e];
        }
      } else out += text[i++];
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    return out;
  };
  const value = (depth: number): Value => {
    if (depth > maxDepth) fail(`nesting deeper than ${maxDepth} levels`);
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj = newObject();
      ws();
      while (text[i] !== '}') {
        ws();
        let key: string;
        if (text[i] === '"' || text[i] === "'") key = str();
        else {
          const m = /^[A-Za-z_$][\w$]*/.exec(text.slice(i));
          if (!m) return fail('expected a property name');
          key = m[0];
          i += key.length;
        }
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        setOwn(obj, key, value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          ws();
        } else if (text[i] !== '}') fail("expected ',' or '}'");
      }
      i++;
      return obj;
    }
    if (c === '[') {
      i++;
      const out: Value[] = [];
      ws();
      while (text[i] !== ']') {
        out.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          ws();
        } else if (text[i] !== ']') fail("expected ',' or ']'");
      }
      i++;
      return out;
    }
    if (c === '"' || c === "'") return str();
    const m = /^-?(\d+)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (m) {
      i += m[0].length;
      if (m[2] || m[3]) {
        const n = Number(m[0]);
        return Number.isInteger(n) ? new FloatValue(n) : n;
      }
      const big = BigInt(m[0]);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    return fail(i >= text.length ? 'unexpected end of text' : `unexpected character '${c}'`);
  };
  const result = value(0);
  ws();
  if (i < text.length) fail('unexpected text after the JSON value');
  return result;
}
