/**
 * Offline Bicep checks: a syntax parse with tree-sitter-bicep (no Bicep CLI runs here) plus a few
 * structural lint rules read off the syntax tree. `bicep build` / what-if still belong in a
 * deployment pipeline that has the CLI.
 */
import { createHash } from 'crypto';
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

export interface BicepParam {
  type: string;
  /** The default value's syntax node (absent: the parameter is required). */
  default?: Node;
  /** Decorators by name, with their arguments as values: `@minValue(40)` → { minValue: [40] }. */
  decorators: Record<string, BicepValue[]>;
}

export interface BicepDeclarations {
  params: Record<string, BicepParam>;
  vars: Record<string, Node>;
  /** Modules by symbol: the referenced file and the body (name, params). */
  modules: Record<string, { path: string; body: Node }>;
  /** Resources by symbol: their body (an object, or a `for` whose body is one). */
  resources: Record<string, Node>;
}

/** The top-level declarations of a file; a declaration's decorators are the `decorators` node just before it. */
export function declarationsOf(root: Node): BicepDeclarations {
  const out: BicepDeclarations = { params: {}, vars: {}, modules: {}, resources: {} };
  let decorators: Record<string, BicepValue[]> = {};
  for (const d of root.namedChildren) {
    if (!d || d.type === 'comment') continue;
    if (d.type === 'decorators') {
      decorators = {};
      for (const dec of d.namedChildren) {
        const call = dec?.namedChildren[0];
        if (call?.type !== 'call_expression') continue;
        const fn = call.childForFieldName('function')?.text ?? '';
        const args = call.childForFieldName('arguments')?.namedChildren ?? [];
        decorators[fn] = args.filter((a): a is Node => !!a).map(toValue);
      }
      continue;
    }
    const [symbol, second, third] = d.namedChildren;
    const name = symbol?.text ?? '';
    if (d.type === 'parameter_declaration') out.params[name] = { type: second?.text ?? '', ...(third ? { default: third } : {}), decorators };
    else if (d.type === 'variable_declaration' && second) out.vars[name] = second;
    else if (d.type === 'module_declaration' && second && third) out.modules[name] = { path: String(toValue(second)), body: third };
    else if (d.type === 'resource_declaration') {
      const body = d.namedChildren.find((c) => c?.type === 'object' || c?.type === 'for_statement');
      if (body) out.resources[name] = body;
    }
    decorators = {};
  }
  return out;
}

/** A property of an object literal, by key. */
export function propertyOf(object: Node | undefined, key: string): Node | undefined {
  for (const p of object?.namedChildren ?? []) {
    if (p?.type !== 'object_property') continue;
    const [k, v] = p.namedChildren;
    if (k && v && k.text.replace(/^'|'$/g, '') === key) return v;
  }
  return undefined;
}

export type Scope = Record<string, unknown>;
type Lambda = { lambda: (...args: unknown[]) => unknown };

