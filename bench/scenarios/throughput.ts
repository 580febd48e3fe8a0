import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BenchChild, runTsArgs } from '../support/child-process.js';
import type { Scenario } from '../support/context.js';
import { APPROVER, REQUESTERS, RESOURCE, TimingIssuer, personActor, startInProcess } from '../support/engine.js';
import { startJitbotProcess, type JitbotProcess } from '../support/jitbot-process.js';
import { beginRedisWindow, endRedisWindow, redisWindowTables, type RedisWindow } from '../support/redis-probe.js';
import { formatCount, formatRatio, median, pollUntil, ratio } from '../support/stats.js';

/**
 * Throughput: whole lifecycles per second (request → approve → issue → window → revoke) with two
 * real `jitbot worker` processes; this process plays the web side, calling the use cases with a
 * bounded number in flight. Figure: lifecycles ÷ (first request → last grant expired − one window):
 * the policy's lowest allowed duration is 10 s, and every lifecycle waits out its window in parallel.
 * Baseline: two plain BullMQ worker processes doing the same hops with no-op work (an issue job whose
 * processor adds a delayed revoke job), fed with the same number in flight.
 */
export const throughput: Scenario = async (ctx, result) => {
  const { lifecycles: L, inFlight, windowMs, rawWindowMs } = ctx.config.throughput;
  const runs = ctx.config.throughput.runs ?? ctx.config.runs;
  const prefix = ctx.prefix('thru');
  const slack = ctx.shared.slackAvailable !== false;
  const workers: JitbotProcess[] = [];
  const jitbotRates: number[] = [];
  const rawRates: number[] = [];
  let window: RedisWindow | undefined;
  let rawWindow: RedisWindow | undefined;
  const producer = await startInProcess({ redisUrl: ctx.redisUrl, prefix, dataDir: ctx.tmp, worker: false, issuer: new TimingIssuer() });
  try {
    const started = await Promise.allSettled([1, 2].map((n) => startJitbotProcess(ctx, { command: 'worker', prefix, slack, name: `throughput-worker-${n}` })));
    for (const s of started) if (s.status === 'fulfilled') workers.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const expiredKey = `${prefix}idx:status:expired`;
    const duration = `${Math.max(1, Math.round(windowMs / 1000))}s`;
    for (let run = 0; run < runs; run++) {
      const before = await ctx.admin.zcard(expiredKey);
      if (run === 0) await beginRedisWindow(ctx.admin, ctx.profile);
      const t0 = performance.now();
      let next = 0;
      let failed = 0;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          for (;;) {
            const i = next++;
            if (i >= L) return;
            try {
              const { request } = await producer.core.requestAccess({ actor: personActor(REQUESTERS[i % REQUESTERS.length]!), resource: RESOURCE, duration, reason: `throughput ${i}` });
              await producer.core.approve(personActor(APPROVER), request.id);
            } catch {
              failed++;
            }
          }
        }),
      );
      const submitted = performance.now();
      const done = await pollUntil(async () => (await ctx.admin.zcard(expiredKey)) - before >= L - failed, 300_000, 50);
      const elapsed = (performance.now() - t0) / 1000;
      if (run === 0) window = await endRedisWindow(ctx.admin, L, ctx.profile);
      jitbotRates.push((L - failed) / (elapsed - windowMs / 1000));
      if (failed) result.notes.push(`Run ${run + 1}: ${failed} requests or approvals failed.`);
      if (!done) result.notes.push(`Run ${run + 1}: not every lifecycle finished within 5 minutes.`);
      ctx.log(`  run ${run + 1}: ${formatCount(L)} lifecycles in ${elapsed.toFixed(1)} s (window included) = ${formatCount(jitbotRates[run]!, 1)}/s; submitted in ${((submitted - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    for (const worker of workers) await worker.child.stop();
    await producer.stop();
  }

  // Baseline: raw BullMQ with two worker processes.
  const rawPrefix = `${ctx.prefix('rawthru')}bull`;
  const raws: BenchChild[] = [];
  const connection = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('issue', { connection, prefix: rawPrefix });
  try {
    for (let i = 0; i < 2; i++) {
      raws.push(
        BenchChild.start({
          name: `raw-worker-${i + 1}`,
          args: runTsArgs('bench/support/raw-worker.ts'),
          env: { REDIS_URL: ctx.redisUrl, BULL_PREFIX: rawPrefix, WINDOW_MS: String(rawWindowMs) },
          logFile: path.join(ctx.tmp, `raw-worker-${i + 1}-${Date.now()}.log`),
          cpu: ctx.cpu,
        }),
      );
    }
    await Promise.all(raws.map((child) => child.waitForOutput(/raw-worker ready/, 60_000)));
    ctx.shared.rawWorkerRss = raws[0]!.memory();
    const counter = `${rawPrefix}:lifecycles-done`;
    for (let run = 0; run < runs; run++) {
      await ctx.admin.del(counter);
      if (run === 0) await beginRedisWindow(ctx.admin, ctx.profile);
      const t0 = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          for (;;) {
            const i = next++;
            if (i >= L) return;
            // Two round trips, as request + approve are two writes.
            await ctx.admin.incr(`${rawPrefix}:ids`);
            await queue.add('issue', { requestId: `JIT-${run}-${i}` }, { jobId: `issue-${run}-${i}`, attempts: 1_000_000, removeOnComplete: true, removeOnFail: true });
          }
        }),
      );
      await pollUntil(async () => Number(await ctx.admin.get(counter)) >= L, 300_000, 50);
      const elapsed = (performance.now() - t0) / 1000;
      if (run === 0) rawWindow = await endRedisWindow(ctx.admin, L, ctx.profile);
      rawRates.push(L / (elapsed - rawWindowMs / 1000));
    }
  } finally {
    for (const child of raws) await child.stop();
    await queue.close();
    connection.disconnect();
  }

  const j = median(jitbotRates);
  const b = median(rawRates);
  result.tables.push({
    caption: `${formatCount(L)} lifecycles, ${inFlight} in flight, ${windowMs / 1000} s windows, 2 worker processes (median of ${runs} run${runs === 1 ? '' : 's'})`,
    headers: ['', 'jitbot', 'raw BullMQ (issue job → delayed revoke job, no-op; 2 processes)', 'jitbot ÷ raw'],
    rows: [['lifecycles per second', formatCount(j, 1), formatCount(b, 1), formatRatio(ratio(j, b))]],
  });
  if (window && rawWindow) {
    result.tables[0]!.rows.push([
      'Redis CPU per lifecycle (INFO cpu, run 1)',
      `${formatCount(window.cpuMicrosPerUnit)} µs`,
      `${formatCount(rawWindow.cpuMicrosPerUnit)} µs`,
      formatRatio(ratio(window.cpuMicrosPerUnit, rawWindow.cpuMicrosPerUnit)),
    ]);
    result.tables.push(...redisWindowTables(window, 'lifecycle', 'jitbot, run 1'));
  }
  result.notes.push(
    `Rate = lifecycles ÷ (first request → last grant expired − one window, which every lifecycle waits out in parallel). jitbot's window is ${windowMs / 1000} s, the shortest a policy allows; the baseline's is ${rawWindowMs / 1000} s (its rate has the window taken out just the same, so it need not wait as long).`,
    `Workers: real \`jitbot worker\` processes${slack ? ' with the Slack adapter posting cards and DMs to the sink' : ' (no chat platform: notifications have no notifier)'}; issuer \`none\`.`,
  );
  result.raw = { lifecycles: L, inFlight, windowMs, rawWindowMs, runs, jitbotPerSecond: jitbotRates, rawPerSecond: rawRates, redis: window, rawRedis: rawWindow };
};
