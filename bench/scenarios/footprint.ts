import type { Redis } from 'ioredis';
import type { Scenario } from '../support/context.js';
import { APPROVER, TimingIssuer, drainQueues, personActor, seedPendingRequests, startInProcess } from '../support/engine.js';
import { usedMemory } from '../support/redis-probe.js';
import { formatBytes, formatCount, formatRatio, median, pollUntil, ratio } from '../support/stats.js';
import type { FootprintAtSize } from './revocation-punctuality.js';

/**
 * Footprint: Redis memory per active grant and the RSS of real web and worker processes at 1k / 10k /
 * 100k grants (read while the revocation scenario had them in Redis), plus the memory of grants made
 * through the whole path (request, approve, issue), which carry more than the seeded ones: the audit
 * trail of every step, a reminder job, a pending re-announcement.
 */
export const footprint: Scenario = async (ctx, result) => {
  const sizes = (ctx.shared.footprints as FootprintAtSize[] | undefined) ?? [];
  const F = ctx.config.footprint.fullPathGrants;
  const runs: { bytes: number; breakdown: Record<string, { keys: number; bytes: number }> }[] = [];
  for (let run = 0; run < ctx.config.runs; run++) {
    const prefix = ctx.prefix('foot');
    const issuer = new TimingIssuer();
    const before = await usedMemory(ctx.admin);
    const producer = await startInProcess({ redisUrl: ctx.redisUrl, prefix, dataDir: ctx.tmp, worker: false, issuer });
    const worker = await startInProcess({ redisUrl: ctx.redisUrl, prefix, dataDir: ctx.tmp, worker: true, issuer });
    try {
      const ids = await seedPendingRequests(producer, F, 50, '2h');
      let next = 0;
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          for (;;) {
            const i = next++;
            if (i >= ids.length) return;
            await producer.core.approve(personActor(APPROVER), ids[i]!);
          }
        }),
      );
      await pollUntil(() => issuer.issuedAt.size >= F, 120_000, 50);
      await drainQueues(worker);
      await pollUntil(async () => (await ctx.admin.zcard(`${prefix}idx:status:active`)) >= F, 30_000, 50);
      await worker.stop();
      const after = await usedMemory(ctx.admin);
      runs.push({ bytes: (after - before) / F, breakdown: run === 0 ? await breakdown(ctx.admin, prefix) : {} });
    } finally {
      await worker.stop().catch(() => undefined);
      await producer.stop();
    }
    await ctx.deletePrefix(prefix);
  }
  const fullPath = median(runs.map((r) => r.bytes));
  const capped = Object.entries(runs[0]?.breakdown ?? {})
    .filter(([what]) => what.startsWith('BullMQ event streams'))
    .reduce((sum, [, b]) => sum + b.bytes / F, 0);
  const perGrant = fullPath - capped;

  const rows: string[][] = sizes.map((s) => [
    formatCount(s.grants),
    formatBytes(s.bytesPerGrant),
    formatBytes(s.rawBytesPerJob),
    formatRatio(ratio(s.bytesPerGrant, s.rawBytesPerJob)),
    s.webRss ? `${formatBytes(s.webRss.rss)} (peak ${formatBytes(s.webRss.peak)})` : (s.error ?? 'n/a'),
    s.workerRss ? `${formatBytes(s.workerRss.rss)} (peak ${formatBytes(s.workerRss.peak)})` : (s.error ?? 'n/a'),
    s.workerReadyMs !== undefined ? `${(s.workerReadyMs / 1000).toFixed(1)} s` : 'n/a',
  ]);
  if (rows.length) {
    result.tables.push({
      caption: 'Redis memory per active grant (seeded: record, indexes, one audit event, revoke job) and process RSS, by number of active grants',
      headers: ['active grants', 'Redis per grant', 'raw BullMQ delayed job', 'ratio', 'web RSS', 'worker RSS', 'worker spawn → reconciled'],
      rows,
    });
  } else {
    result.notes.push('The revocation scenario did not run, so there are no readings at 1k / 10k / 100k grants.');
  }
  const bolt = ctx.shared.bareBoltRss as { rss: number; peak: number } | undefined;
  const rawWorker = ctx.shared.rawWorkerRss as { rss: number; peak: number } | undefined;
  result.tables.push({
    caption: `Grants made through the whole path (request → approve → issue), ${formatCount(F)} active (median of ${ctx.config.runs} runs), and baseline processes`,
    headers: ['', 'value'],
    rows: [
      ['Redis per active grant, whole path (used_memory growth ÷ grants)', formatBytes(fullPath)],
      ['the same without the capped BullMQ event streams (what grows with every grant)', formatBytes(perGrant)],
      ...Object.entries(runs[0]?.breakdown ?? {}).map(([what, b]) => [`  of which ${what} (${formatCount(b.keys)} keys, MEMORY USAGE)`, formatBytes(b.bytes / F)]),
      ['bare Bolt process RSS (the ack baseline, after its load)', bolt ? formatBytes(bolt.rss) : 'n/a (Slack scenario not run)'],
      ['raw BullMQ worker process RSS (the throughput baseline)', rawWorker ? formatBytes(rawWorker.rss) : 'n/a (throughput scenario not run)'],
    ],
  });
  const seededTop = sizes[sizes.length - 1];
  result.targets.push({
    target: 'Redis ≤ 2 KB per active grant',
    measured: `${formatBytes(perGrant)} per grant made through the whole path (event streams aside); ${seededTop ? `${formatBytes(seededTop.bytesPerGrant)} per seeded grant at ${formatCount(seededTop.grants)}` : 'no seeded reading'}`,
    met: perGrant <= 2048 && (!seededTop || seededTop.bytesPerGrant <= 2048),
  });
  const small = sizes.find((s) => s.grants === 1000)?.webRss;
  const large = sizes.find((s) => s.grants === 100_000)?.webRss;
  const largest = sizes[sizes.length - 1]?.webRss;
  if (small && large) {
    const growth = large.rss / small.rss - 1;
    result.targets.push({ target: 'web RSS flat from 1k to 100k grants (≤ 10 % growth)', measured: `${formatBytes(small.rss)} → ${formatBytes(large.rss)} (${(growth * 100).toFixed(0)} %)`, met: growth <= 0.1 });
  } else if (small && largest) {
    const growth = largest.rss / small.rss - 1;
    result.targets.push({ target: 'web RSS flat from 1k to 100k grants (≤ 10 % growth)', measured: `1k → ${formatCount(sizes[sizes.length - 1]!.grants)}: ${formatBytes(small.rss)} → ${formatBytes(largest.rss)} (${(growth * 100).toFixed(0)} %); 100k not run`, met: null });
  } else {
    result.targets.push({ target: 'web RSS flat from 1k to 100k grants (≤ 10 % growth)', measured: 'no readings', met: null });
  }
  result.raw = { sizes, fullPathBytesPerGrant: runs.map((r) => r.bytes), cappedEventStreamsPerGrant: capped, perGrantWithoutEventStreams: perGrant, breakdown: runs[0]?.breakdown, bareBoltRss: bolt, rawWorkerRss: rawWorker };
};

