import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/store/redis/redis-server-process.js';
import { RedisRequestStore } from '../../src/store/redis/redis-request-store.js';
import { FakeSlack } from '../fakes/fake-slack.js';
import { FakeSlackSender } from '../fakes/fake-slack-sender.js';
import { startJitbot, type JitbotProcess } from '../support/jitbot-process.js';
import { waitFor } from '../support/engine.js';
import { deleteByPrefix, uniquePrefix } from '../support/redis.js';
import { timing } from '../support/timing.js';

// `jitbot web` and two `jitbot worker` processes against one Redis: the web process takes Slack's
// requests and never runs a job; the workers issue, remind, revoke and send every message. Then
// SIGTERM stops each of them cleanly.

const SECRET = 'processes-signing-secret-0123456789';
const POLICY = `version: 1
settings: { approvalTimeout: 2m, reminderBefore: 5s, minDuration: 10s }
people:
  alice: { slack: U0ALICE }
  bob: { slack: U0BOB }
groups: { sre: [bob] }
issuers: { gate: { type: none } }
resources:
  deploy: { issuer: gate, requesters: [alice], approvers: [group:sre], maxDuration: 1h, reason: optional, channel: { slack: C0APPROVALS } }
`;

let fake: FakeSlack;
let dir: string;
let prefix: string;
let port: number;
let redis: Redis;
const processes: JitbotProcess[] = [];

/** The pino lines a process wrote to stderr, as objects (anything else on stderr is skipped). */
function logLines(stderr: string): Array<{ level: number; msg: string; [field: string]: unknown }> {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string });
}

/** The messages logged at info (pino level 30) about one request, in order. */
function infoAbout(stderr: string, id: string): string[] {
  return logLines(stderr)
    .filter((l) => l.level === 30 && l.requestId === id)
    .map((l) => l.msg);
}

function spawnRole(role: 'web' | 'worker' | 'start', envPrefix = prefix): JitbotProcess {
  const p = startJitbot([role], {
    timeoutMs: 5 * 60_000,
    env: {
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: fake.apiUrl,
      REDIS_URL: inject('redisUrl'),
      JITBOT_KEY_PREFIX: envPrefix,
      JITBOT_DATA_DIR: path.join(dir, 'data'),
      JITBOT_POLICY: path.join(dir, 'policy.yaml'),
      JITBOT_SECRET_KEY: 'ab'.repeat(32),
      PORT: String(port),
      LOG_LEVEL: 'info',
    },
  });
  processes.push(p);
  return p;
}

beforeAll(async () => {
  fake = await new FakeSlack().start();
  dir = mkdtempSync(path.join(tmpdir(), 'jitbot-processes-'));
  writeFileSync(path.join(dir, 'policy.yaml'), POLICY);
  prefix = uniquePrefix('procs');
  port = await freePort();
  redis = new Redis(inject('redisUrl'));
}, 30_000);

