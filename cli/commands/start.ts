/**
 * `dvsync start` (`npm start`): the whole local stack in this process until Ctrl-C or SIGTERM.
 * Prints every endpoint and the settings a client would use, then the line
 * "dvsync local stack ready" (tests and scripts wait for it).
 */
import { parseStackArgs, stackUsage, UsageError, type StackPorts } from '../../emulators/stack/options';

export const READY_LINE = 'dvsync local stack ready';

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(stackUsage());
    return 0;
  }
  let parsed;
  try {
    parsed = parseStackArgs(argv, process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`dvsync start: ${err.message}\n\n${stackUsage()}`);
    return 2;
  }
  const { startStack } = await import('../../emulators/stack');
  const began = Date.now();
  const ports: Partial<StackPorts> = { ...parsed.ports };
  if (!parsed.explicit.has('functions')) delete ports.functions;
  let stack;
  try {
    stack = await startStack({ ports, appDir: parsed.appDir });
  } catch (err) {
    process.stderr.write(`dvsync start: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`${stack.summary.join('\n')}\n${READY_LINE} in ${Date.now() - began} ms. Press Ctrl-C to stop.\n`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  process.stdout.write(`dvsync start: ${signal} received, stopping...\n`);
  // A second signal while stopping means "now": exit without waiting for in-flight work.
  const force = () => process.exit(130);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  await stack.close();
  process.stdout.write('dvsync start: stopped.\n');
  return 0;
}
