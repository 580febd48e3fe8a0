import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { RequestId } from '../../src/core/domain/access-request.js';
import type { Scenario } from '../support/context.js';
import { APPROVER, TimingIssuer, drainQueues, personActor, seedPendingRequests, startInProcess } from '../support/engine.js';
import { beginRedisWindow, endRedisWindow, redisWindowTables, type RedisWindow } from '../support/redis-probe.js';
import { formatMs, formatRatio, median, medianSummary, ratio, summarize, type Summary } from '../support/stats.js';

/**
 * Approval → access: from the return of the approve call (what a Slack listener awaits before it
 * answers the clicker) to the issuer's `issue` call, one approval at a time so each figure is a
 * latency, not a queue. Baseline: BullMQ `add` → the processor starting, on the same Redis.
 */
export const approvalToAccess: Scenario = async (ctx, result) => {
  const { count } = ctx.config.approval;
  const issuer = new TimingIssuer();
  const prefix = ctx.prefix('approve');
  const app = await startInProcess({ redisUrl: ctx.redisUrl, prefix, dataDir: ctx.tmp, worker: true, issuer });

  const connection = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
  const rawPrefix = `${ctx.prefix('rawissue')}bull`;
  const queue = new Queue('issue', { connection, prefix: rawPrefix });
  const rawStarted = new Map<string, number>();
  const rawWaiters = new Map<string, (at: number) => void>();
  const worker = new Worker(
    'issue',
    async (job) => {
      const at = performance.now();
      rawStarted.set(job.id!, at);
      rawWaiters.get(job.id!)?.(at);
    },
    { connection, prefix: rawPrefix, concurrency: 20 },
  );
  await worker.waitUntilReady();
  const whenRawStarted = (id: string) =>
    rawStarted.has(id) ? Promise.resolve(rawStarted.get(id)!) : new Promise<number>((resolve) => rawWaiters.set(id, resolve));

  const jitbotRuns: Summary[] = [];
  const approveCallRuns: Summary[] = [];
  const rawRuns: Summary[] = [];
  let window: RedisWindow | undefined;
  try {
    for (let run = 0; run < ctx.config.runs; run++) {
      const ids: RequestId[] = await seedPendingRequests(app, count);
      await drainQueues(app);
      if (run === 0) await beginRedisWindow(ctx.admin, ctx.profile);
      const latencies: number[] = [];
      const approveCalls: number[] = [];
      for (const id of ids) {
        const before = performance.now();
        await app.core.approve(personActor(APPROVER), id);
        const acked = performance.now();
        approveCalls.push(acked - before);
        latencies.push((await issuer.whenIssued(id)) - acked);
      }
      await drainQueues(app);
      if (run === 0) window = await endRedisWindow(ctx.admin, count, ctx.profile);
      jitbotRuns.push(summarize(latencies));
      approveCallRuns.push(summarize(approveCalls));

      const raw: number[] = [];
      for (let i = 0; i < count; i++) {
        const jobId = `issue-r${run}-${i}`;
        await queue.add('issue', { requestId: `JIT-${i}` }, { jobId, attempts: 1_000_000, removeOnComplete: true, removeOnFail: true });
        const acked = performance.now();
        raw.push((await whenRawStarted(jobId)) - acked);
      }
      rawRuns.push(summarize(raw));
      ctx.log(`  run ${run + 1}: approve→issue p50 ${formatMs(jitbotRuns[run]!.p50)} (raw BullMQ ${formatMs(rawRuns[run]!.p50)})`);
    }
  } finally {
    await worker.close();
    await queue.close();
    connection.disconnect();
    await app.stop();
  }

  const j = medianSummary(jitbotRuns);
  const b = medianSummary(rawRuns);
  const a = medianSummary(approveCallRuns);
  result.tables.push({
    caption: `Approval → access, ${count.toLocaleString('en-US')} approvals one at a time (median of ${ctx.config.runs} runs)`,
    headers: ['', 'jitbot: approve returned → issuer.issue called', 'raw BullMQ: add returned → processor started', 'ratio'],
    rows: [
      ['p50', formatMs(j.p50), formatMs(b.p50), formatRatio(ratio(j.p50, b.p50))],
      ['p99', formatMs(j.p99), formatMs(b.p99), formatRatio(ratio(j.p99, b.p99))],
      ['max', formatMs(j.max), formatMs(b.max), formatRatio(ratio(j.max, b.max))],
    ],
  });
  result.notes.push(
    `The approve call itself (policy check, versioned write with its audit event, timeout job cancelled, issue job and card update queued) took p50 ${formatMs(a.p50)}, p99 ${formatMs(a.p99)}; a Slack listener acknowledges before it, so the clicker never waits for it.`,
  );
  result.targets.push({
    target: 'approval → issue p50 ≤ 2× raw BullMQ',
    measured: `${formatMs(j.p50)} vs ${formatMs(b.p50)} (${formatRatio(ratio(j.p50, b.p50))})`,
    met: ratio(j.p50, b.p50) <= 2,
  });
  result.raw = { jitbot: jitbotRuns, approveCall: approveCallRuns, rawBullmq: rawRuns, redis: window, p50Ratio: ratio(j.p50, b.p50), medianP50: median(jitbotRuns.map((r) => r.p50)) };
  if (window) result.tables.push(...redisWindowTables(window, 'approval', 'Run 1, from the first approve until the queues were idle (issue, active, revoke and reminder jobs, notifications)'));
};
