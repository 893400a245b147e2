/**
 * Service Bus emulator throughput on loopback through the real @azure/service-bus SDK: batched send
 * of N messages, then peek-lock receive (500 at a time) and complete of all of them. The emulator
 * runs in its own process (`dvsync emulator servicebus`), so client and broker do not share one
 * event loop, as with the real service. Each round starts a fresh emulator; the median is reported.
 *
 * Run: `node dist/bench/servicebus.js [count] [--rounds R] [--baseline-rev GIT_REV] [--json]`.
 * `--baseline-rev` also runs the emulator as it was at that commit (transpiled to a temp dir),
 * alternating rounds with the current one, so before and after share the same machine load.
 * Target: >= 5,000 msg/s end to end. Exit code 1 when the current emulator's median misses it.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';

export const TARGET_MESSAGES_PER_SECOND = 5000;
const REPO = join(__dirname, '..', '..');
const CLI = join(REPO, 'dist', 'cli', 'dvsync.js');

export interface ServiceBusBenchResult {
  messages: number;
  sendMs: number;
  receiveCompleteMs: number;
  /** End to end: send phase plus receive-and-complete phase. */
  messagesPerSecond: number;
  sendPerSecond: number;
  receiveCompletePerSecond: number;
  /** Emulator process CPU (user + system) per message during the round, in µs; undefined off Linux. */
  brokerCpuMicrosPerMessage?: number;
}

export interface ServiceBusBenchSummary {
  label: string;
  rounds: ServiceBusBenchResult[];
  median: { messagesPerSecond: number; sendPerSecond: number; receiveCompletePerSecond: number; brokerCpuMicrosPerMessage?: number };
}

