/**
 * Offline Bicep checks: a syntax parse with tree-sitter-bicep (no Bicep CLI runs here) plus a few
 * structural lint rules read off the syntax tree. `bicep build` / what-if still belong in a
 * deployment pipeline that has the CLI.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Language, type Node, Parser } from 'web-tree-sitter';

export type BicepValue = string | number | boolean | null | BicepValue[] | { [key: string]: BicepValue } | { expression: string };

export interface BicepResource {
  symbol: string;
  type: string; // e.g. Microsoft.ServiceBus/namespaces/queues
  apiVersion: string;
  body: { [key: string]: BicepValue };
  file: string;
}

let parserPromise: Promise<Parser> | undefined;

export function bicepParser(): Promise<Parser> {
  parserPromise ??= (async () => {
    await Parser.init();
    const language = await Language.load(fs.readFileSync(require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm'))); // bytes: jest cannot run the loader's dynamic import
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return parserPromise;
}

export function syntaxErrors(root: Node): string[] {
  const errors: string[] = [];
  const walk = (n: Node): void => {
    if (n.type === 'ERROR' || n.isMissing)
      errors.push(
        `line ${n.startPosition.row + 1}, column ${n.startPosition.column + 1}: ${n.isMissing ? 'missing ' + n.type : 'unexpected "' + n.text.slice(0, 60) + '"'}`,
      );
    for (const c of n.children) if (c) walk(c);
  };
  walk(root);
  return errors;
}

/** Literal values become JS values; anything computed is kept as its source text. */
export function toValue(n: Node): BicepValue {
  switch (n.type) {
    case 'string': {
      const parts = n.children.filter((c): c is Node => !!c && c.type !== "'");
      if (parts.every((c) => c.type === 'string_content')) return parts.map((c) => c.text).join('');
      return { expression: n.text };
    }
    case 'number':
      return Number(n.text);
    case 'boolean':
      return n.text === 'true';
    case 'null':
      return null;
    case 'object': {
      const out: { [key: string]: BicepValue } = {};
      for (const p of n.namedChildren) {
        if (!p || p.type !== 'object_property') continue;
        const [k, v] = p.namedChildren;
        if (k && v) out[k.text.replace(/^'|'$/g, '')] = toValue(v);
      }
      return out;
    }
    case 'array':
      return n.namedChildren.filter((c): c is Node => !!c).map(toValue);
    default:
      return { expression: n.text };
  }
}

export function resourcesOf(root: Node, file: string): BicepResource[] {
  const out: BicepResource[] = [];
  for (const d of root.namedChildren) {
    if (!d || d.type !== 'resource_declaration') continue;
    const [symbol, typeNode] = d.namedChildren;
    const body =
      d.namedChildren.find((c) => c?.type === 'object') ??
      d.namedChildren.find((c) => c?.type === 'for_statement')?.namedChildren.find((c) => c?.type === 'object');
    const typeText = typeNode ? String(toValue(typeNode)) : '';
    const [type, apiVersion] = typeText.split('@');
    out.push({
      symbol: symbol?.text ?? '',
      type: type ?? '',
      apiVersion: apiVersion ?? '',
      body: body ? (toValue(body) as { [key: string]: BicepValue }) : {},
      file,
    });
  }
  return out;
}

export function bicepFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? bicepFiles(path.join(dir, e.name)) : e.name.endsWith('.bicep') ? [path.join(dir, e.name)] : []));
}
