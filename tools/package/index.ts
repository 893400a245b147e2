#!/usr/bin/env node
/**
 * `npm run package`: the deployable zip of the Function App (Flex Consumption runs the zip as is: no build on
 * the platform), from the last `npm run build` (the prepackage script). Usage:
 *   npm run package [-- --routes <file>] [--out <dir>] [--deps copy|ci] [--no-zip]
 * Writes <out>/dvsync/ (the staging folder) and <out>/dvsync.zip; default out: dist/package.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PackageError, stage, type StageOptions } from './stage';
import { readZip, writeZip } from './zip';

const USAGE = `Usage: npm run package -- [--routes <file>] [--out <dir>] [--deps copy|ci] [--no-zip]
  --routes <file>  ship this routes file as routes.json (infra sets DVSYNC_ROUTES_FILE=routes.json)
  --out <dir>      where the staging folder dvsync/ and dvsync.zip go (default dist/package)
  --deps copy      copy the lockfile's production packages from node_modules (default; run npm ci first)
  --deps ci        install them with npm ci --omit=dev into the staging folder (needs the registry or its cache)
  --no-zip         stage only
`;

export interface PackageResult {
  staging: string;
  zip?: string;
  files: number;
  packages: number;
  bytes?: number;
}

/** Stages the app and zips the staging folder (every file, sorted). */
export function buildPackage(options: {
  root: string;
  out: string;
  routes?: string;
  dependencies?: StageOptions['dependencies'];
  zip?: boolean;
}): PackageResult {
  const staging = join(options.out, 'dvsync');
  const staged = stage({
    root: options.root,
    out: staging,
    ...(options.routes ? { routes: options.routes } : {}),
    ...(options.dependencies ? { dependencies: options.dependencies } : {}),
  });
  const result: PackageResult = { staging, files: staged.files.length, packages: staged.packages.length };
  if (options.zip === false) return result;
  const zip = join(options.out, 'dvsync.zip');
  const written = writeZip(
    zip,
    staged.files.map((name) => {
      const path = join(staging, name);
      return { name, data: path, executable: (statSync(path).mode & 0o111) !== 0 };
    }),
  );
  // Read back what an unzip tool would list.
  const listed = readZip(readFileSync(zip));
  if (listed.length !== written.length || listed.some((e, i) => e.name !== staged.files[i]))
    throw new PackageError(`${zip}: the central directory does not list the staged files`);
  return { ...result, zip, bytes: statSync(zip).size };
}

const parse = (args: string[]) =>
  parseArgs({
    args,
    options: { routes: { type: 'string' }, out: { type: 'string' }, deps: { type: 'string' }, 'no-zip': { type: 'boolean' }, help: { type: 'boolean' } },
    strict: true,
  });

function main(argv: string[]): number {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const deps = args.values.deps ?? 'copy';
  if (deps !== 'copy' && deps !== 'ci') {
    process.stderr.write(`--deps must be copy or ci, not "${deps}"\n\n${USAGE}`);
    return 2;
  }
  const root = resolve(__dirname, '..', '..', '..');
  const out = resolve(args.values.out ?? join(root, 'dist', 'package'));
  const routes = args.values.routes ? resolve(args.values.routes) : undefined;
  try {
    const r = buildPackage({ root, out, ...(routes ? { routes } : {}), dependencies: deps, zip: !args.values['no-zip'] });
    process.stdout.write(`staged ${r.files} files (${r.packages} production packages) in ${r.staging}\n`);
    if (r.zip) process.stdout.write(`wrote ${r.zip} (${(r.bytes! / 1_048_576).toFixed(1)} MB)\n`);
    if (!routes)
      process.stderr.write(
        'note: no --routes: the package has no routes.json. Set DVSYNC_ROUTES (inline routes) or the app reports DVSYNC_ROUTES_FILE at startup.\n',
      );
    return 0;
  } catch (e) {
    if (!(e instanceof PackageError)) throw e;
    process.stderr.write(`npm run package: ${e.message}\n`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
