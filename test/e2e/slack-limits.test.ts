import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuditEvent } from '../../src/core/domain/audit-event.js';
import { RedisRequestStore } from '../../src/store/redis/redis-request-store.js';
import { FakeSlack } from '../fakes/fake-slack.js';
import { FakeSlackSender } from '../fakes/fake-slack-sender.js';
import { startJitbot, type JitbotProcess } from '../support/jitbot-process.js';
import { deleteByPrefix, uniquePrefix } from '../support/redis.js';
import { waitFor, type Check } from '../support/wait-for.js';

// Request limits and policy names against the real `jitbot start` process, over signed Slack HTTP
// requests, with the default limits (5 open, 10 a minute) and a fake Slack Web API on loopback.

const SIGNING_SECRET = 'e2e-limits-signing-secret-0123456789';
const APPROVALS = 'C0APPROVALS';
const U = { alice: 'U0ALICE', bob: 'U0BOB', carol: 'U0CAROL', dave: 'U0DAVE' } as const;

const POLICY = `version: 1
settings: { minDuration: 10s }
people:
  alice: { slack: ${U.alice} }
  bob: { slack: ${U.bob} }
  carol: { slack: ${U.carol} }
  dave: { slack: ${U.dave} }
issuers:
  gate: { type: none }
resources:
  deploy:
    issuer: gate
    approvers: [bob, carol]
    maxDuration: 1h
    reason: optional
    channel: { slack: ${APPROVALS} }
  logs:
    issuer: gate
    approvers: [bob, carol]
    maxDuration: 1h
    reason: optional
    channel: { slack: ${APPROVALS} }
    limits: { openPerRequester: 50 }
`;

// Concurrent signed commands from one person; the finding was 500 of them in 12 s.
const BURST = 500;

let fake: FakeSlack;
let sender: FakeSlackSender;
let jitbot: JitbotProcess;
let port = 0;
let prefix = '';
let dir = '';
let redis: Redis;
let store: RedisRequestStore;
let tagCounter = 0;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as net.AddressInfo;
      server.close(() => resolve(free));
    });
  });
}

/** The shared waitFor, with the tail of jitbot's log in the error when the wait runs out. */
const until = <T>(what: string, check: Check<T>, timeoutMs = 15_000): Promise<T> =>
  waitFor(what, check, timeoutMs, 25, () => `--- jitbot stderr (tail) ---\n${jitbot.stderr().slice(-4000)}`);

const base = (): string => `http://127.0.0.1:${port}`;

/** `/jit <text>` as a user; resolves with the private reply jitbot posts to the response_url. */
async function slash(userId: string, text: string, timeoutMs = 15_000): Promise<string> {
  const tag = `cmd-${++tagCounter}`;
  const response = await sender.post(sender.command({ userId, text, responseUrl: fake.responseUrl(tag) }));
  expect(response.status).toBe(200);
  const reply = await fake.waitForResponse(tag, timeoutMs);
  expect(reply.body.response_type).toBe('ephemeral');
  return String(reply.body.text);
}

/** The request form submitted with these values; resolves with the ack body and the later private reply (if any). */
async function submitForm(userId: string, resource: string, duration: string, reason: string): Promise<{ ack: string; reply: () => Promise<string> }> {
  const tag = `form-${++tagCounter}`;
  const ack = await sender.post(
    sender.viewSubmission({
      userId,
      callbackId: 'jit_request_form',
      privateMetadata: JSON.stringify({ responseUrl: fake.responseUrl(tag) }),
      values: {
        resource: { jit_form_resource: { type: 'static_select', selected_option: { value: resource } } },
        [`duration:${resource}`]: { jit_duration: { type: 'plain_text_input', value: duration } },
        reason: { jit_reason: { type: 'plain_text_input', value: reason } },
      },
    }),
  );
  expect(ack.status).toBe(200);
  return { ack: ack.text, reply: async () => String((await fake.waitForResponse(tag)).body.text) };
}

async function auditOfType(type: string): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  for await (const event of store.exportAudit()) if (event.type === type) out.push(event);
  return out;
}

const cardsPosted = (): number => fake.messagesIn(APPROVALS).length;

