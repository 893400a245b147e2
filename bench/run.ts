/**
 * `npm run bench [-- --json] [-- --time-scale X] [-- --only a,b]`: the write strategies side by side
 * against the Dataverse emulator (real limits, default cost model), each from a reset, identically
 * seeded state; then the emulator-overhead check and the other benchmarks in bench/. Rates are in
 * model time (real seconds ÷ timeScale), comparable with real Dataverse figures. With --json the
 * last line of the output is one JSON document.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { AzuriteProcess } from './azurite';
import { runConditionBench } from './conditions';
import { ceilingRecordsPerSecond } from './ceiling';
import { EmulatorProcess, type Counters } from './emulator';
import { overheadCheck } from './overhead';
import { batch100, perRecord } from './strategies/baselines';
import { runEngine } from './strategies/engine';
import { verify } from './verify';
import { buildWorkload, expectedState, subset, type BenchRecord, type Workload } from './workload';

export interface StrategyResult {
  strategy: string;
  appUsers: number;
  /** The emulator's time scale for this strategy (rates are in model time either way). */
  timeScale: number;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  requests: number;
  throttled: number;
  retries: number;
  lost: number;
  duplicated: number;
  wrong: number;
  ceilingRecordsPerSecond: number;
  ratioToCeiling: number;
}

interface Strategy {
  name: string;
  users: number;
  /** Groups of the workload it runs (the slow baselines take a subset). */
  groups?: number;
  /** The engine strategies run at --engine-time-scale (their client, ledger and engine CPU is real time). */
  engine?: boolean;
  run(records: BenchRecord[], ctx: { apiUrl: string; storage: string; timeScale: number; runId: string }): Promise<{ retries?: number }>;
}

const STRATEGIES: Strategy[] = [
  { name: 'per-record', users: 1, groups: 2, run: async (r, c) => ({ retries: (await perRecord(r, c.apiUrl, 1, c.timeScale)).retries }) },
  { name: 'per-record-dop20', users: 1, run: async (r, c) => ({ retries: (await perRecord(r, c.apiUrl, 20, c.timeScale)).retries }) },
  { name: 'batch100', users: 1, groups: 2, run: async (r, c) => ({ retries: (await batch100(r, c.apiUrl, c.timeScale)).retries }) },
  { name: 'engine', users: 1, engine: true, run: (r, c) => engineRun(r, c, 1) },
  { name: 'engine-x4', users: 4, engine: true, run: (r, c) => engineRun(r, c, 4) },
];

async function engineRun(records: BenchRecord[], c: { apiUrl: string; storage: string; runId: string }, users: number): Promise<{ retries?: number }> {
  const tally = await runEngine(records, {
    apiUrl: c.apiUrl,
    storage: c.storage,
    users,
    messagesPerCall: 150,
    callsInFlight: 16 * users,
    ledgerTable: `benchledger${c.runId}`,
  });
  if (tally.failed > 0)
    process.stderr.write(`engine: ${tally.failed} records failed, e.g. ${tally.failures.map((f) => `${f.reason}: ${f.detail}`).join(' | ')}\n`);
  return {};
}

interface Args {
  json: boolean;
  /** Baselines (few, slow requests: little client CPU per model second). */
  timeScale: number;
  /** Engine strategies: 19,980 records through the engine, the ledger and Azurite in real CPU time. */
  engineTimeScale: number;
  only?: Set<string>;
}

function parseArgs(argv: string[]): Args {
  const out: Args = { json: false, timeScale: 0.2, engineTimeScale: 0.5 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') out.json = true;
    else if (argv[i] === '--time-scale') {
      out.timeScale = Number(argv[++i]);
      if (!(out.timeScale > 0)) throw new Error('--time-scale needs a positive number (e.g. 0.2).');
    } else if (argv[i] === '--engine-time-scale') {
      out.engineTimeScale = Number(argv[++i]);
      if (!(out.engineTimeScale > 0)) throw new Error('--engine-time-scale needs a positive number (e.g. 0.5).');
    } else if (argv[i] === '--only') out.only = new Set((argv[++i] ?? '').split(','));
    else throw new Error(`bench: unknown option "${argv[i]}" (known: --json, --time-scale X, --engine-time-scale X, --only a,b).`);
  }
  return out;
}

async function measure(s: Strategy, w: Workload, emulator: EmulatorProcess, storage: string, timeScale: number, runId: string): Promise<StrategyResult> {
  const records = s.groups ? subset(w, s.groups) : w.records;
  await emulator.resetAndSeed(w, timeScale);
  const t0 = performance.now();
  const { retries } = await s.run(records, { apiUrl: emulator.apiUrl(), storage, timeScale, runId });
  const seconds = (performance.now() - t0) / 1000 / timeScale;
  const counters: Counters = await emulator.counters();
  const verdict = verify(expectedState(records), await emulator.rows());
  if (verdict.examples.length) process.stderr.write(`${s.name}: ${verdict.examples.join('; ')}\n`);
  const throttled = Object.values(counters.throttledByCode).reduce((a, b) => a + b, 0);
  const errors5xx = Object.entries(counters.responsesByStatus)
    .filter(([k]) => k.startsWith('5'))
    .reduce((a, [, n]) => a + n, 0);
  const writes = new Set(records.map((r) => (r.kind === 'account' ? `a/${r.number}` : `c/${r.externalId}`))).size;
  const ceiling = ceilingRecordsPerSecond(records.length, writes, s.users);
  const rate = records.length / seconds;
  return {
    strategy: s.name,
    appUsers: s.users,
    timeScale,
    records: records.length,
    seconds: round(seconds, 1),
    recordsPerSecond: round(rate, 1),
    requests: counters.requests,
    throttled,
    retries: retries ?? throttled + errors5xx,
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    wrong: verdict.wrong,
    ceilingRecordsPerSecond: round(ceiling, 1),
    ratioToCeiling: round(rate / ceiling, 3),
  };
}

