/**
 * `dvsync demo` (`npm run demo`): writes, changes and deletes rows in the emulated source environment of
 * a running `npm start` stack and shows them arriving in the target (see demo/README.md).
 * Finds the stack on the same ports `dvsync start` uses (flags / DVSYNC_*_PORT variables / defaults).
 * Exit 0 when every check held, 1 when one did not or the stack is unreachable, 2 on bad usage.
 */
import { azuriteConnectionString } from '../../emulators/azurite';
import { connectionStringFor } from '../../emulators/servicebus';
import { queueNamesFrom } from '../../shared/config/settings';
import { PORT_SPECS, type StackPorts } from '../../emulators/stack/options';

const USAGE = `Usage: dvsync demo [options]

Runs the demo against a running local stack (start it first with "npm start" in another terminal):
creates accounts and contacts in the emulated "source" environment, changes and deletes some, edits
one row in "target", and waits for each change to arrive (or, by design, not to), with a live line of
webhook deliveries, queue depth, Dataverse writes and failures.

Options:
  --dataverse-url <url>   Dataverse emulator origin (default http://127.0.0.1:<DVSYNC_DATAVERSE_PORT or 7072>)
  --storage <cs>          storage connection string for the failures table (default Azurite on
                          DVSYNC_AZURITE_TABLE_PORT/DVSYNC_AZURITE_BLOB_PORT or 10002/10000)
  --servicebus <cs>       Service Bus connection string for the queue depth (default the emulator on
                          DVSYNC_SERVICEBUS_PORT or 5672)
  --queue <name>          changes queue (default DVSYNC_CHANGES_QUEUE or dvsync-changes)
  --step-timeout <s>      how long to wait for each step's checks (default 20)
`;

class UsageError extends Error {}

function portOf(key: keyof StackPorts, env: NodeJS.ProcessEnv): number {
  const spec = PORT_SPECS.find((s) => s.key === key)!;
  const raw = env[spec.env];
  if (raw === undefined || raw === '') return spec.default;
  if (!/^\d+$/.test(raw) || Number(raw) === 0 || Number(raw) > 65535)
    throw new UsageError(`${spec.env}="${raw}" is not a port the stack can be found on (1-65535); pass the URL or connection string instead.`);
  return Number(raw);
}

export interface DemoCliOptions {
  dataverseUrl: string;
  storage: string;
  serviceBus: string;
  queue: string;
  stepTimeoutMs: number;
}

export function parseDemoArgs(argv: string[], env: NodeJS.ProcessEnv): DemoCliOptions {
  const values = new Map<string, string>();
  const known = ['--dataverse-url', '--storage', '--servicebus', '--queue', '--step-timeout'];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    if (!known.includes(flag)) throw new UsageError(`unknown option "${argv[i]}".`);
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') throw new UsageError(`${flag} needs a value.`);
    values.set(flag, value);
  }
  const dataverseUrl = values.get('--dataverse-url') ?? `http://127.0.0.1:${portOf('dataverse', env)}`;
  if (!/^https?:\/\/[^/]+/i.test(dataverseUrl)) throw new UsageError(`--dataverse-url "${dataverseUrl}" is not an http(s) URL, e.g. http://127.0.0.1:7072`);
  const timeout = values.get('--step-timeout') ?? '20';
  if (!/^\d+(\.\d+)?$/.test(timeout) || Number(timeout) <= 0 || Number(timeout) > 600)
    throw new UsageError(`--step-timeout "${timeout}" must be a number of seconds between 0 and 600.`);
  return {
    // The emulator origin; a Web API base URL (…/api/data/v9.2/) is accepted and trimmed to it.
    dataverseUrl: new URL(dataverseUrl).origin,
    storage: values.get('--storage') ?? azuriteConnectionString('127.0.0.1', portOf('azuriteTable', env), portOf('azuriteBlob', env)),
    serviceBus: values.get('--servicebus') ?? connectionStringFor(portOf('serviceBus', env)),
    queue: values.get('--queue') ?? queueNamesFrom(env).changes,
    stepTimeoutMs: Number(timeout) * 1000,
  };
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let options: DemoCliOptions;
  try {
    options = parseDemoArgs(argv, process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`dvsync demo: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  const { runDemo } = await import('../../demo/run');
  const ok = await runDemo({ ...options, pollMs: 250, out: (t) => process.stdout.write(t), live: Boolean(process.stdout.isTTY) });
  return ok ? 0 : 1;
}
