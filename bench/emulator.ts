/** The Dataverse emulator as a child process (its CPU work stays off the client's event loop), driven through its operator endpoints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Workload } from './workload';

const CLI = join(__dirname, '..', 'cli', 'dvsync.js');

export interface Counters {
  requests: number;
  responsesByStatus: Record<string, number>;
  throttledByCode: Record<string, number>;
  operations: Record<string, number>;
}

export class EmulatorProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(timeScale: number): Promise<EmulatorProcess> {
    const child = spawn(process.execPath, [...process.execArgv, CLI, 'emulator', 'dataverse', '--port', '0', '--time-scale', String(timeScale)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on port (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`The Dataverse emulator exited (code ${code}) before listening: ${out}`)));
    });
    return new EmulatorProcess(child, port, mkdtempSync(join(tmpdir(), 'dvsync-bench-')));
  }

  apiUrl(env = 'target'): string {
    return `http://127.0.0.1:${this.port}/${env}/api/data/v9.2/`;
  }

  private async operator(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`http://127.0.0.1:${this.port}/_emulator/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Emulator operator ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text);
  }

  /** Fresh state, seeded identically for every strategy. */
  async resetAndSeed(w: Workload, timeScale: number): Promise<void> {
    await this.operator('POST', 'reset');
    await this.operator('PATCH', 'config', { timeScale });
    await this.operator('POST', 'environments/target/tables/account/rows', w.seed.account);
    await this.operator('POST', 'environments/target/tables/contact/rows', w.seed.contact);
  }

  counters(): Promise<Counters> {
    return this.operator('GET', 'counters') as Promise<Counters>;
  }

  /** Every row of the target environment, read through POST /_emulator/state/save (no cost, no limits). */
  async rows(): Promise<Record<string, Array<Record<string, unknown>>>> {
    const file = join(this.dir, 'state.json');
    await this.operator('POST', 'state/save', { file });
    const state = JSON.parse(readFileSync(file, 'utf8')) as { environments: Record<string, { rows: Record<string, Array<Record<string, unknown>>> }> };
    return state.environments.target.rows;
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
