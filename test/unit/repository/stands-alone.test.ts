/**
 * The checkout stands alone: no file names a path outside the repository (an absolute home or work
 * directory, a drive letter, a `../` chain that climbs above the root) or one of the team's private
 * note files. Tests, code and docs must cite public sources (Microsoft Learn pages, public
 * repositories) and read fixtures from test/fixtures, so `npm ci && npm test` works on any machine.
 *
 * The patterns below are built from parts so that this file does not match them itself.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

/** Directories never scanned by the fallback walk: the ones .gitignore keeps out of the repository. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', 'coverage', '.dvsync', '__blobstorage__', '__queuestorage__']);
const SKIPPED_FILES = new Set(['local.settings.json']);

const slash = '/';
const backslash = '\\';
/** Absolute paths outside the checkout: Linux and macOS home/work directories, Windows drive paths. */
const ABSOLUTE: Array<{ what: string; re: RegExp }> = [
  { what: 'an absolute path', re: new RegExp(escape(slash + 'work' + slash)) },
  { what: 'an absolute path', re: new RegExp(escape(slash + 'home' + slash)) },
  { what: 'an absolute path', re: new RegExp(escape(slash + 'Users' + slash)) },
  { what: 'a Windows drive path', re: new RegExp('\\b' + escape('C:' + backslash)) },
];
/** The private notes: five reference files and the seed article. */
const PRIVATE_NOTES = [
  ['dataverse-web-api', 'md'],
  ['dataverse-webhooks', 'md'],
  ['service-bus-amqp', 'md'],
  ['azure-functions-and-infra', 'md'],
  ['landscape', 'md'],
  [['dynamics-365-integration', 'flow', 'design'].join('-'), 'txt'], // the design article our users start from
].map((parts) => parts.join('.'));
/** A relative path: one or more `../` followed by a path segment. */
const RELATIVE = /(?:\.\.\/)+[\w.-]+/g;

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function gitFiles(): string[] | undefined {
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 * 1024 * 1024,
    });
    const files = out.split('\0').filter((f) => f !== '');
    return files.length ? files : undefined;
  } catch {
    return undefined; // not a git checkout (a downloaded archive) or no git: walk the directory instead
  }
}

function walk(dir = ROOT, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('__azurite')) walk(path.join(dir, entry.name), out);
    } else if (entry.isFile() && !SKIPPED_FILES.has(entry.name) && !entry.name.endsWith('.log')) {
      out.push(path.relative(ROOT, path.join(dir, entry.name)));
    }
  }
  return out;
}

function textOf(file: string): string | undefined {
  const full = path.join(ROOT, file);
  if (!existsSync(full) || !statSync(full).isFile()) return undefined; // deleted in the working tree
  const bytes = readFileSync(full);
  if (bytes.subarray(0, 8000).includes(0)) return undefined; // binary
  return bytes.toString('utf8');
}

/** Every offending line as `file:line: what (the text)`. */
export function problemsIn(file: string, text: string): string[] {
  const problems: string[] = [];
  const dir = path.dirname(path.join(ROOT, file));
  text.split(/\r?\n/).forEach((line, i) => {
    const at = `${file.split(path.sep).join('/')}:${i + 1}`;
    for (const { what, re } of ABSOLUTE) {
      const m = re.exec(line);
      if (m) problems.push(`${at}: ${what} outside the repository (${m[0]}): ${line.trim()}`);
    }
    for (const name of PRIVATE_NOTES) {
      if (line.includes(name)) problems.push(`${at}: names the private note ${name}; cite the public source instead: ${line.trim()}`);
    }
    for (const m of line.matchAll(RELATIVE)) {
      const target = path.resolve(dir, m[0]);
      if (path.relative(ROOT, target).startsWith('..')) problems.push(`${at}: ${m[0]} climbs above the repository root: ${line.trim()}`);
    }
  });
  return problems;
}

describe('the repository stands alone', () => {
  const files = (gitFiles() ?? walk()).filter((f) => !f.split('/').some((part) => SKIPPED_DIRS.has(part)));

  it('finds the files to check', () => {
    expect(files).toContain('package.json');
    expect(files.some((f) => f.startsWith('test/fixtures/dataverse-webhook/') && f.endsWith('.json'))).toBe(true);
  });

  it('names no path outside the checkout and none of the private note files', () => {
    const problems = files.flatMap((f) => {
      const text = textOf(f);
      return text === undefined ? [] : problemsIn(f, text);
    });
    if (problems.length) throw new Error(`${problems.length} line(s) point outside the repository or at a private note:\n${problems.join('\n')}`);
  });

  it('catches each kind of reference (self-check of the patterns)', () => {
    const abs = slash + 'work' + slash + 'shared' + slash + 'x.json';
    expect(problemsIn('a.ts', `readFileSync('${abs}')`)).toHaveLength(1);
    expect(problemsIn('a.ts', `see ${slash}home${slash}me${slash}x`)).toHaveLength(1);
    expect(problemsIn('a.md', `C:${backslash}repo${backslash}x`)).toHaveLength(1);
    expect(problemsIn('a.md', `(${PRIVATE_NOTES[0]} §4.1)`)).toHaveLength(1);
    expect(problemsIn('test/a.ts', `'..${slash}..${slash}shared${slash}x'`)).toHaveLength(1);
    expect(problemsIn('test/unit/a.ts', `'..${slash}..${slash}shared${slash}x'`)).toEqual([]);
    expect(problemsIn('a.ts', 'https://learn.microsoft.com/power-apps/developer/data-platform/use-webhooks')).toEqual([]);
  });
});