/** How to start one emulator process: argv after `node`, and extra environment. */
interface BrokerCommand {
  label: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

const currentBroker: BrokerCommand = { label: 'current', args: [CLI, 'emulator', 'servicebus', '--port', '0', '--auto-create'] };

interface BrokerProcess {
  connectionString: string;
  /** CPU time the process has used so far, in ms (Linux /proc; undefined elsewhere). */
  cpuMs(): number | undefined;
  stop(): Promise<void>;
}

async function startBroker(cmd: BrokerCommand): Promise<BrokerProcess> {
  const child: ChildProcess = spawn(process.execPath, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...cmd.env } });
  let out = '';
  const connectionString = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /Connection string: (\S+)/.exec(out);
      if (m) resolve(m[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the ${cmd.label} Service Bus emulator exited (code ${code}) before listening: ${out}`)));
  });
  return {
    connectionString,
    cpuMs: () => processCpuMs(child.pid),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** utime + stime of a process from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 10 ms). */
function processCpuMs(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** One measured round against an emulator at `connectionString` (queue `bench`, auto-created). */
export async function runRound(connectionString: string, count: number): Promise<ServiceBusBenchResult> {
  const client = new ServiceBusClient(connectionString);
  try {
    const sender = client.createSender('bench');
    const t0 = performance.now();
    let batch = await sender.createMessageBatch();
    for (let i = 0; i < count; i++) {
      const msg = { body: { id: i, entity: 'account', op: 'upsert' }, applicationProperties: { source: 'bench' } };
      if (!batch.tryAddMessage(msg)) {
        await sender.sendMessages(batch);
        batch = await sender.createMessageBatch();
        batch.tryAddMessage(msg);
      }
    }
    if (batch.count > 0) await sender.sendMessages(batch);
    const t1 = performance.now();

    const receiver = client.createReceiver('bench', { maxAutoLockRenewalDurationInMs: 0 });
    let done = 0;
    while (done < count) {
      const got = await receiver.receiveMessages(Math.min(500, count - done), { maxWaitTimeInMs: 5000 });
      if (got.length === 0) throw new Error(`bench: queue ran dry after ${done} of ${count} messages`);
      await Promise.all(got.map((m) => receiver.completeMessage(m)));
      done += got.length;
    }
    const t2 = performance.now();
    const leftOver = await receiver.peekMessages(1);
    if (leftOver.length > 0) throw new Error(`bench: a message is still in the queue after completing all ${count}`);
    return {
      messages: count,
      sendMs: Math.round(t1 - t0),
      receiveCompleteMs: Math.round(t2 - t1),
      messagesPerSecond: Math.round(count / ((t2 - t0) / 1000)),
      sendPerSecond: Math.round(count / ((t1 - t0) / 1000)),
      receiveCompletePerSecond: Math.round(count / ((t2 - t1) / 1000)),
    };
  } finally {
    await client.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : Math.round((s[s.length / 2 - 1] + s[s.length / 2]) / 2);
};

function summarize(label: string, rounds: ServiceBusBenchResult[]): ServiceBusBenchSummary {
  return {
    label,
    rounds,
    median: {
      messagesPerSecond: median(rounds.map((r) => r.messagesPerSecond)),
      sendPerSecond: median(rounds.map((r) => r.sendPerSecond)),
      receiveCompletePerSecond: median(rounds.map((r) => r.receiveCompletePerSecond)),
      brokerCpuMicrosPerMessage: rounds.every((r) => r.brokerCpuMicrosPerMessage !== undefined)
        ? median(rounds.map((r) => r.brokerCpuMicrosPerMessage as number))
        : undefined,
    },
  };
}

/**
 * The emulator as committed at `rev`, transpiled (no type check) into a temp dir and started via its
 * own `runCli`; dependencies resolve from this repository's node_modules.
 */
function baselineBroker(rev: string): { broker: BrokerCommand; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'dvsync-sb-baseline-'));
  const src = join(dir, 'src');
  mkdirSync(src);
  const tar = execFileSync('git', ['-C', REPO, 'archive', rev, 'emulators/servicebus'], { maxBuffer: 64 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', src], { input: tar });
  // Loaded only when this benchmark compiles the emulator, so not a top-level import.
  // eslint-disable-next-line @typescript-eslint/no-require-imports, @typescript-eslint/consistent-type-imports
  const ts = require('typescript') as typeof import('typescript');
  const from = join(src, 'emulators', 'servicebus');
  const to = join(dir, 'servicebus');
  mkdirSync(to);
  for (const file of readdirSync(from)) {
    if (file.endsWith('.ts')) {
      const { outputText } = ts.transpileModule(readFileSync(join(from, file), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      });
      writeFileSync(join(to, file.replace(/\.ts$/, '.js')), outputText);
    } else if (file.endsWith('.json')) copyFileSync(join(from, file), join(to, file));
  }
  const entry = join(to, 'cli.js');
  return {
    broker: {
      label: `baseline ${rev}`,
      args: [
        '-e',
        `require(${JSON.stringify(entry)}).runCli(process.argv.slice(1)).then((c) => { process.exitCode = c; })`,
        '--',
        '--port',
        '0',
        '--auto-create',
      ],
      env: { NODE_PATH: join(REPO, 'node_modules') },
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function runServiceBusBench(count = 10_000, rounds = 3, baselineRev?: string): Promise<ServiceBusBenchSummary[]> {
  const baseline = baselineRev ? baselineBroker(baselineRev) : undefined;
  const brokers = baseline ? [baseline.broker, currentBroker] : [currentBroker];
  const results = new Map<string, ServiceBusBenchResult[]>(brokers.map((b) => [b.label, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so neither always meets the warmer (or busier) machine.
      const order = round % 2 ? [...brokers].reverse() : brokers;
      for (const cmd of order) {
        const broker = await startBroker(cmd);
        try {
          const cpuBefore = broker.cpuMs();
          const result = await runRound(broker.connectionString, count);
          const cpuAfter = broker.cpuMs();
          if (cpuBefore !== undefined && cpuAfter !== undefined) result.brokerCpuMicrosPerMessage = Math.round(((cpuAfter - cpuBefore) * 1000) / count);
          results.get(cmd.label)?.push(result);
        } finally {
          await broker.stop();
        }
      }
    }
  } finally {
    baseline?.cleanup();
  }
  return brokers.map((b) => summarize(b.label, results.get(b.label) ?? []));
}

function parseArgs(argv: string[]): { count: number; rounds: number; baselineRev?: string; json: boolean } {
  const out = { count: 10_000, rounds: 3, baselineRev: undefined as string | undefined, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const int = (name: string, v: string | undefined) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${v}"`);
      return n;
    };
    if (a === '--rounds') out.rounds = int('--rounds', argv[++i]);
    else if (a === '--baseline-rev') {
      out.baselineRev = argv[++i];
      if (!out.baselineRev) throw new Error('--baseline-rev needs a git revision (e.g. HEAD~1)');
    } else if (a === '--json') out.json = true;
    else if (/^\d+$/.test(a)) out.count = int('count', a);
    else throw new Error(`unknown argument "${a}"; usage: servicebus.js [count] [--rounds R] [--baseline-rev REV] [--json]`);
  }
  return out;
}

function table(summaries: ServiceBusBenchSummary[]): string {
  const lines = ['emulator                 | end-to-end msg/s | send msg/s | receive+complete msg/s | emulator CPU µs/msg | rounds (end-to-end)'];
  for (const s of summaries) {
    lines.push(
      `${s.label.padEnd(24)} | ${String(s.median.messagesPerSecond).padStart(16)} | ${String(s.median.sendPerSecond).padStart(10)} | ${String(s.median.receiveCompletePerSecond).padStart(22)} | ${String(s.median.brokerCpuMicrosPerMessage ?? 'n/a').padStart(19)} | ${s.rounds.map((r) => r.messagesPerSecond).join(', ')}`,
    );
  }
  return lines.join('\n');
}

if (require.main === module) {
  (async () => {
    const args = parseArgs(process.argv.slice(2));
    const summaries = await runServiceBusBench(args.count, args.rounds, args.baselineRev);
    const current = summaries[summaries.length - 1];
    process.stdout.write(`Service Bus emulator, ${args.count} messages, median of ${args.rounds} rounds (emulator in its own process):\n${table(summaries)}\n`);
    process.stdout.write(
      `target >= ${TARGET_MESSAGES_PER_SECOND} msg/s end to end: ${current.median.messagesPerSecond >= TARGET_MESSAGES_PER_SECOND ? 'met' : 'NOT met'}\n`,
    );
    if (args.json) process.stdout.write(`${JSON.stringify(summaries)}\n`);
    process.exitCode = current.median.messagesPerSecond >= TARGET_MESSAGES_PER_SECOND ? 0 : 1;
  })().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
