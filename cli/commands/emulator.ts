/**
 * `dvsync emulator <servicebus|dataverse|azurite> [options]`: start one emulator in the foreground.
 * Each emulator folder exports `runCli(argv)`; this file only dispatches.
 */
const emulators: Record<string, () => Promise<{ runCli(argv: string[]): Promise<number> }>> = {
  azurite: () => import('../../emulators/azurite'),
  servicebus: () => import('../../emulators/servicebus/cli'),
  dataverse: () => import('../../emulators/dataverse/cli'),
};

export async function run(argv: string[]): Promise<number> {
  const [which, ...rest] = argv;
  const load = which ? emulators[which] : undefined;
  if (!load) {
    process.stderr.write(`dvsync emulator: expected one of ${Object.keys(emulators).join(', ') || '(none built yet)'}, got "${which ?? ''}".\n`);
    return 2;
  }
  return (await load()).runCli(rest);
}
