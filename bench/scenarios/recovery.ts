import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { JitbotApp } from '../../src/app/build-app.js';
import type { BenchContext, Scenario, ScenarioResult } from '../support/context.js';
import { TimingIssuer, seedActiveGrants, startInProcess } from '../support/engine.js';
import { formatCount, formatMs, formatRatio, median, pollUntil, ratio, sleep } from '../support/stats.js';

/**
 * Recovery: no worker runs while the grants' windows end (ends spread over the outage), then a worker
 * starts; figure: worker start → every grant revoked. One data set per run, all seeded before the
 * outage, so the runs share one outage (later runs wait a little longer; an overdue job is not
 * harder to run for being older). Baseline: raw BullMQ delayed jobs with the same due times, then a
 * no-op worker with the same concurrency.
 */
export const recovery: Scenario = async (ctx, result) => {
  const finish = await prepareRecovery(ctx, result);
  await finish();
};

/**
 * Seeds the data sets and starts the outage; the returned function waits for the outage to end and
 * measures. The benchmark runs other scenarios in between (on other key prefixes), so the outage is
 * not idle time; it then lasts at least the configured time.
 */
export async function prepareRecovery(ctx: BenchContext, result: ScenarioResult): Promise<() => Promise<void>> {
  const { count, outageMs } = ctx.config.recovery;
  const runs = ctx.config.runs;
  const seedRate = (ctx.shared.seedRate as number | undefined) ?? 2000;
  const T0 = Date.now() + Math.round(((count * runs) / seedRate) * 1000 * 1.5) + 2000;
  const endOf = (i: number) => Math.round(T0 + (i * outageMs) / count);
  const resume = T0 + outageMs + 500;

  const sets: { prefix: string; producer: JitbotApp }[] = [];
  const raws: { queue: Queue; prefix: string; base: string }[] = [];
  const connection = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
  const cleanup = async () => {
    for (const raw of raws) await raw.queue.close().catch(() => undefined);
    for (const set of sets) await set.producer.stop().catch(() => undefined);
    connection.disconnect();
    for (const prefix of [...sets.map((s) => s.prefix), ...raws.map((r) => r.base)]) ctx.retained.delete(prefix);
  };

  try {
    const seedStarted = performance.now();
    for (let run = 0; run < runs; run++) {
      const prefix = ctx.prefix('recover');
      ctx.retained.add(prefix);
      const producer = await startInProcess({ redisUrl: ctx.redisUrl, prefix, dataDir: ctx.tmp, worker: false, issuer: new TimingIssuer() });
      sets.push({ prefix, producer });
      await seedActiveGrants(producer, count, endOf);
      const rawBase = ctx.prefix('rawrecover');
      ctx.retained.add(rawBase);
      const rawPrefix = `${rawBase}bull`;
      const queue = new Queue('revoke', { connection, prefix: rawPrefix });
      raws.push({ queue, prefix: rawPrefix, base: rawBase });
      for (let start = 0; start < count; start += 1000) {
        const now = Date.now();
        await queue.addBulk(
          Array.from({ length: Math.min(1000, count - start) }, (_, k) => ({
            name: 'revoke',
            data: { requestId: `JIT-${start + k}` },
            opts: { jobId: `revoke-JIT-${start + k}`, delay: Math.max(0, endOf(start + k) - now), attempts: 1_000_000, removeOnComplete: true, removeOnFail: true },
          })),
        );
      }
    }
    const seeded = (performance.now() - seedStarted) / 1000;
    if (Date.now() > T0) result.notes.push(`Seeding (${seeded.toFixed(1)} s) ran past the first end; the outage still covered every end.`);
    ctx.log(`  ${runs} × ${formatCount(count)} grants (and as many raw jobs) seeded in ${seeded.toFixed(1)} s; no worker until every end has passed (in ${((resume - Date.now()) / 1000).toFixed(0)} s)`);
  } catch (error) {
    await cleanup();
    throw error;
  }

  return async () => {
    const jitbotMs: number[] = [];
    const jitbotStartMs: number[] = [];
    const rawMs: number[] = [];
    try {
      const waitMs = resume - Date.now();
      if (waitMs > 0) {
        ctx.log(`  the outage goes on for ${(waitMs / 1000).toFixed(0)} s more`);
        await sleep(waitMs);
      } else {
        result.notes.push(`The outage lasted ${((outageMs - waitMs) / 1000).toFixed(0)} s rather than ${outageMs / 1000} s: other scenarios ran during it (an overdue job is not harder to run for being older).`);
      }
      for (let run = 0; run < runs; run++) {
        const issuer = new TimingIssuer();
        const started = performance.now();
        const worker = await startInProcess({ redisUrl: ctx.redisUrl, prefix: sets[run]!.prefix, dataDir: ctx.tmp, worker: true, issuer, revokeConcurrency: ctx.config.revokeConcurrency });
        jitbotStartMs.push(performance.now() - started);
        const done = await pollUntil(() => issuer.revokedAt.size >= count, 300_000, 20);
        jitbotMs.push(performance.now() - started);
        await worker.stop();
        if (!done) result.notes.push(`Run ${run + 1}: only ${issuer.revokedAt.size} of ${count} revoked within 5 minutes.`);

        const raw = raws[run]!;
        let processed = 0;
        const rawStarted = performance.now();
        const rawWorker = new Worker(
          'revoke',
          async () => {
            processed++;
          },
          { connection, prefix: raw.prefix, concurrency: ctx.config.revokeConcurrency },
        );
        const rawDone = await pollUntil(() => processed >= count, 120_000, 20);
        if (!rawDone) result.notes.push(`Run ${run + 1}: the raw BullMQ worker processed only ${processed} of ${count} jobs within 2 minutes.`);
        rawMs.push(performance.now() - rawStarted);
        await rawWorker.close();
        ctx.log(`  run ${run + 1}: worker start → ${formatCount(count)} revoked in ${formatMs(jitbotMs[run]!)} (raw BullMQ ${formatMs(rawMs[run]!)})`);
      }
    } finally {
      await cleanup();
      for (const prefix of [...sets.map((s) => s.prefix), ...raws.map((r) => r.base)]) await ctx.deletePrefix(prefix);
    }
    const j = median(jitbotMs);
    const b = median(rawMs);
    const atTargetScale = count === 5000 && outageMs >= 60_000;
    result.tables.push({
      caption: `${formatCount(count)} grants whose windows all ended during a worker outage of at least ${outageMs / 1000} s (median of ${runs} runs)`,
      headers: ['', 'jitbot', 'raw BullMQ, no-op processor', 'ratio'],
      rows: [
        ['worker start → all revoked', formatMs(j), formatMs(b), formatRatio(ratio(j, b))],
        ['of which the worker start (connect, reconcile)', formatMs(median(jitbotStartMs)), '', ''],
      ],
    });
    result.targets.push({
      target: 'recovery ≤ 10 s (5,000 grants, 60 s outage)',
      measured: `${formatMs(j)}${atTargetScale ? '' : ` (--quick: ${formatCount(count)} grants, ${outageMs / 1000} s outage)`}`,
      met: atTargetScale ? j <= 10_000 : null,
    });
    result.raw = { count, outageMs, jitbotMs, jitbotStartMs, rawMs };
  };
}