beforeAll(async () => {
  fake = await new FakeSlack().start();
  port = await freePort();
  prefix = uniquePrefix('slacklim');
  dir = mkdtempSync(path.join(tmpdir(), 'jitbot-slack-limits-'));
  const policyPath = path.join(dir, 'policy.yaml');
  writeFileSync(policyPath, POLICY);
  jitbot = startJitbot(['start'], {
    timeoutMs: 10 * 60_000,
    env: {
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      REDIS_URL: inject('redisUrl'),
      JITBOT_KEY_PREFIX: prefix,
      JITBOT_DATA_DIR: path.join(dir, 'data'),
      JITBOT_POLICY: policyPath,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
  });
  sender = new FakeSlackSender({ baseUrl: base, signingSecret: SIGNING_SECRET });
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 2 });
  store = new RedisRequestStore(redis, prefix);
  await until('jitbot to start', async () => {
    if (jitbot.child.exitCode !== null) throw new Error(`jitbot exited: ${jitbot.stderr()}`);
    return jitbot.stderr().includes('jitbot running');
  }, 30_000);
}, 60_000);

afterAll(async () => {
  jitbot?.kill('SIGTERM');
  await jitbot?.result;
  await fake?.stop();
  if (redis) {
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('Slack: request limits', () => {
  it(`a burst of ${BURST} signed /jit request commands from one person creates 5 requests and 5 cards; the rest get the limit privately`, async () => {
    const replies = await Promise.all(Array.from({ length: BURST }, (_, i) => slash(U.alice, `request deploy 10m burst ${i}`, 120_000)));
    const created = replies.filter((text) => /^JIT-\d+: requested deploy/.test(text));
    const refused = replies.filter((text) => !created.includes(text));
    expect(created).toHaveLength(5);
    expect(new Set(refused)).toEqual(new Set(['You have 5 open requests (the limit is 5); finish or cancel one (/jit list shows them), then ask again.']));

    await until('the five cards and received DMs', () => cardsPosted() >= 5 && fake.okCallsOf('chat.postMessage', (c) => c.args.channel === fake.dmChannelOf(U.alice)).length >= 5);
    // Whatever the refused commands would have queued has had time to show up; nothing did.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(cardsPosted()).toBe(5);
    expect(fake.okCallsOf('chat.postMessage', (c) => c.args.channel === fake.dmChannelOf(U.alice))).toHaveLength(5);
    expect(await store.listByRequester('alice', 1000)).toHaveLength(5);
    expect(await auditOfType('request.limited')).toHaveLength(1);
    expect((await fetch(`${base()}/healthz`)).status).toBe(200);
    expect((await fetch(`${base()}/readyz`)).status).toBe(200);

    // Cancelling one makes room for exactly one more.
    const first = /^(JIT-\d+)/.exec(created[0]!)![1]!;
    expect(await slash(U.alice, `cancel ${first}`)).toBe(`${first} is cancelled.`);
    expect(await slash(U.alice, 'request deploy 10m after cancelling')).toMatch(/^JIT-\d+: requested deploy/);
    expect(await slash(U.alice, 'request deploy 10m one too many')).toContain('You have 5 open requests');
  }, 180_000);

  it('the request form is refused the same way, after its ack, in a private reply', async () => {
    for (let i = 0; i < 5; i++) expect(await slash(U.dave, `request deploy 10m dave ${i}`)).toMatch(/^JIT-\d+: requested deploy/);
    const cards = cardsPosted();
    const form = await submitForm(U.dave, 'deploy', '10m', 'from the form');
    expect(form.ack).toBe('');
    expect(await form.reply()).toBe('You have 5 open requests (the limit is 5); finish or cancel one (/jit list shows them), then ask again.');
    expect(await store.listByRequester('dave', 100)).toHaveLength(5);
    expect(cardsPosted()).toBe(cards);
  }, 60_000);

  it('10 requests a minute is the limit, even where a resource allows more open requests', async () => {
    const replies: string[] = [];
    for (let i = 0; i < 10; i++) replies.push(await slash(U.carol, `request logs 10m reading ${i}`));
    expect(replies.every((text) => /^JIT-\d+: requested logs/.test(text))).toBe(true);
    expect(await slash(U.carol, 'request logs 10m one more')).toMatch(/^10 requests a minute is the limit; try again in \d+ s\.$/);
  }, 60_000);
});

describe('Slack: names every JavaScript object has are not resources', () => {
  const list = 'You may request: deploy, logs.';
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('/jit request %s 1h x → there is no resource', async (name) => {
    expect(await slash(U.bob, `request ${name} 1h x`)).toBe(`There is no resource "${name}". ${list}`);
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('the request form with %s is refused inline, nothing is created', async (name) => {
    const before = await store.listByRequester('bob', 100);
    const form = await submitForm(U.bob, name, '1h', 'x');
    expect(JSON.parse(form.ack)).toEqual({ response_action: 'errors', errors: { resource: `There is no resource "${name}". ${list}` } });
    expect(await store.listByRequester('bob', 100)).toEqual(before);
  });
});
