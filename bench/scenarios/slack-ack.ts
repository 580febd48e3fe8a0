import { createHmac, randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { JitbotApp } from '../../src/app/build-app.js';
import type { AccessRequest, RequestId } from '../../src/core/domain/access-request.js';
import { freePort } from '../../src/store/redis/redis-server-process.js';
import { BenchChild, runTsArgs } from '../support/child-process.js';
import type { BenchContext, Scenario } from '../support/context.js';
import { summarizeProfile } from '../support/cpu-profile.js';
import { APPROVER, REQUESTERS, RESOURCE, SLACK_IDS, TimingIssuer, benchPolicy, drainQueues, startInProcess } from '../support/engine.js';
import { SIGNING_SECRET, startJitbotProcess, type JitbotProcess } from '../support/jitbot-process.js';
import { runOpenLoop, type OpenLoopResult } from '../support/load-generator.js';
import { beginRedisWindow, endRedisWindow, redisWindowTables, type RedisWindow } from '../support/redis-probe.js';
import { formatBytes, formatCount, formatMs, formatRatio, median, medianSummary, pollUntil, ratio, sleep } from '../support/stats.js';

const APPROVE_ACTION = 'jit_approve';

/**
 * Slack ack latency: signed `/jit request` slash commands and approve-button clicks (half each),
 * POSTed at fixed rates by an open-loop generator to the real `jitbot start` process (Slack adapter
 * on its HTTP server, worker in the same process, Web API calls and response_url replies going to
 * the sink), and the same payloads to a bare Bolt app that only acks. Latency: request handed to the
 * socket → response fully read. Every click approves a distinct pending request, so the work after
 * the ack (approve, issue job, card update, reply) is the real one.
 */
export const slackAck: Scenario = async (ctx, result) => {
  const { rates, seconds } = ctx.config.ack;
  const runs = ctx.config.runs;
  // One profile per thread lands in this directory (tsx's loader thread has its own); the biggest is the main thread.
  const profileDir = path.join(ctx.outDir, 'jitbot-start');
  const nodeArgs = ctx.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];

  const boltPort = await freePort();
  const bolt = BenchChild.start({
    name: 'bare-bolt',
    args: runTsArgs('bench/support/bare-bolt.ts'),
    env: { PORT: String(boltPort), SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: `${ctx.sink.url}/api/` },
    logFile: path.join(ctx.tmp, 'bare-bolt.log'),
    cpu: ctx.cpu,
  });
  const boltUrl = `http://127.0.0.1:${boltPort}/slack/events`;

  type Phase = { rate: number; jitbot: OpenLoopResult[]; bolt: OpenLoopResult[]; replies: number[]; settleMs: number[] };
  const phases: Phase[] = rates.map((rate) => ({ rate, jitbot: [], bolt: [], replies: [], settleMs: [] }));
  let window: RedisWindow | undefined;
  let sequence = 0;
  try {
    await bolt.waitForOutput(/listening/, 60_000);
    // Each run gets a fresh jitbot (process and key prefix), so runs start from the same state
    // instead of inheriting the previous run's thousands of pending requests.
    for (let run = 0; run < runs; run++) {
      const prefix = ctx.prefix('slack');
      let jitbot: JitbotProcess;
      try {
        jitbot = await startJitbotProcess(ctx, { command: 'start', prefix, slack: true, name: `ack-jitbot-${run + 1}`, nodeArgs });
      } catch (error) {
        if (run > 0) throw error;
        return skip(ctx, result, `jitbot start with SLACK_BOT_TOKEN/SLACK_SIGNING_SECRET did not come up: ${firstLine(error)}`);
      }
      const producer = await startInProcess({ redisUrl: ctx.redisUrl, prefix, dataDir: ctx.tmp, worker: false, issuer: new TimingIssuer() });
      try {
        const jitbotUrl = `http://127.0.0.1:${jitbot.port}/slack/events`;
        const probe = await probeSlack(jitbotUrl, ctx.sink.url);
        if (probe !== 200) {
          if (run > 0) throw new Error(`POST /slack/events answered ${probe} to a signed /jit help`);
          return skip(ctx, result, `POST /slack/events answered ${probe} to a signed /jit help`);
        }
        ctx.shared.slackAvailable = true;
        const clicksNeeded = rates.reduce((sum, rate) => sum + Math.ceil((rate * seconds) / 2), 0);
        const seedStarted = performance.now();
        const pending = await seedPendingRecords(producer, clicksNeeded);
        await drainQueues(producer, 120_000);
        ctx.log(`  run ${run + 1}: jitbot ready in ${(jitbot.readyMs / 1000).toFixed(1)} s; ${formatCount(clicksNeeded)} pending requests for the clicks written in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);
        let nextPending = 0;

        for (const phase of phases) {
          const order: ('jitbot' | 'bolt')[] = run % 2 === 0 ? ['jitbot', 'bolt'] : ['bolt', 'jitbot'];
          for (const system of order) {
            const isJitbot = system === 'jitbot';
            const profileThis = isJitbot && run === 0 && phase.rate === 200;
            if (profileThis) await beginRedisWindow(ctx.admin, ctx.profile);
            const repliesBefore = isJitbot ? await sinkCount(ctx.sink.url, 'response_url') : 0;
            const measured = await runOpenLoop({
              url: isJitbot ? jitbotUrl : boltUrl,
              rate: phase.rate,
              durationMs: seconds * 1000,
              request: (i) => {
                const n = sequence++;
                const click = i % 2 === 1;
                const id = click ? (isJitbot ? (pending[nextPending++ % pending.length] ?? 'JIT-1') : 'JIT-1') : undefined;
                return signed(click ? clickBody(ctx.sink.url, n, id!) : commandBody(ctx.sink.url, n));
              },
            });
            if (isJitbot) {
              // Let the work behind the acks finish before the next phase measures anything.
              const settleStarted = performance.now();
              const drained = await drainQueues(producer, 300_000);
              const replied = await pollUntil(async () => (await sinkCount(ctx.sink.url, 'response_url')) - repliesBefore >= measured.ok, 60_000, 100);
              if (!drained || !replied) result.notes.push(`Run ${run + 1} at ${phase.rate} req/s: jitbot's work behind the acks had not finished ${drained ? 'its replies' : 'its queued jobs'} when the next phase began.`);
              phase.settleMs.push(performance.now() - settleStarted);
              phase.replies.push((await sinkCount(ctx.sink.url, 'response_url')) - repliesBefore);
              if (profileThis) window = await endRedisWindow(ctx.admin, measured.sent, ctx.profile);
              phase.jitbot.push(measured);
            } else {
              phase.bolt.push(measured);
            }
            await sleep(150);
            ctx.log(
              `  run ${run + 1} ${phase.rate} req/s ${system}: p50 ${formatMs(measured.latency.p50)} p99 ${formatMs(measured.latency.p99)} max ${formatMs(measured.latency.max)}, ${measured.errors} errors, sent ${formatCount(measured.achievedRate, 0)}/s`,
            );
          }
        }
        ctx.shared.jitbotStartRss = jitbot.child.memory();
      } finally {
        await producer.stop();
        await jitbot.child.stop();
      }
      await ctx.deletePrefix(prefix);
    }
    ctx.shared.bareBoltRss = bolt.memory();
  } finally {
    await bolt.stop();
  }

  const rows: string[][] = [];
  for (const phase of phases) {
    const j = medianSummary(phase.jitbot.map((r) => r.latency));
    const b = medianSummary(phase.bolt.map((r) => r.latency));
    const errors = (rs: OpenLoopResult[]) => median(rs.map((r) => r.errors));
    rows.push([
      `${phase.rate} req/s`,
      formatMs(j.p50),
      formatMs(j.p99),
      formatMs(j.max),
      String(errors(phase.jitbot)),
      formatMs(b.p50),
      formatMs(b.p99),
      formatMs(b.max),
      String(errors(phase.bolt)),
      formatRatio(ratio(j.p99, b.p99)),
    ]);
  }
  result.tables.push({
    caption: `Ack latency, ${seconds} s per rate, half \`/jit request\` commands and half approve clicks (median of ${runs} runs)`,
    headers: ['rate', 'jitbot p50', 'p99', 'max', 'errors', 'bare Bolt p50', 'p99', 'max', 'errors', 'p99 ratio'],
    rows,
  });
  result.tables.push({
    caption: 'Health of the measurement: what the generator achieved, and jitbot\'s work behind the acks',
    headers: ['rate', 'sent/s (jitbot runs)', 'generator send slip p99', 'generator loop delay p99', 'replies posted by jitbot / requests', 'drain after phase'],
    rows: phases.map((phase) => [
      `${phase.rate} req/s`,
      formatCount(median(phase.jitbot.map((r) => r.achievedRate)), 0),
      formatMs(median(phase.jitbot.map((r) => r.sendSlip.p99))),
      formatMs(median(phase.jitbot.map((r) => r.loopDelayP99))),
      `${formatCount(median(phase.replies))} / ${formatCount(median(phase.jitbot.map((r) => r.sent)))}`,
      formatMs(median(phase.settleMs)),
    ]),
  });
  if (window) result.tables.push(...redisWindowTables(window, 'request', 'jitbot at 200 req/s, run 1 (the ack path and all the work it set off)'));
  const jitbotRss = ctx.shared.jitbotStartRss as { rss: number; peak: number } | undefined;
  const boltRss = ctx.shared.bareBoltRss as { rss: number; peak: number } | undefined;
  if (jitbotRss && boltRss) result.notes.push(`RSS after the load: jitbot start (web + worker) ${formatBytes(jitbotRss.rss)} (peak ${formatBytes(jitbotRss.peak)}); bare Bolt ${formatBytes(boltRss.rss)} (peak ${formatBytes(boltRss.peak)}).`);
  const errorKinds = phases.flatMap((p) => p.jitbot.flatMap((r) => Object.entries(r.errorKinds)));
  if (errorKinds.length) result.notes.push(`jitbot errors by kind: ${errorKinds.map(([k, n]) => `${k} × ${n}`).join(', ')}.`);

  const at200 = phases.find((p) => p.rate === 200);
  if (at200) {
    const j = medianSummary(at200.jitbot.map((r) => r.latency));
    const b = medianSummary(at200.bolt.map((r) => r.latency));
    result.targets.push({ target: 'ack p99 ≤ 1.5× bare Bolt at 200 req/s', measured: `${formatMs(j.p99)} vs ${formatMs(b.p99)} (${formatRatio(ratio(j.p99, b.p99))})`, met: ratio(j.p99, b.p99) <= 1.5 });
    result.targets.push({ target: 'ack p99 far under 3 s at 200 req/s (≤ 1 s)', measured: formatMs(j.p99), met: j.p99 <= 1000 });
  }
  if (ctx.profile) {
    const files = readdirSync(profileDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => ({ f, size: statSync(path.join(profileDir, f)).size }))
      .sort((a, b) => b.size - a.size)
      .slice(0, 1)
      .map((x) => x.f);
    for (const file of files) {
      const summary = summarizeProfile(path.join(profileDir, file));
      result.tables.push({ caption: `CPU profile of the jitbot process (${file}): self time by area`, headers: ['area', 'ms', '%'], rows: summary.byArea.map((a) => [a.area, String(a.ms), String(a.percent)]) });
      result.tables.push({ caption: 'Hottest functions in the jitbot process', headers: ['function', 'ms', '%'], rows: summary.topFunctions.slice(0, 15).map((f) => [f.fn, String(f.ms), String(f.percent)]) });
    }
  }
  result.raw = { rates, seconds, phases };
};

