/**
 * The deployable app in a staging folder, as the Functions host loads it from the package's root:
 *   host.json, package.json (`main`, `dependencies` only), routes.json (optional),
 *   dist/functions and dist/shared (the product: compiled output whose source still exists, so stale output of
 *   a deleted file does not ship; no tests, bench, emulators or CLI),
 *   node_modules with the production dependencies only.
 * The dependencies are either copied from this repository's node_modules, exactly the packages the lockfile does
 * not mark `dev` (what `npm ci --omit=dev` installs, checked against the installed versions), or installed into
 * the staging folder by `npm ci --omit=dev` from the lockfile.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';

/** The folders of dist/ the app's `main` loads; test/unit/repository/architecture.test.ts keeps them free of emulator imports. */
export const PRODUCT_DIRS = ['functions', 'shared'] as const;

export interface StageOptions {
  /** The repository root (package.json, package-lock.json, host.json, dist/). */
  root: string;
  /** The staging folder; emptied first. */
  out: string;
  /** A routes file to ship as routes.json (DVSYNC_ROUTES_FILE defaults to routes.json in infra/main.bicep). */
  routes?: string;
  /** `copy` (default): from the repository's node_modules; `ci`: `npm ci --omit=dev` from the lockfile. */
  dependencies?: 'copy' | 'ci';
}

export interface Staged {
  out: string;
  /** Every staged file, relative to `out`, "/"-separated, sorted. */
  files: string[];
  /** node_modules paths of the production packages (lockfile keys). */
  packages: string[];
}

export class PackageError extends Error {
  override name = 'PackageError';
}

interface LockPackage {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  link?: boolean;
}

/**
 * The lockfile's production packages: every `packages` entry not marked `dev`. npm sets `dev` on what only
 * devDependencies need, and `devOptional` (installed with --omit=dev) on optional dependencies of production code.
 * Optional packages for another platform are not installed and are skipped.
 */
export function productionPackages(root: string): string[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { lockfileVersion?: number; packages?: Record<string, LockPackage> };
  if (!lock.packages || (lock.lockfileVersion ?? 0) < 2)
    throw new PackageError('package-lock.json has no "packages" section (lockfileVersion 2 or 3 expected)');
  const out: string[] = [];
  const problems: string[] = [];
  for (const [key, p] of Object.entries(lock.packages)) {
    if (key === '' || p.dev) continue;
    if (p.link) {
      problems.push(`${key} is a link (workspaces are not supported)`);
      continue;
    }
    const manifest = join(root, key, 'package.json');
    if (!existsSync(manifest)) {
      if (!p.optional) problems.push(`${key} is not installed`);
      continue;
    }
    const installed = (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version;
    if (p.version && installed !== p.version) problems.push(`${key} is ${installed}, the lockfile says ${p.version}`);
    out.push(key);
  }
  if (problems.length) throw new PackageError(`node_modules does not match package-lock.json (run npm ci): ${problems.join('; ')}`);
  return out.sort();
}

const posix = (p: string): string => p.split(sep).join('/');

/** Every file under `dir` (symbolic links followed), skipping the directories `skip` names at the top of `dir`. */
function filesUnder(dir: string, skip: readonly string[] = []): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) {
        if (d === dir && skip.includes(name)) continue;
        walk(p);
      } else if (s.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function copy(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}

/** The deployed package.json: what the host and Node read (`main`), and the dependencies for the record. */
export function deployedManifest(manifest: Record<string, unknown>): Record<string, unknown> {
  const keep = ['name', 'version', 'description', 'license', 'main', 'engines', 'dependencies'];
  return Object.fromEntries(keep.filter((k) => manifest[k] !== undefined).map((k) => [k, manifest[k]]));
}

function stageProduct(root: string, out: string): void {
  const problems: string[] = [];
  for (const dir of PRODUCT_DIRS) {
    const source = join(root, dir);
    const built = join(root, 'dist', dir);
    if (!existsSync(built)) throw new PackageError(`${posix(relative(root, built))} does not exist: run npm run build`);
    for (const ts of filesUnder(source)) {
      if (!ts.endsWith('.ts') || ts.endsWith('.d.ts')) continue;
      const rel = relative(source, ts).replace(/\.ts$/, '.js');
      if (!existsSync(join(built, rel))) problems.push(posix(join('dist', dir, rel)));
    }
    for (const file of filesUnder(built)) {
      const rel = relative(built, file);
      const ts = join(source, rel.replace(/\.js(\.map)?$/, '.ts'));
      if (!/\.js(\.map)?$/.test(rel) || !existsSync(ts)) continue; // output of a deleted source file
      copy(file, join(out, 'dist', dir, rel));
    }
  }
  if (problems.length) throw new PackageError(`not built: ${problems.slice(0, 5).join(', ')}${problems.length > 5 ? ', …' : ''} (run npm run build)`);
}

function copyDependencies(root: string, out: string): string[] {
  const packages = productionPackages(root);
  // A package's own node_modules holds nested packages, which are lockfile entries of their own (copied when
  // they are production packages): copying it whole could carry a dev-only package along.
  for (const key of packages) for (const file of filesUnder(join(root, key), ['node_modules'])) copy(file, join(out, key, relative(join(root, key), file)));
  return packages;
}

function installDependencies(root: string, out: string, manifest: Record<string, unknown>): string[] {
  const work = mkdtempSync(join(tmpdir(), 'dvsync-npm-ci-'));
  try {
    // The project's own scripts (prepare: tsc) must not run; the dependencies' install scripts do, as in any npm ci.
    writeFileSync(join(work, 'package.json'), JSON.stringify({ ...manifest, scripts: {} }, null, 2));
    copyFileSync(join(root, 'package-lock.json'), join(work, 'package-lock.json'));
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    execFileSync(npm, ['ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
    const packages = productionPackages(work);
    // A copy, not a rename: the temporary folder may be on another file system.
    if (existsSync(join(work, 'node_modules'))) cpSync(join(work, 'node_modules'), join(out, 'node_modules'), { recursive: true, dereference: true });
    return packages;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function stage(options: StageOptions): Staged {
  const { root, out } = options;
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  if (typeof manifest.main !== 'string') throw new PackageError('package.json has no "main"');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  copy(join(root, 'host.json'), join(out, 'host.json'));
  writeFileSync(join(out, 'package.json'), `${JSON.stringify(deployedManifest(manifest), null, 2)}\n`);
  if (options.routes) {
    const text = readFileSync(options.routes, 'utf8');
    try {
      JSON.parse(text);
    } catch (e) {
      throw new PackageError(`${options.routes} is not JSON: ${(e as Error).message}`);
    }
    writeFileSync(join(out, 'routes.json'), text);
  }
  stageProduct(root, out);
  if (!existsSync(join(out, manifest.main))) throw new PackageError(`package.json "main" (${manifest.main}) is not in the staged product`);
  const packages = options.dependencies === 'ci' ? installDependencies(root, out, manifest) : copyDependencies(root, out);

  const files = filesUnder(out)
    .map((f) => posix(relative(out, f)))
    .sort();
  return { out, files, packages };
}
