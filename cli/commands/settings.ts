/**
 * `dvsync settings check [--file local.settings.json]`: validates every app setting (and the routes file)
 * with the app's own validation; prints every missing or invalid setting with what to put there.
 * Exit 0 when valid, 1 on problems, 2 on bad usage.
 */
import { readAppSettings } from '../../shared/operations/app-settings';
import { parseFlags, UsageError } from '../../shared/operations/flags';
import { checkSettings, formatSettingsCheck } from '../../shared/operations/settings-check';

const USAGE = `Usage: dvsync settings check [--file local.settings.json] [--json]

Validates every app setting the functions read (local.settings.json Values, overridden by environment
variables of the same name) and the routes file, and prints every problem with what to put there.
  --file PATH   the settings file (default ./local.settings.json when present; else the environment only)
  --json        print the report as JSON
`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === undefined) {
    process.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'check') return usage(`unknown subcommand "${sub}"`);
  let flags;
  try {
    flags = parseFlags(rest, { file: 'string', json: 'boolean' });
  } catch (e) {
    if (e instanceof UsageError) return usage(e.message);
    throw e;
  }
  const settings = readAppSettings({ file: flags.file as string | undefined });
  const check = checkSettings(settings.env);
  process.stdout.write(flags.json ? `${JSON.stringify({ origin: settings.origin, ...check }, null, 2)}\n` : formatSettingsCheck(check, settings.origin));
  return check.ok ? 0 : 1;
}

function usage(message: string): number {
  process.stderr.write(`dvsync settings: ${message}\n\n${USAGE}`);
  return 2;
}
