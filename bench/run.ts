// `npm run bench [-- --quick] [-- --only=ack,revocation] [-- --runs=3] [-- --revoke-concurrency=50] [-- --cpu-prof] [-- --keep]`
//
// Measures jitbot beside the floor set by the libraries it stands on (a bare Bolt app, raw BullMQ),
// on a redis-server of its own: Slack ack latency, approval → access, revocation punctuality at
// 1k / 10k / 100k active grants, 10,000 simultaneous ends, recovery after a worker outage, footprint,
// and lifecycle throughput. Prints markdown tables and writes bench/results/<timestamp>.{md,json}.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { RedisServerProcess, findRedisServer, freePort, REDIS_INSTALL_HINT } from '../src/store/redis/redis-server-process.js';
import { approvalToAccess } from './scenarios/approval-to-access.js';
import { footprint } from './scenarios/footprint.js';
import { prepareRecovery, recovery } from './scenarios/recovery.js';
import { revocationPunctuality } from './scenarios/revocation-punctuality.js';
import { simultaneousEnds } from './scenarios/simultaneous-ends.js';
import { slackAck } from './scenarios/slack-ack.js';
import { throughput } from './scenarios/throughput.js';
import { BenchChild, REPO_ROOT, killAllChildren, runTsArgs } from './support/child-process.js';
import { FULL, QUICK, emptyResult, type BenchConfig, type BenchContext, type Scenario, type ScenarioResult } from './support/context.js';
import { profileInProcess } from './support/cpu-profile.js';
import { CpuAccount, describeMachine } from './support/machine.js';
import { info } from './support/redis-probe.js';
import { machineLines, markdownTable, renderMarkdown, targetTable, type BenchReport } from './support/report.js';
import { sleep } from './support/stats.js';
import { deleteByPrefix } from '../test/support/redis-keys.js';

const SCENARIOS: { id: string; title: string; run: Scenario }[] = [
  { id: 'ack', title: '1. Slack ack latency', run: slackAck },
  { id: 'approval', title: '2. Approval → access', run: approvalToAccess },
  { id: 'revocation', title: '3. Revocation punctuality at 1k / 10k / 100k active grants', run: revocationPunctuality },
  { id: 'simultaneous', title: '3b. Grants ending in the same second', run: simultaneousEnds },
  { id: 'recovery', title: '4. Recovery after a worker outage', run: recovery },
  { id: 'footprint', title: '5. Footprint', run: footprint },
  { id: 'throughput', title: '6. Throughput: full lifecycles with 2 workers', run: throughput },
];

/**
 * The order things run in. Recovery's outage (a minute with no worker) is filled with scenarios that
 * use other key prefixes; its measurement starts only once the outage is over. Footprint reads what
 * the revocation, ack and throughput scenarios left in `shared`, so it comes after them.
 */
const PLAN: { id: string; step: 'run' | 'prepare' | 'finish' }[] = [
  { id: 'ack', step: 'run' },
  { id: 'revocation', step: 'run' },
  { id: 'simultaneous', step: 'run' },
  { id: 'recovery', step: 'prepare' },
  { id: 'approval', step: 'run' },
  { id: 'throughput', step: 'run' },
  { id: 'footprint', step: 'run' },
  { id: 'recovery', step: 'finish' },
];

