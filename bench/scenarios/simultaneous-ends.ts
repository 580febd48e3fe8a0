import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Scenario } from '../support/context.js';
import { TimingIssuer, seedActiveGrants, startInProcess } from '../support/engine.js';
import { beginRedisWindow, endRedisWindow, redisWindowTables, type RedisWindow } from '../support/redis-probe.js';
import { formatCount, formatMs, formatRatio, median, pollUntil, ratio, summarize, type Summary } from '../support/stats.js';

/**
 * Many grants ending in the same second: all are written (records and revoke jobs) before the common
 * end, then one worker (production settings: revoke concurrency 50) revokes them. Figure: the time
 * from the end until the last revoke call. Baseline: as many raw BullMQ delayed jobs due at the same
 * moment, a no-op processor with the same concurrency.
 */
export const simultaneousEnds: Scenario = async (ctx, result) => {
  const { count } = ctx.config.simultaneous;
  const jitbotLast: number[] = [];
  const rawLast: number[] = [];
  const lateness: Summary[] = [];
  const rawLateness: Summary[] = [];
  let window: RedisWindow | undefined;
  const seedTimes: number[] = [];
  for (let run = 0; run < ctx.config.runs; run++) {
    // jitbot
    const prefix = ctx.prefix('simul');
    const issuer = new TimingIssuer();
    const producer = await startInProcess({ redisUrl: ctx.redisUrl, prefix, dataDir: ctx.tmp, worker: false, issuer: new TimingIssuer() });
    const worker = await startInProcess({ redisUrl: ctx.redisUrl, prefix, dataDir: ctx.tmp, worker: true, issuer, revokeConcurrency: ctx.config.revokeConcurrency });
    try {
      const seedRate = (ctx.shared.seedRate as number | undefined) ?? 2000;
      const endAt = Date.now() + Math.round((count / seedRate) * 1000 * 1.5) + 1000;
      const t0 = performance.now();
      await seedActiveGrants(producer, count, () => endAt);
      const seedSeconds = (performance.now() - t0) / 1000;
      seedTimes.push(seedSeconds);
      ctx.shared.seedRate = count / seedSeconds;
      if (Date.now() >= endAt) result.notes.push(`Run ${run + 1}: seeding (${seedSeconds.toFixed(1)} s) ended after the common end; the figure still counts from the end.`);
      if (run === 0) await beginRedisWindow(ctx.admin, ctx.profile);
      const done = await pollUntil(() => issuer.revokedAt.size >= count, 300_000, 50);
      if (run === 0) window = await endRedisWindow(ctx.admin, count, ctx.profile);
      const times = [...issuer.revokedAt.values()];
      if (!done) result.notes.push(`Run ${run + 1}: only ${issuer.revokedAt.size} of ${count} revoked within 5 minutes.`);
      jitbotLast.push(times.reduce((a, b) => Math.max(a, b), -Infinity) - endAt);
      lateness.push(summarize(times.map((t) => t - endAt)));
      if (issuer.revokeCalls !== issuer.revokedAt.size) result.notes.push(`Run ${run + 1}: ${issuer.revokeCalls - issuer.revokedAt.size} duplicate revoke calls.`);
    } finally {
      await worker.stop();
      await producer.stop();
    }

    // raw BullMQ
    const connection = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
    const rawPrefix = `${ctx.prefix('rawsimul')}bull`;
    const queue = new Queue('revoke', { connection, prefix: rawPrefix });
    const processed: number[] = [];
    const rawWorker = new Worker(
      'revoke',
      async () => {
        processed.push(Date.now());
      },
      { connection, prefix: rawPrefix, concurrency: ctx.config.revokeConcurrency },
    );
    try {
      await rawWorker.waitUntilReady();
      const endAt = Date.now() + 1500;
      for (let start = 0; start < count; start += 1000) {
        const now = Date.now();
        await queue.addBulk(
          Array.from({ length: Math.min(1000, count - start) }, (_, k) => ({
            name: 'revoke',
            data: { requestId: `JIT-${start + k}` },
            opts: { jobId: `revoke-JIT-${start + k}`, delay: Math.max(0, endAt - now), attempts: 1_000_000, removeOnComplete: true, removeOnFail: true },
          })),
        );
      }
      await pollUntil(() => processed.length >= count, 300_000, 50);
      rawLast.push(processed.reduce((a, b) => Math.max(a, b), -Infinity) - endAt);
      rawLateness.push(summarize(processed.map((t) => t - endAt)));
    } finally {
      await rawWorker.close();
      await queue.close();
      connection.disconnect();
    }
    await ctx.deletePrefix(prefix);
    await ctx.deletePrefix(rawPrefix);
    ctx.log(`  run ${run + 1}: last of ${formatCount(count)} revoked ${formatMs(jitbotLast[run]!)} after the end (raw BullMQ ${formatMs(rawLast[run]!)}); seeding took ${seedTimes[run]!.toFixed(1)} s`);
  }
  const j = median(jitbotLast);
  const b = median(rawLast);
  const jp50 = median(lateness.map((s) => s.p50));
  const bp50 = median(rawLateness.map((s) => s.p50));
  result.tables.push({
    caption: `${formatCount(count)} grants ending at the same moment, one worker process, revoke concurrency ${ctx.config.revokeConcurrency} (median of ${ctx.config.runs} runs)`,
    headers: ['', 'jitbot', 'raw BullMQ delayed jobs, no-op processor', 'ratio'],
    rows: [
      ['end → last revoke call', formatMs(j), formatMs(b), formatRatio(ratio(j, b))],
      ['lateness p50', formatMs(jp50), formatMs(bp50), formatRatio(ratio(jp50, bp50))],
      ['revocations per second', formatCount(count / (j / 1000)), formatCount(count / (b / 1000)), formatRatio(ratio(b, j))],
    ],
  });
  if (window) result.tables.push(...redisWindowTables(window, 'revoke', 'Run 1, from the common end until the last revoke'));
  if (count === 10_000) {
    result.targets.push({ target: '10,000 simultaneous ends all revoked within 30 s', measured: formatMs(j), met: j <= 30_000 });
  } else {
    result.targets.push({ target: '10,000 simultaneous ends all revoked within 30 s', measured: `${formatCount(count)} in ${formatMs(j)} (--quick: 10,000 not run)`, met: null });
  }
  result.raw = { count, jitbotLastMs: jitbotLast, rawLastMs: rawLast, jitbotLateness: lateness, rawLateness, redis: window };
};
