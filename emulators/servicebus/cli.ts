/** `dvsync emulator servicebus [--port N] [--config FILE] [--auto-create]`: run the emulator in the foreground. */
import { startServiceBusEmulator } from './index';

const USAGE = `Usage: dvsync emulator servicebus [--port N] [--host ADDR] [--config FILE] [--auto-create]

  --port N        TCP port (default 5672; 0 = any free port)
  --host ADDR     listen address (default 127.0.0.1)
  --config FILE   queues file: {"queues": [...]} or the official emulator's Config.json
                  (default: emulators/servicebus/queues.json)
  --auto-create   create unknown queues on first use
State is in memory: stopping the emulator loses every message.
`;

export async function runCli(argv: string[]): Promise<number> {
  let port = 5672;
  let host: string | undefined;
  let configFile: string | undefined;
  let autoCreateQueues = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value.\n\n${USAGE}`);
      return v;
    };
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      return 0;
    } else if (arg === '--port') {
      const v = value();
      port = Number(v);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        process.stderr.write(`dvsync emulator servicebus: --port must be an integer 0-65535, got "${v}".\n`);
        return 2;
      }
    } else if (arg === '--host') host = value();
    else if (arg === '--config') configFile = value();
    else if (arg === '--auto-create') autoCreateQueues = true;
    else {
      process.stderr.write(`dvsync emulator servicebus: unknown option "${arg}".\n\n${USAGE}`);
      return 2;
    }
  }
  const emulator = await startServiceBusEmulator({ port, host, configFile, autoCreateQueues });
  process.stdout.write(
    `Service Bus emulator listening on ${host ?? '127.0.0.1'}:${emulator.port}\n` +
      `Queues: ${emulator.queues.map((q) => q.name).join(', ')}\n` +
      `Connection string: ${emulator.connectionString}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await emulator.close();
  process.stdout.write('Service Bus emulator stopped.\n');
  return 0;
}
