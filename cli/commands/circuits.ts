/**
 * `dvsync circuits list|close`: routes the worker stopped because of a systemic error (a missing privilege,
 * a refused credential, an inactive key, an unknown column or table; shared/ledger/circuits.ts). While a
 * route's circuit is open its changes are held on the queue; a probe write closes it by itself once the
 * cause is fixed, and `close` lets the held changes through at once. Exit 0 on success, 1 when nothing
 * matched, 2 on bad usage.
 */
import { operatorRoot } from '../../shared/app';
import type { Circuit } from '../../shared/ledger/circuits';
import { readAppSettings } from '../../shared/operations/app-settings';
import { parseFlags, UsageError, type FlagValues } from '../../shared/operations/flags';

const USAGE = `Usage:
  dvsync circuits list  [--all] [--json] [--file local.settings.json]
  dvsync circuits close <route> [--file local.settings.json]

list    open circuits (--all: closed ones too): route, cause, Dataverse's answer, since when, next probe.
close   closes a route's circuit after you fixed the cause: the held changes are written when they come
        back (at most a few seconds after their hold time) instead of waiting for the probe.
`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === undefined) {
    process.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  let flags: FlagValues;
  let route: string | undefined;
  try {
    if (sub === 'list') flags = parseFlags(rest, { all: 'boolean', json: 'boolean', file: 'string' });
    else if (sub === 'close') {
      route = rest[0] && !rest[0].startsWith('--') ? rest[0] : undefined;
      if (!route) throw new UsageError('close needs the route name: dvsync circuits close <route>');
      flags = parseFlags(rest.slice(1), { file: 'string' });
    } else throw new UsageError(`unknown subcommand "${sub}"`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`dvsync circuits: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  const { env } = readAppSettings({ file: flags.file as string | undefined });
  const store = operatorRoot(env, ['storage']).circuits();
  if (sub === 'close') {
    const closed = await store.close(route as string, `operator (dvsync circuits close)`, new Date());
    process.stdout.write(
      closed ? `Closed the circuit of route "${route}"; its held changes are written when they come back.\n` : `Route "${route}" has no open circuit.\n`,
    );
    return closed ? 0 : 1;
  }
  const circuits = flags.all ? await store.list() : await store.listOpen();
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify(
        circuits.map(({ etag: _etag, ...c }) => c),
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  if (circuits.length === 0) process.stdout.write(flags.all ? 'No circuits recorded.\n' : 'No open circuits: every route is writing.\n');
  for (const c of circuits) process.stdout.write(describe(c));
  return 0;
}

function describe(c: Circuit): string {
  const answer = [c.status, c.code].filter((x) => x !== undefined && x !== '').join(' ');
  const state =
    c.state === 'open'
      ? `open since ${c.openedAt}, next probe ${c.probeAt} (${c.probes} sent)`
      : `closed ${c.closedAt ?? ''} by ${c.closedBy ?? '?'} (opened ${c.openedAt})`;
  return `${c.route}  ${c.cause}  ${c.environment}/${c.table}  ${state}\n  Dataverse: ${answer} ${c.message}\n\n`;
}