function parseArgs(argv: string[]): { config: BenchConfig; only: Set<string> | undefined; profile: boolean; keep: boolean; command: string } {
  const quick = argv.includes('--quick');
  const config: BenchConfig = structuredClone(quick ? QUICK : FULL);
  let only: Set<string> | undefined;
  const usage = (problem: string): never => {
    console.error(`${problem}; use --quick, --only=${SCENARIOS.map((s) => s.id).join(',')}, --runs=N, --revoke-concurrency=N, --cpu-prof, --keep`);
    process.exit(2);
  };
  const count = (name: string, value: string): number => (/^[1-9]\d{0,4}$/.test(value) ? Number(value) : usage(`${name} needs a whole number ≥ 1`));
  for (const arg of argv) {
    const [name, value] = arg.split('=');
    if (name === '--runs' && value) config.runs = count(name, value);
    else if (name === '--revoke-concurrency' && value) config.revokeConcurrency = count(name, value);
    else if (name === '--only' && value) only = new Set(value.split(','));
    else if (!['--quick', '--cpu-prof', '--keep'].includes(arg)) usage(`unknown argument ${arg}`);
  }
  for (const id of only ?? []) if (!SCENARIOS.some((s) => s.id === id)) usage(`--only: no scenario "${id}"`);
  const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  return { config, only, profile: argv.includes('--cpu-prof'), keep: argv.includes('--keep'), command };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!findRedisServer()) {
    console.error(REDIS_INSTALL_HINT);
    process.exit(1);
  }
  const started = new Date();
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const resultsDir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const outDir = path.join(resultsDir, stamp);
  if (args.profile) mkdirSync(outDir, { recursive: true });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'jitbot-bench-'));
  const log = (message: string) => console.log(`[${((Date.now() - started.getTime()) / 1000).toFixed(1).padStart(6)} s] ${message}`);
  const cpu = new CpuAccount();

  const redis = await RedisServerProcess.start({ dir: path.join(tmp, 'redis'), appendOnly: true, appendFsync: 'everysec' });
  cpu.track(redis.pid);
  // Nothing the benchmark started may outlive it, whatever way it ends.
  let redisStopped = false;
  process.on('exit', () => {
    killAllChildren();
    if (redis.pid && !redisStopped) {
      try {
        process.kill(redis.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  process.once('SIGTERM', () => process.exit(143));
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 2 });
  await admin.config('SET', 'slowlog-log-slower-than', '10000');
  await admin.config('SET', 'slowlog-max-len', '256');
  const machine = describeMachine((await info(admin, 'server')).get('redis_version') ?? 'unknown');
  log(`machine: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, Redis ${machine.redis}; load average ${machine.loadAverageAtStart.join(' ')}`);

  const sinkPort = await freePort();
  const sink = BenchChild.start({ name: 'slack-sink', args: runTsArgs('bench/support/slack-sink.ts'), env: { PORT: String(sinkPort) }, logFile: path.join(tmp, 'slack-sink.log'), cpu });
  await sink.waitForOutput(/listening/, 30_000);

  let prefixes = 0;
  const made: string[] = [];
  const deletePrefix = (prefix: string) => deleteByPrefix(admin, prefix);
  const ctx: BenchContext = {
    config: args.config,
    redis,
    redisUrl: redis.url,
    admin,
    tmp,
    cpu,
    sink: { url: `http://127.0.0.1:${sinkPort}`, child: sink },
    profile: args.profile,
    outDir,
    log,
    prefix: (label) => {
      const prefix = `b${++prefixes}${label}:`;
      made.push(prefix);
      return prefix;
    },
    retained: new Set(),
    deletePrefix,
    shared: {},
  };

  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    log('interrupted: finishing the current scenario, then writing what was measured');
  });
  const mode = args.profile ? 'profile' : args.config.quick ? 'quick' : 'full';
  log(`mode ${mode}; ${args.config.runs} runs per figure; scratch ${tmp}`);
  const byId = new Map<string, ScenarioResult>();
  const finishers = new Map<string, () => Promise<void>>();
  const clock = new Map<string, number>();
  const runStep = async (id: string, step: 'run' | 'prepare' | 'finish') => {
    const scenario = SCENARIOS.find((s) => s.id === id)!;
    const result = byId.get(id) ?? emptyResult(scenario.id, scenario.title);
    byId.set(id, result);
    if (result.status === 'failed') return;
    const t0 = Date.now();
    log(`${scenario.title}${step === 'run' ? '' : ` (${step})`}…`);
    const body = async () => {
      if (step === 'run') await scenario.run(ctx, result);
      else if (step === 'prepare') finishers.set(id, await prepareRecovery(ctx, result));
      else await finishers.get(id)?.();
    };
    try {
      if (args.profile) {
        const file = path.join(outDir, `${scenario.id}${step === 'run' ? '' : `-${step}`}.bench-process.cpuprofile`);
        const { summary } = await profileInProcess(file, body);
        result.tables.push({
          caption: `CPU profile of the benchmark process (in-process jitbot and baselines) during this scenario${step === 'run' ? '' : ` (${step})`}: self time by area (${path.relative(REPO_ROOT, file)})`,
          headers: ['area', 'ms', '%'],
          rows: summary.byArea.map((a) => [a.area, String(a.ms), String(a.percent)]),
        });
        result.tables.push({ caption: 'Hottest functions (self time)', headers: ['function', 'ms', '%'], rows: summary.topFunctions.slice(0, 15).map((f) => [f.fn, String(f.ms), String(f.percent)]) });
      } else {
        await body();
      }
    } catch (error) {
      result.status = 'failed';
      result.reason = error instanceof Error ? error.message.split('\n').slice(0, 6).join(' / ') : String(error);
      log(`  FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (step === 'prepare') finishers.delete(id);
    }
    clock.set(id, (clock.get(id) ?? 0) + (Date.now() - t0));
    result.seconds = Math.round((clock.get(id) ?? 0) / 100) / 10;
    if (step !== 'prepare') log(`  ${result.status} in ${result.seconds} s`);
    // Delete what this step made, except what a later step still needs.
    for (const prefix of made.splice(0)) {
      if (ctx.retained.has(prefix)) made.push(prefix);
      else await deletePrefix(prefix).catch(() => undefined);
    }
    if (ctx.retained.size === 0) await admin.flushall('SYNC').catch(() => undefined);
    await sleep(200);
  };
  for (const { id, step } of PLAN) {
    if (args.only && !args.only.has(id)) continue;
    if (interrupted && step !== 'finish') continue;
    await runStep(id, step);
  }
  const results = SCENARIOS.flatMap((s) => (byId.has(s.id) ? [byId.get(s.id)!] : []));

  machine.loadAverageAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  await sink.stop();
  cpu.charge(redis.pid);
  machine.cpu = cpu.finish();
  admin.disconnect();
  await redis.stop();
  redisStopped = true;
  if (!args.keep) rmSync(tmp, { recursive: true, force: true });
  else log(`kept ${tmp}`);

  const finished = new Date();
  const report: BenchReport = {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    seconds: (finished.getTime() - started.getTime()) / 1000,
    command: args.command,
    mode,
    config: args.config,
    machine,
    scenarios: results,
  };
  const markdown = renderMarkdown(report);
  writeFileSync(path.join(resultsDir, `${stamp}.md`), markdown);
  writeFileSync(path.join(resultsDir, `${stamp}.json`), JSON.stringify(report, null, 2));
  console.log(`\n${machineLines(machine).join('\n')}\n`);
  for (const scenario of results) {
    console.log(`\n## ${scenario.title}${scenario.status !== 'ok' ? ` — ${scenario.status}: ${scenario.reason ?? ''}` : ''}\n`);
    for (const table of scenario.tables) console.log(`${markdownTable(table)}\n`);
    for (const note of scenario.notes) console.log(`- ${note}`);
  }
  console.log(`\n## Targets\n\n${markdownTable(targetTable(results))}\n`);
  console.log(`wrote bench/results/${stamp}.md and .json (${Math.round(report.seconds)} s)`);
  process.exit(results.some((r) => r.status === 'failed') ? 1 : 0);
}

await main();
