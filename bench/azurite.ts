/**
 * Azurite (ledger storage) as a child process (`dvsync emulator azurite` on free ports), so its query
 * work stays off the engine's event loop, as real Table Storage would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(__dirname, '..', 'cli', 'dvsync.js');

export class AzuriteProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly connectionString: string,
  ) {}

  static async start(): Promise<AzuriteProcess> {
    const child = spawn(process.execPath, [...process.execArgv, CLI, 'emulator', 'azurite', '--table-port', '0', '--blob-port', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const connectionString = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /AzureWebJobsStorage=(\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`Azurite exited (code ${code}) before printing its connection string: ${out}`)));
    });
    return new AzuriteProcess(child, connectionString);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}
