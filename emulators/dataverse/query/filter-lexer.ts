/**
 * Tokens of an OData `$filter` expression (the subset Dataverse documents, Learn: webapi/query/filter-rows,
 * filter-rows). Positions are kept so syntax errors can say where the expression broke.
 */
import { DvError } from '../errors';

export type Token =
  | { t: 'ident'; v: string; pos: number }
  | { t: 'string'; v: string; pos: number }
  | { t: 'number'; v: number; raw: string; pos: number }
  | { t: 'guid'; v: string; pos: number }
  | { t: 'datetime'; v: string; pos: number }
  | { t: '(' | ')' | ','; pos: number };

/** OData syntax error in a query option. 0x80060888 is the code Dataverse's OData layer uses for query syntax [U: not documented]. */
export function querySyntaxError(option: string, text: string, pos: number, detail: string): DvError {
  return new DvError(400, '0x80060888', `Syntax error at position ${pos} in '${text}' (${option}): ${detail}`);
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/;
const DATETIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?/;
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?[mMdDlLfF]?/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_./]*/;

export function tokenize(text: string, option = '$filter'): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      out.push({ t: c, pos: i });
      i++;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      let v = '';
      for (;;) {
        if (j >= text.length)
          throw querySyntaxError(option, text, i, "unterminated string literal; close it with ' (write a quote inside a value twice: 'O''Brien')");
        if (text[j] === "'") {
          if (text[j + 1] === "'") {
            v += "'";
            j += 2;
            continue;
          }
          break;
        }
        v += text[j++];
      }
      out.push({ t: 'string', v, pos: i });
      i = j + 1;
      continue;
    }
    const rest = text.slice(i);
    // GUIDs and dates start with digits too, so try them before numbers.
    const guid = GUID.exec(rest);
    if (guid && !/[0-9A-Za-z]/.test(rest[guid[0].length] ?? '')) {
      out.push({ t: 'guid', v: guid[0].toLowerCase(), pos: i });
      i += guid[0].length;
      continue;
    }
    const dt = DATETIME.exec(rest);
    if (dt && !/[0-9A-Za-z]/.test(rest[dt[0].length] ?? '')) {
      out.push({ t: 'datetime', v: dt[0], pos: i });
      i += dt[0].length;
      continue;
    }
    const num = NUMBER.exec(rest);
    if (num && !/[A-Za-z0-9_]/.test(rest[num[0].length] ?? '')) {
      out.push({ t: 'number', v: Number(num[0].replace(/[mMdDlLfF]$/, '')), raw: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    const id = IDENT.exec(rest);
    if (id) {
      out.push({ t: 'ident', v: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    throw querySyntaxError(option, text, i, `unexpected character '${c}'`);
  }
  return out;
}