afterAll(async () => {
  for (const p of processes) p.kill('SIGKILL');
  await fake?.stop();
  await deleteByPrefix(redis, prefix);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('jitbot web + jitbot worker × 2 on one Redis', () => {
  it('runs a whole lifecycle across the processes, then each stops cleanly on SIGTERM', async () => {
    const web = spawnRole('web');
    const workers = [spawnRole('worker'), spawnRole('worker')];
    for (const p of [web, ...workers]) {
      await waitFor('process running', () => p.stderr().includes('jitbot running') || p.child.exitCode !== null, 30_000, 50);
      expect(p.child.exitCode, p.stderr().slice(-2000)).toBeNull();
    }
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

    const sender = new FakeSlackSender({ baseUrl: () => `http://127.0.0.1:${port}`, signingSecret: SECRET });
    const requested = await sender.post(sender.command({ userId: 'U0ALICE', text: 'request deploy 12s multi-process', responseUrl: fake.responseUrl('req') }));
    expect(requested.status).toBe(200);
    const reply = await fake.waitForResponse('req');
    const id = /JIT-\d+/.exec(String(reply.body.text))![0];
    expect((await sender.post(sender.buttonClick({ userId: 'U0BOB', actionId: 'jit_approve', value: id, responseUrl: fake.responseUrl('ok') }))).status).toBe(200);

    const store = new RedisRequestStore(redis, prefix);
    await waitFor('expired', async () => (await store.get(id))?.status === 'expired', 40_000, 100);
    // The "ended" DM leaves after the state change that the wait above saw: wait for it too.
    const dms = () => fake.okCallsOf('chat.postMessage', (c) => c.args.channel === fake.dmChannelOf('U0ALICE')).map((c) => JSON.stringify(c.args));
    for (const phrase of ['approved and active', 'expires soon', 'ended']) await waitFor(`the "${phrase}" DM`, () => dms().some((d) => d.includes(phrase)), 15_000, 100);
    // Every job ran on a worker: the web process logged no job work.
    expect(web.stderr()).not.toMatch(/worker started/);
    expect(workers.some((w) => w.stderr().includes('worker started'))).toBe(true);
    expect(await store.verifyAudit()).toMatchObject({ ok: true });

    // Each process logs the transitions it made: the web process the approval, the workers the rest.
    expect(infoAbout(web.stderr(), id)).toEqual(['request created', 'request approved']);
    const workerLines = workers.flatMap((w) => infoAbout(w.stderr(), id));
    for (const line of ['issuing access', 'access issued', 'revoking access', 'access revoked (the window ended)']) expect(workerLines).toContain(line);

    for (const p of [web, ...workers]) p.kill('SIGTERM');
    const results = await Promise.all([web, ...workers].map((p) => p.result));
    for (const result of results) {
      expect(result.code).toBe(0);
      timing('a jitbot process from start to its exit after SIGTERM', result.ms, 60_000);
      // Both lines, at info; not their order: two writes to a busy pipe may reach the reader swapped.
      const shutdown = logLines(result.stderr).filter((l) => l.level === 30 && l.msg.startsWith('jitbot stop'));
      expect(shutdown.map((l) => [l.msg, l.why]).sort()).toEqual([['jitbot stopped', undefined], ['jitbot stopping', 'SIGTERM']]);
    }
  }, 120_000);
});

describe('jitbot start (web and worker in one process)', () => {
  it('logs every lifecycle transition at info, with ids and names only, and its shutdown', async () => {
    const startPrefix = uniquePrefix('start');
    const jit = spawnRole('start', startPrefix);
    try {
      await waitFor('process running', () => jit.stderr().includes('jitbot running') || jit.child.exitCode !== null, 30_000, 50);
      expect(jit.child.exitCode, jit.stderr().slice(-2000)).toBeNull();
      const sender = new FakeSlackSender({ baseUrl: () => `http://127.0.0.1:${port}`, signingSecret: SECRET });
      await sender.post(sender.command({ userId: 'U0ALICE', text: 'request deploy 10m one-process', responseUrl: fake.responseUrl('s-req') }));
      const id = /JIT-\d+/.exec(String((await fake.waitForResponse('s-req')).body.text))![0];
      await sender.post(sender.buttonClick({ userId: 'U0BOB', actionId: 'jit_approve', value: id, responseUrl: fake.responseUrl('s-ok') }));
      const store = new RedisRequestStore(redis, startPrefix);
      await waitFor('active', async () => (await store.get(id))?.status === 'active', 30_000, 100);
      await sender.post(sender.command({ userId: 'U0ALICE', text: `release ${id}`, responseUrl: fake.responseUrl('s-rel') }));
      await waitFor('released', async () => (await store.get(id))?.status === 'released', 30_000, 100);
      await waitFor('the released line', () => infoAbout(jit.stderr(), id).includes('access revoked (released by the requester)'), 10_000, 50);

      expect(infoAbout(jit.stderr(), id)).toEqual([
        'request created',
        'request approved',
        'issuing access',
        'access issued',
        'revoking access',
        'access revoked (released by the requester)',
      ]);
      const approved = logLines(jit.stderr()).find((l) => l.requestId === id && l.msg === 'request approved')!;
      expect(approved).toMatchObject({ resource: 'deploy', requester: 'alice', from: 'pending', to: 'approved', by: { kind: 'person', person: 'bob' } });
      expect(jit.stderr()).not.toContain('one-process');

      jit.kill('SIGTERM');
      const result = await jit.result;
      expect(result.code).toBe(0);
      const shutdown = logLines(result.stderr).filter((l) => l.msg.startsWith('jitbot stop'));
      expect(shutdown.map((l) => [l.level, l.msg]).sort()).toEqual([[30, 'jitbot stopped'], [30, 'jitbot stopping']]);
    } finally {
      await deleteByPrefix(redis, startPrefix);
    }
  }, 90_000);
});
