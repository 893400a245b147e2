/**
 * `dvsync import FILE --route NAME`: loads a JSON Lines or CSV file through the write engine, with a
 * resumable checkpoint (run the same command again after a crash). Exit 0 when every record was
 * applied or skipped, 1 when some were invalid or failed (the report lists them) or the run stopped,
 * 2 on bad usage or configuration.
 */
import { AppRoot } from '../../shared/app';
import {
  createProgress,
  formatReport,
  ImportAbortedError,
  ImportConfigError,
  loadImportConfiguration,
  runImport,
  type ImportOptionsInput,
} from '../../shared/import';

const USAGE = `Usage: dvsync import FILE --route NAME [options]

Loads FILE (JSON Lines, or CSV with a header row) as records of route NAME: each record is checked
against the route's source.recordColumns and mapping, then written by the write engine (ledger,
skip-unchanged, bulk writes, throttle lanes). Progress is checkpointed in Table Storage per file
(size + hash of its first MiB) and route: after a crash, run the same command to resume.
  --routes FILE       routes file (default: DVSYNC_ROUTES_FILE or DVSYNC_ROUTES)
  --format jsonl|csv  default: from the extension (.csv is CSV, anything else JSON Lines)
  --chunk N           records per engine call (default 500)
  --concurrency N     engine calls in flight (default 8)
  --restart           ignore the checkpoint and start from line 1 (the ledger still skips applied rows)
  --json              print the final report as JSON instead of text
Settings (environment variables): DVSYNC_ENVIRONMENTS, DVSYNC_STORAGE (or AzureWebJobsStorage).
`;

export async function run(argv: string[]): Promise<number> {
  const input: Partial<ImportOptionsInput> = {};
  let routesFile: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string | undefined => argv[++i];
    switch (a) {
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return 0;
      case '--route':
        input.route = value();
        if (!input.route) return usageError('--route needs a route name.');
        break;
      case '--routes':
        routesFile = value();
        if (!routesFile) return usageError('--routes needs a file path.');
        break;
      case '--format': {
        const f = value();
        if (f !== 'jsonl' && f !== 'csv') return usageError(`--format must be jsonl or csv, got "${f ?? ''}".`);
        input.format = f;
        break;
      }
      case '--chunk':
      case '--concurrency': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) return usageError(`${a} needs a positive integer.`);
        if (a === '--chunk') input.chunkSize = n;
        else input.concurrency = n;
        break;
      }
      case '--restart':
        input.restart = true;
        break;
      case '--json':
        json = true;
        break;
      default:
        if (a.startsWith('-')) return usageError(`unknown option "${a}".`);
        if (input.file) return usageError(`unexpected extra argument "${a}" (one FILE per run).`);
        input.file = a;
    }
  }
  if (!input.file) return usageError('missing FILE.');
  if (!input.route) return usageError('missing --route NAME.');

  let deps;
  try {
    deps = new AppRoot(loadImportConfiguration(process.env, routesFile, process.cwd())).importDeps();
  } catch (err) {
    process.stderr.write(`dvsync import: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    const report = await runImport(input as ImportOptionsInput, { ...deps, progress: createProgress(process.stderr, 5000) });
    process.stdout.write(json ? `${JSON.stringify(report)}\n` : formatReport(report));
    return report.counts.invalid + report.counts.failed > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof ImportAbortedError) {
      process.stdout.write(json ? `${JSON.stringify(err.report)}\n` : formatReport(err.report));
      process.stderr.write(`dvsync import: ${err.message}\n`);
      return 1;
    }
    if (err instanceof ImportConfigError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`dvsync import: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
}

function usageError(message: string): number {
  process.stderr.write(`dvsync import: ${message}\n\n${USAGE}`);
  return 2;
}
