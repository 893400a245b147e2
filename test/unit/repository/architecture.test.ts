/**
 * The shape of the code, checked from the import statements themselves: no import cycles between files
 * (type-only imports included in the product); the folders of `shared/` import only folders of lower layers (the
 * table below and in the README's layout); the product (`functions/`, `shared/`, `cli/` apart from the
 * emulator commands) never imports an emulator, and the emulators never import the product's protocol code.
 */
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

/** Lowest first; a folder may import its own layer's other folders only where listed in SAME_LAYER. */
const LAYERS: string[][] = [
  ['model', 'util'],
  ['conditions'],
  ['routes'],
  ['config'],
  ['dataverse'],
  ['throttle', 'telemetry', 'ledger'],
  ['queue'],
  ['engine'],
  ['sinks'],
  ['webhook', 'sync', 'import'],
  ['operations'],
  ['app'],
];
/** Same-layer imports that are allowed (from → to). */
const SAME_LAYER = new Set<string>([]);

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*((?:import|export)\s[^;]*?)\sfrom\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;

/** Relative imports of a file, resolved to files of the repository; `values`: only those that load the module at run time. */
function importsOf(file: string, values = false): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    if (values && m[1] && /^(import|export)\s+type\s/.test(m[1])) continue;
    const target = normalize(join(dirname(file), m[2] ?? m[3]));
    const resolved = [`${target}.ts`, join(target, 'index.ts')].find((c) => existsSync(c));
    if (resolved) out.push(resolved);
  }
  return out;
}

const rel = (f: string): string => relative(ROOT, f).split(sep).join('/');

function cycles(files: string[], values = false): string[][] {
  const graph = new Map(files.map((f) => [f, importsOf(f, values).filter((d) => files.includes(d))]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(rel(w));
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return found;
}

describe('architecture', () => {
  const shared = tsFiles(join(ROOT, 'shared'));
  const product = [...shared, ...tsFiles(join(ROOT, 'functions')), ...tsFiles(join(ROOT, 'cli'))];
  const emulators = tsFiles(join(ROOT, 'emulators'));

  it('has no import cycles: none at all in the product, none that load modules in the emulators', () => {
    expect(cycles(product)).toEqual([]);
    // The emulators' shared types (types.ts ↔ store/environment.ts, queue.ts ↔ sessions.ts) refer to each other type-only.
    expect(cycles(emulators, true)).toEqual([]);
  });

  it('every folder of shared/ is in exactly one layer', () => {
    const folders = readdirSync(join(ROOT, 'shared')).filter((n) => statSync(join(ROOT, 'shared', n)).isDirectory());
    const layered = LAYERS.flat();
    expect(folders.filter((f) => !layered.includes(f))).toEqual([]);
    expect(layered.filter((f) => !folders.includes(f))).toEqual([]);
    expect(new Set(layered).size).toBe(layered.length);
  });

  it('folders of shared/ import only lower layers', () => {
    const layerOf = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));
    const upward: string[] = [];
    for (const file of shared) {
      const from = rel(file).split('/')[1];
      for (const dep of importsOf(file)) {
        const parts = rel(dep).split('/');
        if (parts[0] !== 'shared') {
          upward.push(`${rel(file)} imports ${rel(dep)} (outside shared/)`);
          continue;
        }
        const to = parts[1];
        if (to === from) continue;
        const a = layerOf.get(from)!;
        const b = layerOf.get(to)!;
        if (b > a || (b === a && !SAME_LAYER.has(`${from}→${to}`))) upward.push(`${rel(file)} (${from}, layer ${a}) imports ${rel(dep)} (${to}, layer ${b})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('the product never imports an emulator, and the emulators never import the product', () => {
    const crossing: string[] = [];
    for (const file of product) {
      // The CLI's emulator and start commands run the emulators; they are tools, not the product.
      if (/^cli\/commands\/(emulator|start|demo)\.ts$/.test(rel(file))) continue;
      for (const dep of importsOf(file)) if (rel(dep).startsWith('emulators/')) crossing.push(`${rel(file)} imports ${rel(dep)}`);
    }
    for (const file of emulators) {
      // The stack (`npm start`) wires the emulators to the app's own configuration (routes → webhook registrations).
      if (rel(file).startsWith('emulators/stack/')) continue;
      for (const dep of importsOf(file))
        if (rel(dep).startsWith('shared/') && !/^shared\/(model|util)\//.test(rel(dep))) crossing.push(`${rel(file)} imports ${rel(dep)}`);
    }
    expect(crossing).toEqual([]);
  });
});