function skip(ctx: BenchContext, result: Parameters<Scenario>[1], why: string): void {
  ctx.shared.slackAvailable = false;
  result.status = 'skipped';
  result.reason = `skipped: Slack adapter not available (${why})`;
  result.targets.push({ target: 'ack p99 ≤ 1.5× bare Bolt and far under 3 s at 200 req/s', measured: result.reason, met: null });
  ctx.log(`  ${result.reason}`);
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split('\n').filter(Boolean);
  const reason = lines.find((l) => /error|cannot|refus|not /i.test(l)) ?? lines[0] ?? '';
  return reason.slice(0, 200);
}

/** Signs a form body as Slack does: v0=HMAC-SHA256(secret, `v0:<ts>:<body>`). */
function signed(body: string): { body: string; headers: Record<string, string> } {
  const ts = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  return { body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature } };
}

const requesterSlackIds = REQUESTERS.map((name) => SLACK_IDS[name]);
const token = randomBytes(3).toString('hex');

function commandBody(sinkUrl: string, n: number, text = `request ${RESOURCE} 2h benchmark load ${n}`): string {
  const user = requesterSlackIds[Math.abs(n) % requesterSlackIds.length]!;
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0BENCH',
    team_domain: 'bench',
    channel_id: 'C0GENERAL',
    channel_name: 'general',
    user_id: user,
    user_name: user.toLowerCase(),
    command: '/jit',
    text,
    api_app_id: 'A0JITBOT',
    is_enterprise_install: 'false',
    response_url: `${sinkUrl}/response/c${n}`,
    trigger_id: `${Date.now()}.${n}.${token}`,
  }).toString();
}