/** MEMORY USAGE of every key under `prefix`, grouped by what the key holds. */
async function breakdown(redis: Redis, prefix: string): Promise<Record<string, { keys: number; bytes: number }>> {
  const groups: Record<string, { keys: number; bytes: number }> = {};
  const groupOf = (key: string): string => {
    const rest = key.slice(prefix.length);
    if (/^req:[^:]+$/.test(rest)) return 'request records';
    if (/^req:[^:]+:audit$/.test(rest)) return 'per-request audit lists';
    if (/^req:[^:]+:messages$/.test(rest)) return 'message refs';
    if (rest === 'audit') return 'the audit stream';
    if (rest.startsWith('idx:')) return 'indexes';
    if (/^bull:[^:]+:events$/.test(rest)) return 'BullMQ event streams (capped at about 10,000 events per queue: a fixed cost)';
    const bull = rest.match(/^bull:([^:]+):(.+)$/);
    if (bull) return /^[^:]+-JIT-\d+/.test(bull[2]!) || /^\d+$/.test(bull[2]!) ? `${bull[1]} jobs` : `${bull[1]} queue structures`;
    return 'other';
  };
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 2000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', '0');
    const sizes = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      const group = (groups[groupOf(key)] ??= { keys: 0, bytes: 0 });
      group.keys++;
      group.bytes += Number(sizes[i]?.[1] ?? 0);
    });
  } while (cursor !== '0');
  return Object.fromEntries(Object.entries(groups).sort((a, b) => b[1].bytes - a[1].bytes));
}
