/**
 * xml() and json(<xml>): a small well-formedness-checking XML reader plus Json.NET's XML⇄JSON mapping
 * (what the workflow engine uses): attributes become "@name", text next to elements "#text",
 * repeated child elements an array, the declaration "?xml". No DTDs, no XPath.
 */
import { FunctionFailure } from '../errors';
import { BinaryValue, isObject, newObject, setOwn, toDisplayString, type JsonObject, type Value } from '../values';

export const XML_CONTENT_TYPE = 'application/xml;charset=utf-8';

interface XmlElement {
  name: string;
  attributes: Array<[string, string]>;
  children: Array<XmlElement | string>;
}
interface XmlDocument {
  declaration?: Array<[string, string]>;
  root: XmlElement;
}

const NAME = /^[A-Za-z_:][\w.:-]*/;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string, fail: (m: string) => never): string {
  return text.replace(/&(#x[0-9A-Fa-f]+|#\d+|\w+);/g, (_m, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    if (e in ENTITIES) return ENTITIES[e];
    return fail(`unknown entity '&${e};'`);
  });
}

export function parseXml(text: string, fnName: string): XmlDocument {
  let i = 0;
  const fail = (m: string): never => {
    throw new FunctionFailure(`The function '${fnName}' got text that is not valid XML: ${m} at character ${i}.`);
  };
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const readName = (): string => {
    const m = NAME.exec(text.slice(i));
    if (!m) fail('expected a name');
    i += m![0].length;
    return m![0];
  };
  const readAttributes = (end: RegExp): Array<[string, string]> => {
    const attrs: Array<[string, string]> = [];
    for (;;) {
      skipSpace();
      if (end.test(text.slice(i, i + 2))) return attrs;
      const name = readName();
      skipSpace();
      if (text[i++] !== '=') fail(`expected '=' after attribute '${name}'`);
      skipSpace();
      const q = text[i++];
      if (q !== '"' && q !== "'") fail(`expected a quoted value for attribute '${name}'`);
      const close = text.indexOf(q, i);
      if (close < 0) fail(`unterminated value for attribute '${name}'`);
      attrs.push([name, decodeEntities(text.slice(i, close), fail)]);
      i = close + 1;
    }
  };
  const skipMisc = () => {
    for (;;) {
      skipSpace();
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (text.startsWith('<?', i)) {
        const end = text.indexOf('?>', i);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else return;
    }
  };
  const readElement = (depth: number): XmlElement => {
    if (depth > 256) fail('elements nested too deeply');
    if (text[i++] !== '<') fail("expected '<'");
    const name = readName();
    const attributes = readAttributes(/^\/?>/);
    if (text.startsWith('/>', i)) {
      i += 2;
      return { name, attributes, children: [] };
    }
    i++; // '>'
    const children: Array<XmlElement | string> = [];
    for (;;) {
      if (i >= text.length) fail(`element '${name}' is not closed`);
      if (text.startsWith('</', i)) {
        i += 2;
        const close = readName();
        if (close !== name) fail(`closing tag '${close}' does not match '${name}'`);
        skipSpace();
        if (text[i++] !== '>') fail("expected '>'");
        return { name, attributes, children };
      }
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i);
        if (end < 0) fail('unterminated CDATA section');
        children.push(text.slice(i + 9, end));
        i = end + 3;
      } else if (text[i] === '<') {
        children.push(readElement(depth + 1));
      } else {
        const end = text.indexOf('<', i);
        children.push(decodeEntities(text.slice(i, end < 0 ? text.length : end), fail));
        i = end < 0 ? text.length : end;
      }
    }
  };

  skipSpace();
  let declaration: Array<[string, string]> | undefined;
  if (text.startsWith('<?xml', i)) {
    i += 5;
    declaration = readAttributes(/^\?>/);
    i += 2;
  }
  skipMisc();
  const root = readElement(0);
  skipMisc();
  if (i < text.length) fail('text after the root element');
  return { declaration, root };
}

/** Json.NET SerializeXmlNode for a document. */
export function xmlToJson(doc: XmlDocument): JsonObject {
  const out = newObject();
  if (doc.declaration) {
    const decl = newObject();
    for (const [k, v] of doc.declaration) setOwn(decl, `@${k}`, v);
    setOwn(out, '?xml', decl);
  }
  setOwn(out, doc.root.name, elementValue(doc.root));
  return out;
}

function elementValue(el: XmlElement): Value {
  const elements = el.children.filter((c): c is XmlElement => typeof c !== 'string');
  const texts = el.children.filter((c): c is string => typeof c === 'string');
  const meaningfulText = elements.length > 0 ? texts.filter((t) => t.trim() !== '') : texts;
  if (el.attributes.length === 0 && elements.length === 0) return meaningfulText.length ? meaningfulText.join('') : null;
  const out = newObject();
  for (const [k, v] of el.attributes) setOwn(out, `@${k}`, v);
  if (meaningfulText.length) setOwn(out, '#text', meaningfulText.length === 1 ? meaningfulText[0] : meaningfulText);
  for (const child of elements) {
    const value = elementValue(child);
    const existing = Object.prototype.hasOwnProperty.call(out, child.name) ? out[child.name] : undefined;
    if (existing === undefined) setOwn(out, child.name, value);
    else if (Array.isArray(existing) && elements.filter((e) => e.name === child.name).length > 1) existing.push(value);
    else setOwn(out, child.name, [existing, value]);
  }
  return out;
}

const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s: string) => escapeText(s).replace(/"/g, '&quot;');

/** Json.NET DeserializeXmlNode: the object must have exactly one root property that is not an array. */
export function jsonToXml(value: JsonObject, fnName: string): string {
  const keys = Object.keys(value).filter((k) => k !== '?xml');
  if (keys.length !== 1 || Array.isArray(value[keys[0]])) {
    throw new FunctionFailure(`The function '${fnName}' needs a JSON object with exactly one root property that is not an array.`);
  }
  return elementXml(keys[0], value[keys[0]]);
}

function elementXml(name: string, value: Value): string {
  if (Array.isArray(value)) return value.map((v) => elementXml(name, v)).join('');
  if (value === null) return `<${name} />`;
  if (!isObject(value)) return `<${name}>${escapeText(toDisplayString(value))}</${name}>`;
  let attrs = '';
  let body = '';
  for (const k of Object.keys(value)) {
    const v = value[k];
    if (k.startsWith('@')) attrs += ` ${k.slice(1)}="${escapeAttr(toDisplayString(v))}"`;
    else if (k === '#text') body += escapeText(toDisplayString(v));
    else body += elementXml(k, v);
  }
  return body === '' ? `<${name}${attrs} />` : `<${name}${attrs}>${body}</${name}>`;
}

export function isXml(v: Value): v is BinaryValue {
  return v instanceof BinaryValue && /xml/i.test(v.contentType);
}