function clickBody(sinkUrl: string, n: number, requestId: string): string {
  const payload = {
    type: 'block_actions',
    user: { id: SLACK_IDS[APPROVER], username: 'bob', name: 'bob', team_id: 'T0BENCH' },
    api_app_id: 'A0JITBOT',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0APPROVALS', is_ephemeral: false },
    trigger_id: `${Date.now()}.${n}.${token}`,
    team: { id: 'T0BENCH', domain: 'bench' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: 'C0APPROVALS', name: 'approvals' },
    message: { ts: '1700000000.000100', type: 'message', text: 'card' },
    response_url: `${sinkUrl}/response/a${n}`,
    actions: [{ type: 'button', action_id: APPROVE_ACTION, block_id: 'b1', text: { type: 'plain_text', text: 'Approve' }, value: requestId, action_ts: `${Date.now() / 1000}` }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Sends signed `/jit help` until the receiver answers something other than 503 (starting); the status. */
async function probeSlack(url: string, sinkUrl: string): Promise<number> {
  let status = 0;
  await pollUntil(
    async () => {
      const { body, headers } = signed(commandBody(sinkUrl, -1, 'help'));
      status = await fetch(url, { method: 'POST', headers, body })
        .then((r) => r.status)
        .catch(() => 0);
      return status !== 0 && status !== 503;
    },
    20_000,
    200,
  );
  return status;
}

async function sinkCount(sinkUrl: string, what: string): Promise<number> {
  const stats = (await fetch(`${sinkUrl}/stats`).then((r) => r.json())) as Record<string, number>;
  return stats[what] ?? 0;
}

/**
 * Pending requests for the clicks to approve, written as `requestAccess` leaves them (record,
 * indexes, audit event, timeout and re-announcement jobs) but without the card and DM, which would
 * only add work before the measurement.
 */
async function seedPendingRecords(app: JitbotApp, count: number, inFlight = 200): Promise<RequestId[]> {
  const { store } = app;
  const policy = benchPolicy();
  const ids: RequestId[] = new Array<RequestId>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        const id = await store.nextId();
        const now = Date.now();
        const request: AccessRequest = {
          id,
          resource: RESOURCE,
          requester: REQUESTERS[i % REQUESTERS.length]!,
          durationMs: 2 * 3600_000,
          reason: `benchmark ${i}`,
          createdAt: now,
          version: 0,
          via: 'slack',
          approvalsRequired: 1,
          approvals: [],
          status: 'pending',
          timeoutAt: now + policy.settings.approvalTimeout,
          waitingOn: ['bob', 'carol'],
        };
        await store.create(request, { type: 'request.created', requestId: id, actor: { kind: 'person', person: request.requester, via: 'slack' }, data: { resource: RESOURCE, seeded: true } });
        await app.scheduler.timeoutAt(id, request.timeoutAt);
        await app.scheduler.reannounceAt(id, now + policy.settings.reannounceAfter, 1);
        ids[i] = id;
      }
    }),
  );
  return ids;
}
