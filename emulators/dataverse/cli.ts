/** `dvsync emulator dataverse [--port N] [--schema FILE] [--time-scale X] [--webhook-row-version M]`: run in the foreground until SIGINT/SIGTERM. */
import { startDataverseEmulator } from './index';
import { ROW_VERSION_MODES, type RowVersionMode } from './webhooks/row-version';

const USAGE =
  'Usage: dvsync emulator dataverse [--port N (default 7072)] [--host H] [--schema FILE] [--time-scale X (default 1)] [--webhook-row-version published|always|never (default published)]\n';

export async function runCli(argv: string[]): Promise<number> {
  const opts: { port?: number; host?: string; schemaFile?: string; timeScale?: number; webhookRowVersion?: RowVersionMode } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value.\n${USAGE}`);
      return v;
    };
    const num = (name: string): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got "${v}".\n${USAGE}`);
      return n;
    };
    if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      return 0;
    } else if (a === '--port') opts.port = num('--port');
    else if (a === '--host') opts.host = value();
    else if (a === '--schema') opts.schemaFile = value();
    else if (a === '--time-scale') opts.timeScale = num('--time-scale');
    else if (a === '--webhook-row-version') {
      const v = value();
      if (!ROW_VERSION_MODES.includes(v as RowVersionMode))
        throw new Error(`--webhook-row-version must be one of ${ROW_VERSION_MODES.join(', ')}, got "${v}".\n${USAGE}`);
      opts.webhookRowVersion = v as RowVersionMode;
    } else {
      process.stderr.write(`dvsync emulator dataverse: unknown option "${a}".\n${USAGE}`);
      return 2;
    }
  }
  const dv = await startDataverseEmulator(opts);
  process.stdout.write(`Dataverse emulator listening on port ${dv.port}\n`);
  for (const name of dv.environments.keys()) process.stdout.write(`  ${name}: ${dv.url(name)}\n`);
  process.stdout.write(`  default: ${dv.url()}\n  operator: ${dv.operatorUrl}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await dv.close();
  process.stdout.write('Dataverse emulator stopped.\n');
  return 0;
}
