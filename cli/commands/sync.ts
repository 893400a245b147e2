/**
 * `dvsync sync --route NAME [--full]`: one incremental-sync pass for one route, as the timer runs it
 * (same settings, checkpoint and queue). Exit 0 when committed or another runner won the checkpoint,
 * 1 on failure, 2 on bad usage.
 */
import { AppRoot } from '../../shared/app';
import { readAppSettings } from '../../shared/operations/app-settings';
import { parseFlags, UsageError, type FlagValues } from '../../shared/operations/flags';
import { contextTelemetry } from '../../shared/telemetry/telemetry';
import { loadConfiguration } from '../../shared/config/configuration';

const USAGE = `Usage: dvsync sync --route NAME [--full] [--file local.settings.json]

Runs one incremental-sync pass of a route with "source.sync": {"enabled": true}: reads the source table's
changes since the stored delta link (all rows on the first pass or with --full), enqueues them on the
changes queue, then stores the new delta link.
`;

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  let flags: FlagValues;
  try {
    flags = parseFlags(argv, { route: 'string', full: 'boolean', file: 'string' });
    if (!flags.route) throw new UsageError('--route is required');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`dvsync sync: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  const { env } = readAppSettings({ file: flags.file as string | undefined });
  const root = new AppRoot(loadConfiguration(env));
  const runtime = root.sync();
  const telemetry = contextTelemetry({
    debug: () => undefined,
    info: () => undefined,
    warn: (...a) => process.stderr.write(`${a.join(' ')}\n`),
    error: (...a) => process.stderr.write(`${a.join(' ')}\n`),
  });
  try {
    const r = await runtime.runRoute(String(flags.route), telemetry, { full: !!flags.full });
    process.stdout.write(
      `${r.route}: ${r.outcome} (${r.mode}${r.resynced ? ', resynced after an expired token' : ''}): ${r.pages} page(s), ${r.upserts} upsert(s), ${r.deletes} delete(s) enqueued, ${r.skipped} skipped by the route filters\n`,
    );
    if (r.outcome === 'conflict') process.stderr.write('Another runner advanced the checkpoint first; its pass covers these changes. Nothing to do.\n');
    return 0;
  } finally {
    await root.close();
  }
}
