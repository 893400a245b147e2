/**
 * `dvsync deadletters list|resubmit --queue Q`: peek a queue's dead-letter sub-queue with reason,
 * description and delivery count; move messages back to the queue (copy sent first, then the
 * dead-lettered one completed). Exit 0 on success, 1 on errors, 2 on bad usage.
 */
import { operatorRoot } from '../../shared/app';
import { readAppSettings } from '../../shared/operations/app-settings';
import { listDeadLetters, resubmitDeadLetters } from '../../shared/operations/deadletters';
import { parseFlags, UsageError, type FlagValues } from '../../shared/operations/flags';

const USAGE = `Usage:
  dvsync deadletters list     --queue Q [--max N] [--json] [--file local.settings.json]
  dvsync deadletters resubmit --queue Q [--max N] [--dry-run] [--file local.settings.json]

list      peeks (does not lock) up to N dead-lettered messages (default 100): id, session, reason,
          description, delivery count, enqueued time.
resubmit  moves up to N (default 100) back to the queue: sends a copy with the same body, session,
          correlation id and properties, then removes the dead-lettered message. Fix the cause first.
`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === undefined) {
    process.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  let flags: FlagValues;
  try {
    if (sub !== 'list' && sub !== 'resubmit') throw new UsageError(`unknown subcommand "${sub}"`);
    flags = parseFlags(
      rest,
      sub === 'list'
        ? { queue: 'string', max: 'integer', json: 'boolean', file: 'string' }
        : { queue: 'string', max: 'integer', 'dry-run': 'boolean', file: 'string' },
    );
    if (!flags.queue) throw new UsageError('--queue is required (e.g. dvsync-changes or dvsync-inbound)');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`dvsync deadletters: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  const queue = String(flags.queue);
  const max = (flags.max as number | undefined) ?? 100;
  const root = operatorRoot(readAppSettings({ file: flags.file as string | undefined }).env, ['serviceBus']);
  const client = root.serviceBusClient();
  try {
    if (sub === 'list') {
      const letters = await listDeadLetters(client, queue, max);
      if (flags.json) process.stdout.write(`${JSON.stringify(letters, null, 2)}\n`);
      else {
        if (letters.length === 0) process.stdout.write(`The dead-letter queue of ${queue} is empty.\n`);
        for (const d of letters) {
          process.stdout.write(
            `#${d.sequenceNumber}  ${d.messageId}  session ${d.sessionId ?? '-'}  deliveries ${d.deliveryCount ?? '-'}  enqueued ${d.enqueuedTimeUtc ?? '-'}\n` +
              `  reason: ${d.reason ?? '(none)'}\n  description: ${d.description ?? '(none)'}\n\n`,
          );
        }
      }
      return 0;
    }
    const report = await resubmitDeadLetters(client, queue, { max, dryRun: !!flags['dry-run'] });
    const verb = report.dryRun ? 'would resubmit' : 'resubmitted';
    for (const r of report.resubmitted) process.stdout.write(`${verb} ${r.messageId} as ${r.newMessageId}${r.reason ? ` (was: ${r.reason})` : ''}\n`);
    process.stdout.write(`${report.resubmitted.length} ${verb} to ${queue}.\n`);
    return 0;
  } finally {
    await root.close();
  }
}