/** The deployment-time functions the templates use, with stand-ins for the ones that depend on Azure. */
const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  union: (...objects) => Object.assign({}, ...(objects as object[])),
  items: (o) =>
    Object.entries(o as Record<string, unknown>)
      .sort(([a], [b]) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))
      .map(([key, value]) => ({ key, value })),
  toObject: (array, key, value) => Object.fromEntries((array as unknown[]).map((e) => [(key as Lambda).lambda(e), value ? (value as Lambda).lambda(e) : e])),
  startsWith: (s, prefix) => String(s).toLowerCase().startsWith(String(prefix).toLowerCase()),
  empty: (v) => v === '' || v === null || v === undefined || (typeof v === 'object' && Object.keys(v as object).length === 0),
  take: (v, n) => (typeof v === 'string' ? v.slice(0, n as number) : (v as unknown[]).slice(0, n as number)),
  string: (v) => String(v),
  // Not Azure's hash: only its shape (13 lower-case characters, deterministic, different for different input).
  uniqueString: (...parts) =>
    [...createHash('sha256').update(parts.join('|')).digest()]
      .slice(0, 13)
      .map((b: number) => 'abcdefghijklmnopqrstuvwxyz234567'[b % 32])
      .join(''),
  resourceGroup: () => ({ id: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-test', location: 'westeurope' }),
  subscription: () => ({ tenantId: '00000000-0000-0000-0000-0000000000aa' }),
  environment: () => ({ suffixes: { storage: 'core.windows.net', keyvaultDns: '.vault.azure.net' } }),
};

function lambdaOf(n: Node, scope: Scope): Lambda {
  // tree-sitter-bicep 1.1 reads `e => e.key` as `(e => e).key`: put the member access back into the body.
  if (n.type === 'member_expression' && n.childForFieldName('object')?.type === 'lambda_expression') {
    const inner = lambdaOf(n.childForFieldName('object')!, scope);
    const property = n.childForFieldName('property')!.text;
    return { lambda: (...args) => (inner.lambda(...args) as Record<string, unknown>)[property] };
  }
  if (n.type !== 'lambda_expression') throw new Error(`not a lambda: ${n.text}`);
  const [params, body] = n.namedChildren;
  const names = (params?.type === 'parenthesized_expression' ? params.namedChildren : [params]).map((p) => p?.text ?? '');
  return { lambda: (...args) => evaluate(body!, { ...scope, ...Object.fromEntries(names.map((name, i) => [name, args[i]])) }) };
}

/**
 * Evaluates the expression subset the templates use (literals, interpolation, member access, ternaries, the
 * functions above, lambdas) against `scope` (parameter values, variables): enough to compute what a deployment
 * writes without the Bicep CLI.
 */
export function evaluate(n: Node, scope: Scope): unknown {
  switch (n.type) {
    case 'string':
      return n.namedChildren
        .map((c) => {
          if (!c) return '';
          if (c.type === 'string_content') return c.text;
          if (c.type === 'escape_sequence') return ({ "\\'": "'", '\\\\': '\\', '\\n': '\n', '\\$': '$' } as Record<string, string>)[c.text] ?? c.text;
          if (c.type === 'interpolation') return String(evaluate(c.namedChildren[0]!, scope));
          return '';
        })
        .join('');
    case 'number':
      return Number(n.text);
    case 'boolean':
      return n.text === 'true';
    case 'null':
      return null;
    case 'identifier':
      if (!(n.text in scope)) throw new Error(`"${n.text}" is not in scope`);
      return scope[n.text];
    case 'parenthesized_expression':
      return evaluate(n.namedChildren[0]!, scope);
    case 'unary_expression':
      return !evaluate(n.childForFieldName('argument')!, scope);
    case 'ternary_expression':
      return evaluate(n.childForFieldName('condition')!, scope)
        ? evaluate(n.childForFieldName('consequence')!, scope)
        : evaluate(n.childForFieldName('alternative')!, scope);
    case 'member_expression':
      return (evaluate(n.childForFieldName('object')!, scope) as Record<string, unknown>)[n.childForFieldName('property')!.text];
    case 'object':
      return Object.fromEntries(
        n.namedChildren
          .filter((p): p is Node => p?.type === 'object_property')
          .map((p) => [p.namedChildren[0]!.text.replace(/^'|'$/g, ''), evaluate(p.namedChildren[1]!, scope)]),
      );
    case 'array':
      return n.namedChildren.filter((c): c is Node => !!c).map((c) => evaluate(c, scope));
    case 'call_expression': {
      const fn = n.childForFieldName('function')!.text;
      const args = (n.childForFieldName('arguments')?.namedChildren ?? []).filter((a): a is Node => !!a);
      const impl = FUNCTIONS[fn];
      if (!impl) throw new Error(`function ${fn}() is not supported by this evaluator`);
      return impl(
        ...args.map((a) =>
          a.type === 'lambda_expression' || a.childForFieldName('object')?.type === 'lambda_expression' ? lambdaOf(a, scope) : evaluate(a, scope),
        ),
      );
    }
    default:
      throw new Error(`${n.type} is not supported by this evaluator: ${n.text}`);
  }
}