function round(n: number, d: number): number {
  return Math.round(n * 10 ** d) / 10 ** d;
}

function table(results: StrategyResult[]): string {
  const cols: Array<[string, (r: StrategyResult) => string]> = [
    ['strategy', (r) => r.strategy],
    ['users', (r) => String(r.appUsers)],
    ['scale', (r) => String(r.timeScale)],
    ['records', (r) => String(r.records)],
    ['model s', (r) => r.seconds.toFixed(1)],
    ['rec/s', (r) => r.recordsPerSecond.toFixed(1)],
    ['requests', (r) => String(r.requests)],
    ['429s', (r) => String(r.throttled)],
    ['retries', (r) => String(r.retries)],
    ['lost', (r) => String(r.lost)],
    ['dup', (r) => String(r.duplicated)],
    ['wrong', (r) => String(r.wrong)],
    ['ceiling', (r) => r.ceilingRecordsPerSecond.toFixed(1)],
    ['of ceiling', (r) => `${(r.ratioToCeiling * 100).toFixed(1)}%`],
  ];
  const rows = [cols.map(([h]) => h), ...results.map((r) => cols.map(([, f]) => f(r)))];
  const widths = cols.map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const w = buildWorkload();
  const accounts = w.records.filter((r) => r.kind === 'account').length;
  const workload = {
    records: w.records.length,
    accounts,
    contacts: w.records.length - accounts,
    existingRowsSeeded: w.existing,
    unchangedRepeats: w.repeats,
    lookups: 'contact.parentcustomerid → account by accountnumber',
  };
  log(
    `Dataverse write strategies: ${workload.records} records (${accounts} accounts, ${workload.contacts} contacts; ${w.existing} rows pre-exist and get updated; ${w.repeats} unchanged repeats)`,
  );
  log(
    `Emulator: default limits (6,000 requests and 1,200,000 ms execution per user per 300 s, 52 concurrent, x-ms-dop-hint 4) and default cost model; timeScale ${args.timeScale} for the baselines, ${args.engineTimeScale} for the engine strategies.`,
  );
  log(
    `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}. Rates are in model time (real seconds ÷ timeScale), comparable with real Dataverse.`,
  );
  const emulator = await EmulatorProcess.start(args.timeScale);
  const azurite = await AzuriteProcess.start().catch(async (err: unknown) => {
    await emulator.close();
    throw err;
  });
  const results: StrategyResult[] = [];
  let overhead;
  try {
    let n = 0;
    for (const s of STRATEGIES) {
      if (args.only && !args.only.has(s.name)) continue;
      log(`running ${s.name}…`);
      results.push(
        await measure(s, w, emulator, azurite.connectionString, s.engine ? args.engineTimeScale : args.timeScale, `${Date.now().toString(36)}${n++}`),
      );
    }
    log(`\n${table(results)}\n`);
    const engine = results.find((r) => r.strategy === 'engine');
    const perRec = results.find((r) => r.strategy === 'per-record');
    if (engine && perRec) log(`engine / per-record: ${(engine.recordsPerSecond / perRec.recordsPerSecond).toFixed(1)}×`);
    if (!args.only || args.only.has('overhead')) {
      overhead = await overheadCheck(emulator, w);
      log(
        `Emulator overhead check (bulk upsert by key, ${overhead.requests} × ${overhead.recordsPerRequest} records, ${overhead.inFlight} in flight, timeScale ${overhead.timeScale}): measured ${overhead.measuredRecordsPerSecond.toFixed(1)} rec/s vs model ${overhead.predictedRecordsPerSecond.toFixed(1)} rec/s = ${(overhead.ratio * 100).toFixed(1)}% (${overhead.withinTenPercent ? 'within' : 'NOT within'} 10%)`,
      );
    }
  } finally {
    await emulator.close();
    await azurite.close();
  }
  const conditions = !args.only || args.only.has('conditions') ? runConditionBench(50_000) : [];
  if (conditions.length) log(`\nTrigger conditions: ${conditions.map((c) => `${c.name} ${(c.nsPerEvaluation / 1000).toFixed(2)} µs`).join(', ')}`);
  const sbScript = join(__dirname, 'servicebus.js');
  let serviceBus: string | undefined;
  if ((!args.only || args.only.has('servicebus')) && existsSync(sbScript)) {
    const r = spawnSync(process.execPath, [sbScript], { encoding: 'utf8', timeout: 300_000 });
    serviceBus = (r.stdout || r.stderr || '').trim();
    log(`\nService Bus (bench/servicebus.ts):\n${serviceBus}`);
  }
  if (args.json)
    log(
      JSON.stringify({
        timeScale: args.timeScale,
        engineTimeScale: args.engineTimeScale,
        rates: 'model time (real seconds / timeScale)',
        machine: { cores: cpus().length, node: process.version },
        workload,
        results,
        overhead,
        conditions,
        serviceBus,
      }),
    );
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
