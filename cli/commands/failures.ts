/**
 * `dvsync failures list|replay`: the failures table (changes the worker could not apply) and replaying
 * their stored messages onto the changes queue. Exit 0 on success, 1 on errors, 2 on bad usage.
 */
import { AppRoot, operatorRoot } from '../../shared/app';
import { readAppSettings } from '../../shared/operations/app-settings';
import { listFailures, replayFailures } from '../../shared/operations/failures';
import { parseFlags, UsageError, type FlagValues } from '../../shared/operations/flags';
import { loadConfiguration } from '../../shared/config/configuration';

const USAGE = `Usage:
  dvsync failures list   [--route R] [--since ISO] [--json] [--file local.settings.json]
  dvsync failures replay [--route R] [--id ID] [--since ISO] [--dry-run] [--file local.settings.json]

list    prints route, id, time, reason (code), target key and message of each failure, newest first.
replay  re-enqueues the stored change messages onto the changes queue (new message ids derived from the
        failure id, so a replay is idempotent) and marks them replayed. Already replayed failures are
        skipped unless picked with --id. --dry-run shows what would be replayed.
`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === undefined) {
    process.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  let flags: FlagValues;
  let since: Date | undefined;
  try {
    if (sub !== 'list' && sub !== 'replay') throw new UsageError(`unknown subcommand "${sub}"`);
    flags = parseFlags(
      rest,
      sub === 'list'
        ? { route: 'string', since: 'string', json: 'boolean', file: 'string' }
        : { route: 'string', id: 'string', since: 'string', 'dry-run': 'boolean', file: 'string' },
    );
    if (flags.since !== undefined) {
      since = new Date(String(flags.since));
      if (Number.isNaN(since.getTime())) throw new UsageError(`--since expects an ISO 8601 time like 2024-05-01T00:00:00Z, got "${flags.since}"`);
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`dvsync failures: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  const { env } = readAppSettings({ file: flags.file as string | undefined });
  // Listing needs the storage account only; a replay needs the whole configuration (routes, the changes queue).
  const root = sub === 'list' ? operatorRoot(env, ['storage']) : new AppRoot(loadConfiguration(env));
  const store = root.failures();
  const filter = { ...(flags.route ? { route: String(flags.route) } : {}), ...(since ? { since } : {}), ...(flags.id ? { id: String(flags.id) } : {}) };

  if (sub === 'list') {
    const failures = await listFailures(store, filter);
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify(
          failures.map(({ body: _body, ...f }) => ({ id: f.rowKey, ...f })),
          null,
          2,
        )}\n`,
      );
      return 0;
    }
    if (failures.length === 0) process.stdout.write('No failures recorded.\n');
    for (const f of failures) {
      const code = [f.reason, f.code, f.status].filter((x) => x !== undefined && x !== '').join(' ');
      process.stdout.write(
        `${f.time}  ${f.route ?? '(unparsed)'}  ${f.severity}  ${code}${f.replayedAt ? `  [replayed ${f.replayedAt}]` : ''}\n  id: ${f.rowKey}\n  key: ${f.targetKey ?? '-'}  source: ${f.sourceId ?? '-'}  message: ${f.messageId}\n  ${f.detail}\n\n`,
      );
    }
    return 0;
  }

  const config = root.configuration();
  try {
    const report = await replayFailures({
      ...filter,
      store,
      table: root.failuresTable(),
      publisher: root.changePublisher(),
      routes: config.routes,
      sessionBuckets: config.settings.intake.sessionBuckets,
      dryRun: !!flags['dry-run'],
    });
    const verb = report.dryRun ? 'would replay' : 'replayed';
    for (const r of report.replayed) process.stdout.write(`${verb} ${r.id} (${r.route}) as message ${r.messageId}\n`);
    for (const s of report.skipped) process.stdout.write(`skipped ${s.id}${s.route ? ` (${s.route})` : ''}: ${s.reason}\n`);
    process.stdout.write(`${report.replayed.length} ${verb}, ${report.skipped.length} skipped.\n`);
    return report.skipped.length ? 1 : 0;
  } finally {
    await root.close();
  }
}
