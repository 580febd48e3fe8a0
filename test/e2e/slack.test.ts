import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AccessRequest } from '../../src/core/domain/access-request.js';
import { RedisRequestStore } from '../../src/store/redis/redis-request-store.js';
import { FakeSlack, type Json, type SlackCall } from '../fakes/fake-slack.js';
import { FakeSlackSender } from '../fakes/fake-slack-sender.js';
import { WebhookReceiver } from '../fakes/webhook-receiver.js';
import { runJitbot, startJitbot, type JitbotProcess } from '../support/jitbot-process.js';
import { deleteByPrefix, uniquePrefix } from '../support/redis.js';
import { waitFor, type Check } from '../support/wait-for.js';
import { TIMING, timing } from '../support/timing.js';

// The real `jitbot start` process, driven over HTTP with signed Slack payloads, against a fake Slack
// Web API on loopback. One process serves the whole file; tests use their own requests.

const SIGNING_SECRET = 'e2e-signing-secret-0123456789abcdef';
const APPROVALS = 'C0APPROVALS';
const U = { alice: 'U0ALICE', bob: 'U0BOB', carol: 'U0CAROL', dave: 'U0DAVE', erin: 'U0ERIN', stranger: 'U0NOBODY' } as const;

const POLICY = `version: 1
settings:
  approvalTimeout: 2m
  reminderBefore: 6s
  minDuration: 10s
  reannounceAfter: 30m
  # One process serves the whole file, alice asks many times: slack-limits.test.ts tests the limits.
  limits: { openPerRequester: 100, requestsPerMinute: 1000 }
people:
  alice: { slack: ${U.alice} }
  bob: { slack: ${U.bob} }
  carol: { slack: ${U.carol} }
  dave: { slack: ${U.dave} }
  erin: { slack: ${U.erin} }
groups:
  engineers: [alice, bob, carol, dave]
  sre: [bob, carol]
  leads: [carol, dave, erin]
admins: [group:sre]
issuers:
  gate: { type: none }
resources:
  deploy:
    description: Deploy to production
    issuer: gate
    requesters: [group:engineers]
    approvers: [group:sre]
    approvals: 1
    defaultDuration: 12s
    maxDuration: 1h
    reason: optional
    channel: { slack: ${APPROVALS} }
  two-keys:
    description: Break-glass database access
    issuer: gate
    requesters: [group:engineers]
    approvers: [group:leads]
    approvals: 2
    defaultDuration: 30s
    maxDuration: 2h
    reason: required
    ticket: '^[A-Z]+-[0-9]+$'
    channel: { slack: ${APPROVALS} }
`;

let fake: FakeSlack;
let sender: FakeSlackSender;
let jitbot: JitbotProcess;
let port = 0;
let prefix = '';
let dir = '';
let redis: Redis;
let store: RedisRequestStore;
let tagCounter = 0;
let hook: WebhookReceiver;
// Requests the webhook-issued credentials, and nothing else (the other tests' resource lists stay as they are).
const FRANK = 'U0FRANK';
const extraPrefixes: string[] = [];

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
const nextTag = (label: string): string => `${label}-${++tagCounter}`;

/** Every string inside a Slack payload, joined: what a reader could see. */
function allText(value: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return out.join('\n');
}

function actionIds(blocks: unknown): string[] {
  return (Array.isArray(blocks) ? blocks : [])
    .filter((b: Json) => b.type === 'actions')
    .flatMap((b: Json) => b.elements.map((e: Json) => e.action_id as string));
}

/** `/jit <text>` as a user; resolves with the ephemeral reply jitbot posts to the response_url. */
async function slash(userId: string, text: string, options: { triggerId?: string } = {}): Promise<{ text: string; body: Json; status: number }> {
  const tag = nextTag('cmd');
  const response = await sender.post(sender.command({ userId, text, responseUrl: fake.responseUrl(tag), ...(options.triggerId ? { triggerId: options.triggerId } : {}) }));
  expect(response.status).toBe(200);
  const reply = await fake.waitForResponse(tag);
  expect(reply.body.response_type).toBe('ephemeral');
  return { text: String(reply.body.text), body: reply.body, status: response.status };
}

/** A button click on a message; resolves with the ephemeral answer. */
async function click(userId: string, actionId: string, requestId: string, options: { triggerId?: string } = {}): Promise<string> {
  const tag = nextTag('click');
  const response = await sender.post(sender.buttonClick({ userId, actionId, value: requestId, responseUrl: fake.responseUrl(tag), ...options }));
  expect(response.status).toBe(200);
  const reply = await fake.waitForResponse(tag);
  expect(reply.body.response_type).toBe('ephemeral');
  expect(reply.body.replace_original).toBe(false);
  return String(reply.body.text);
}

function idIn(text: string): string {
  const match = /JIT-\d+/.exec(text);
  if (!match) throw new Error(`no request id in: ${text}`);
  return match[0];
}

/** The approval card of a request in the approvals channel (found by its context line). */
function cardOf(id: string) {
  return fake.messagesIn(APPROVALS).find((m) => allText(m.blocks).split('\n').includes(`${id} · jitbot`));
}

function cardUpdates(id: string): SlackCall[] {
  const card = cardOf(id);
  return card ? fake.okCallsOf('chat.update', (c) => c.args.ts === card.ts) : [];
}

function dmsTo(userId: string, predicate: (text: string) => boolean = () => true): SlackCall[] {
  return fake.okCallsOf('chat.postMessage', (c) => c.args.channel === fake.dmChannelOf(userId) && predicate(allText(c.args.blocks)));
}

async function waitForDm(userId: string, id: string, phrase: string, timeoutMs = 15_000): Promise<SlackCall> {
  return until(`a DM to ${userId} about ${id} saying "${phrase}"`, () => dmsTo(userId, (t) => t.includes(id) && t.includes(phrase))[0], timeoutMs);
}

async function statusOf(id: string): Promise<AccessRequest['status'] | undefined> {
  return (await store.get(id))?.status;
}

async function requestDeploy(userId: string, duration: string, reason = 'e2e'): Promise<string> {
  const reply = await slash(userId, `request deploy ${duration} ${reason}`);
  expect(reply.text).toContain('requested deploy');
  return idIn(reply.text);
}

async function activeGrant(duration = '1m'): Promise<string> {
  const id = await requestDeploy(U.alice, duration);
  expect(await click(U.bob, 'jit_approve', id)).toContain(`You approved ${id}`);
  await waitForDm(U.alice, id, 'approved and active');
  return id;
}

beforeAll(async () => {
  fake = await new FakeSlack().start();
  port = await freePort();
  prefix = uniquePrefix('slack');
  dir = mkdtempSync(path.join(tmpdir(), 'jitbot-slack-e2e-'));
  const policyPath = path.join(dir, 'policy.yaml');
  // A webhook issuer whose receiver hands out a credential of the size a test sets.
  hook = new WebhookReceiver();
  await hook.start();
  const withHook = POLICY.replace('people:\n', `people:\n  frank: { slack: ${FRANK} }\n`).replace(
    'issuers:\n  gate: { type: none }\n',
    `issuers:\n  gate: { type: none }\n  hook: { type: webhook, url: '${hook.url}', secret: '${hook.secret}' }\n`,
  );
  writeFileSync(
    policyPath,
    `${withHook}  credentials:
    description: A credential handed out by a webhook
    issuer: hook
    requesters: [frank]
    approvers: [group:sre]
    maxDuration: 1h
    reason: optional
    autoApprove: [{ requesters: [frank], maxDuration: 30m }]
`,
  );
  jitbot = startJitbot(['start'], {
    timeoutMs: 15 * 60_000,
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
      JITBOT_RETRY_BASE_MS: '200',
      JITBOT_RETRY_CAP_MS: '2000',
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
  const summary = sender?.latencySummary();
  if (summary && TIMING) {
    console.log(
      `Slack ack latency over ${summary.count} signed requests: p50 ${summary.p50.toFixed(1)} ms, p99 ${summary.p99.toFixed(1)} ms, max ${summary.max.toFixed(1)} ms`,
    );
  }
  jitbot?.kill('SIGTERM');
  await jitbot?.result;
  await fake?.stop();
  await hook?.server.stop();
  if (redis) {
    for (const p of [prefix, ...extraPrefixes]) await deleteByPrefix(redis, p);
    redis.disconnect();
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('Slack: start-up', () => {
  it('verifies the bot token with auth.test against SLACK_API_URL', () => {
    expect(fake.okCallsOf('auth.test').length).toBeGreaterThanOrEqual(1);
  });

  const refusal = async (env: Record<string, string>) => {
    const refusedPrefix = uniquePrefix('slackbad');
    extraPrefixes.push(refusedPrefix);
    return runJitbot(['start'], {
      timeoutMs: 30_000,
      env: {
        SLACK_API_URL: fake.apiUrl,
        REDIS_URL: inject('redisUrl'),
        JITBOT_KEY_PREFIX: refusedPrefix,
        JITBOT_DATA_DIR: path.join(dir, 'refused'),
        JITBOT_POLICY: path.join(dir, 'policy.yaml'),
        PORT: String(await freePort()),
        ...env,
      },
    });
  };

  it('refuses to start over HTTP with a blank signing secret', async () => {
    const result = await refusal({ SLACK_BOT_TOKEN: fake.botToken, SLACK_SIGNING_SECRET: '   ' });
    expect(result.code).not.toBe(0);
    expect(result.timedOut).toBe(false);
    expect(result.stderr).toContain('SLACK_SIGNING_SECRET is empty');
  }, 40_000);

  it('refuses to start with a bot token Slack rejects', async () => {
    const result = await refusal({ SLACK_BOT_TOKEN: 'xoxb-wrong', SLACK_SIGNING_SECRET: SIGNING_SECRET });
    expect(result.code).not.toBe(0);
    expect(result.timedOut).toBe(false);
    expect(result.stderr).toContain('Slack refused SLACK_BOT_TOKEN (invalid_auth)');
    expect(result.stderr).not.toContain('xoxb-wrong');
  }, 40_000);

  it('refuses to start when SLACK_TEAM_ID names another workspace than the bot token’s', async () => {
    const result = await refusal({ SLACK_BOT_TOKEN: fake.botToken, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_TEAM_ID: 'T0OTHER' });
    expect(result.code).not.toBe(0);
    expect(result.timedOut).toBe(false);
    expect(result.stderr).toContain('SLACK_TEAM_ID is T0OTHER, but SLACK_BOT_TOKEN belongs to workspace T0FAKE');
  }, 40_000);
});

describe('Slack: the lifecycle in chat', () => {
  it('request → approve → active DM → expiring-soon DM (Extend, Release now) → ended DM, the card updated at each step', async () => {
    const reply = await slash(U.alice, 'request deploy 12s fixing INC-1');
    expect(reply.text).toMatch(/JIT-\d+: requested deploy for 12s; waiting for 1 approval/);
    const id = idIn(reply.text);

    const card = await until('the approval card', () => cardOf(id));
    const cardText = allText(card.blocks);
    expect(cardText).toContain(`<@${U.alice}>`);
    expect(cardText).toContain('Deploy to production');
    expect(cardText).toContain('12s');
    expect(cardText).toContain('fixing INC-1');
    expect(cardText).toContain('0 of 1');
    expect(actionIds(card.blocks)).toEqual(['jit_approve', 'jit_deny']);
    await waitForDm(U.alice, id, 'received');

    expect(await click(U.bob, 'jit_approve', id)).toBe(`You approved ${id}; access is being issued to alice.`);
    const active = await waitForDm(U.alice, id, 'approved and active');
    expect(allText(active.args.blocks)).toContain('It ends at');
    expect(actionIds(active.args.blocks)).toEqual(['jit_release']);
    await until('the card to show the grant active', () => cardUpdates(id).some((u) => allText(u.args.blocks).includes('Active until')));
    const activeCard = cardUpdates(id).find((u) => allText(u.args.blocks).includes('Active until'))!;
    expect(allText(activeCard.args.blocks)).toContain('1 of 1 (bob)');
    expect(actionIds(activeCard.args.blocks)).toEqual([]);

    const expiring = await waitForDm(U.alice, id, 'expires soon', 15_000);
    expect(actionIds(expiring.args.blocks)).toEqual(['jit_extend', 'jit_release']);

    await waitForDm(U.alice, id, 'has ended', 15_000);
    await until('the card to show the grant ended', () => cardUpdates(id).some((u) => allText(u.args.blocks).includes('Ended: expired')));
    expect(await statusOf(id)).toBe('expired');
    // Exactly one DM of each kind, and the card was updated in place (never re-posted).
    for (const phrase of ['received', 'approved and active', 'expires soon', 'has ended']) expect(dmsTo(U.alice, (t) => t.includes(id) && t.includes(phrase))).toHaveLength(1);
    expect(fake.messagesIn(APPROVALS).filter((m) => allText(m.blocks).split('\n').includes(`${id} · jitbot`))).toHaveLength(1);
  }, 60_000);

  it('N of M: two distinct approvers are needed, and the card counts them by name', async () => {
    const reply = await slash(U.alice, 'request two-keys 10m restoring backups for INC-42');
    const id = idIn(reply.text);
    expect(reply.text).toContain('waiting for 2 approval(s)');
    await until('the card', () => cardOf(id));

    expect(await click(U.carol, 'jit_approve', id)).toBe(`You approved ${id}; it needs 1 more approval(s).`);
    await until('the card to show 1 of 2', () => cardUpdates(id).some((u) => allText(u.args.blocks).includes('1 of 2 (carol)')));
    const halfway = cardUpdates(id).find((u) => allText(u.args.blocks).includes('1 of 2 (carol)'))!;
    expect(actionIds(halfway.args.blocks)).toEqual(['jit_approve', 'jit_deny']);
    expect(await click(U.carol, 'jit_approve', id)).toContain('already approved');

    expect(await click(U.dave, 'jit_approve', id)).toContain(`You approved ${id}; access is being issued to alice.`);
    await waitForDm(U.alice, id, 'approved and active');
    await until('the card to show 2 of 2', () => cardUpdates(id).some((u) => allText(u.args.blocks).includes('2 of 2 (carol, dave)') && allText(u.args.blocks).includes('Active until')));
    expect(await click(U.alice, 'jit_release', id)).toContain('being revoked now');
  }, 60_000);

  it('deny asks for a reason in a modal; the reason reaches the requester and the card escaped, pinging nobody', async () => {
    const id = await requestDeploy(U.alice, '10m');
    await until('the card', () => cardOf(id));
    const tag = nextTag('deny');
    const trigger = fake.triggerId();
    await sender.post(sender.buttonClick({ userId: U.bob, actionId: 'jit_deny', value: id, responseUrl: fake.responseUrl(tag), triggerId: trigger }));
    const opened = await until('the deny modal', () => fake.okCallsOf('views.open', (c) => c.args.trigger_id === trigger)[0]);
    expect(opened.args.view.callback_id).toBe('jit_deny_form');
    const metadata = String(opened.args.view.private_metadata);

    // An empty reason is refused inline, under its field.
    const empty = await sender.post(
      sender.viewSubmission({ userId: U.bob, callbackId: 'jit_deny_form', privateMetadata: metadata, values: { reason: { jit_reason: { type: 'plain_text_input', value: '   ' } } } }),
    );
    expect(JSON.parse(empty.text)).toEqual({ response_action: 'errors', errors: { reason: 'Say why, so the requester knows.' } });
    expect(await statusOf(id)).toBe('pending');

    const hostile = '<!channel> no <@U0BOB> *bold* _it_ `code` <https://evil.example|click> & more';
    const submitted = await sender.post(
      sender.viewSubmission({ userId: U.bob, callbackId: 'jit_deny_form', privateMetadata: metadata, values: { reason: { jit_reason: { type: 'plain_text_input', value: hostile } } } }),
    );
    expect(submitted.status).toBe(200);
    expect(submitted.text).toBe('');
    expect((await fake.waitForResponse(tag)).body.text).toBe(`You denied ${id}.`);

    const dm = await waitForDm(U.alice, id, 'denied');
    const escaped = '&lt;!channel&gt; no &lt;@U0BOB&gt; *bold* _it_ `code` &lt;https://evil.example|click&gt; &amp; more';
    expect(allText(dm.args.blocks)).toContain(escaped);
    await until('the card to show the denial', () => cardUpdates(id).some((u) => allText(u.args.blocks).includes(`Denied by bob: ${escaped}`)));
    const denied = cardUpdates(id).find((u) => allText(u.args.blocks).includes('Denied by bob'))!;
    expect(actionIds(denied.args.blocks)).toEqual([]);
    // Nowhere in anything jitbot sent to Slack does the raw mention or link survive.
    for (const call of fake.calls) {
      const text = JSON.stringify(call.args);
      expect(text).not.toContain('<!channel>');
      expect(text).not.toContain('<https://evil');
    }
    expect(await click(U.carol, 'jit_approve', id)).toBe(`${id} is already denied by bob, so it cannot be approved now.`);
  }, 60_000);

  it('refuses self-approval, outsiders, non-approvers and double clicks, privately', async () => {
    const own = await requestDeploy(U.bob, '10m');
    expect(await click(U.bob, 'jit_approve', own)).toBe('You cannot approve or deny your own request.');
    expect(await click(U.stranger, 'jit_approve', own)).toContain(`jitbot does not know you yet`);
    expect(await click(U.stranger, 'jit_approve', own)).toContain(U.stranger);
    expect(await click(U.alice, 'jit_approve', own)).toBe('You are not an approver for deploy.');
    expect(await statusOf(own)).toBe('pending');

    // A double click: two distinct, correctly signed clicks at once. One approval, one refusal.
    const id = await requestDeploy(U.alice, '10m');
    const answers = await Promise.all([click(U.carol, 'jit_approve', id), click(U.carol, 'jit_approve', id)]);
    expect(answers.filter((a) => a.startsWith(`You approved ${id}`))).toHaveLength(1);
    expect(answers.filter((a) => a.includes('already approved'))).toHaveLength(1);
    await waitForDm(U.alice, id, 'approved and active');
    const request = await store.get(id);
    expect(request?.approvals.map((a) => a.person)).toEqual(['carol']);
    expect(await click(U.bob, 'jit_approve', id)).toMatch(new RegExp(`^${id} is already approved by carol and (being issued|active until .*), so it cannot be approved now\\.$`));
    await click(U.alice, 'jit_release', id);
    await click(U.bob, 'jit_cancel', own);
  }, 60_000);

  it('cancel from the "received" DM; a stale Approve afterwards is answered "cancelled"', async () => {
    const id = await requestDeploy(U.alice, '10m');
    const received = await waitForDm(U.alice, id, 'received');
    expect(actionIds(received.args.blocks)).toEqual(['jit_cancel']);
    expect(await click(U.bob, 'jit_cancel', id)).toBe(`Only alice, who asked for ${id}, may cancel it.`);
    expect(await click(U.alice, 'jit_cancel', id)).toBe(`${id} is cancelled.`);
    await until('the card to show the cancellation', () => cardUpdates(id).some((u) => allText(u.args.blocks).includes('Cancelled by alice')));
    expect(actionIds(cardUpdates(id).at(-1)!.args.blocks)).toEqual([]);
    expect(await click(U.bob, 'jit_approve', id)).toBe(`${id} is cancelled, so it cannot be approved now.`);
  }, 60_000);

  it('release now: access ends at once, the requester is told, the card says released', async () => {
    const id = await activeGrant('30m');
    expect(await click(U.alice, 'jit_release', id)).toBe(`${id}: your access is being revoked now.`);
    await waitForDm(U.alice, id, 'has ended');
    await until('the card to show the release', () => cardUpdates(id).some((u) => allText(u.args.blocks).includes('Ended: released by alice')));
    expect(await statusOf(id)).toBe('released');
    expect(await click(U.alice, 'jit_release', id)).toContain(`${id} is over (released)`);
  }, 60_000);

  it('extend: a modal asks how long and why, approvers approve the extension on the card, the requester is told', async () => {
    const id = await activeGrant('1m');
    const before = await store.get(id);
    const trigger = fake.triggerId();
    const tag = nextTag('extend');
    await sender.post(sender.buttonClick({ userId: U.alice, actionId: 'jit_extend', value: id, responseUrl: fake.responseUrl(tag), triggerId: trigger }));
    const opened = await until('the extend modal', () => fake.okCallsOf('views.open', (c) => c.args.trigger_id === trigger)[0]);
    expect(opened.args.view.callback_id).toBe('jit_extend_form');
    const metadata = String(opened.args.view.private_metadata);
    const values = (duration: string, reason = 'need more time') => ({
      'duration:': { jit_duration: { type: 'plain_text_input', value: duration } },
      reason: { jit_reason: { type: 'plain_text_input', value: reason } },
    });

    const bad = await sender.post(sender.viewSubmission({ userId: U.alice, callbackId: 'jit_extend_form', privateMetadata: metadata, values: values('-5m') }));
    expect(JSON.parse(bad.text).response_action).toBe('errors');
    expect(JSON.parse(bad.text).errors['duration:']).toContain('is not a duration');

    const ok = await sender.post(sender.viewSubmission({ userId: U.alice, callbackId: 'jit_extend_form', privateMetadata: metadata, values: values('30s') }));
    expect(ok.text).toBe('');
    expect((await fake.waitForResponse(tag)).body.text).toBe(`${id}: extension of 30s requested; approvers have been asked.`);
    await until('the card to offer the extension', () =>
      cardUpdates(id).some((u) => allText(u.args.blocks).includes('Extension of 30s requested') && actionIds(u.args.blocks).includes('jit_approve')),
    );
    expect(await click(U.bob, 'jit_approve', id)).toContain(`You approved the extension of ${id}`);
    await waitForDm(U.alice, id, 'extended');
    const after = await store.get(id);
    expect(after?.status === 'active' && before?.status === 'active' && after.window.end - before.window.end).toBe(30_000);
    await click(U.alice, 'jit_release', id);
  }, 60_000);
});

describe('Slack: /jit mistakes get a private answer that says what would be right', () => {
  it.each([
    ['request nope 1h', 'There is no resource "nope". You may request: deploy, two-keys.'],
    ['request deploy 0m', '"0m" is zero; a duration must be longer than that. deploy may be requested for 10s to 1h.'],
    ['request deploy -5m', '"-5m" is not a duration. Use a number with a unit: 45s, 30m, 2h, 1d or 1h30m. deploy may be requested for 10s to 1h.'],
    ['request deploy 9h', '9h is out of range: deploy may be requested for 10s to 1h.'],
    ['request deploy 5s', '5s is out of range: deploy may be requested for 10s to 1h.'],
    ['request two-keys 1h', 'two-keys needs a reason matching ^[A-Z]+-[0-9]+$, e.g. /jit request two-keys 1h fixing INC-7.'],
    ['request two-keys 1h no ticket here', 'two-keys needs a ticket in the reason matching ^[A-Z]+-[0-9]+$.'],
    ['request deploy', 'Say for how long: /jit request deploy <duration> <reason>, e.g. /jit request deploy 12s fixing INC-7.'],
    ['deploy', 'Say for how long: /jit deploy <duration> <reason>, e.g. /jit deploy 12s fixing INC-7.'],
    ['approve banana', '"banana" is not a request id; ids look like JIT-42.'],
    ['approve', 'Say which request: /jit approve JIT-42.'],
    ['approve JIT-999999', 'There is no request JIT-999999. /jit list shows yours.'],
    ['extend JIT-1', 'Say how much longer: /jit extend JIT-1 30m <reason>.'],
  ])('/jit %s', async (text, expected) => {
    expect((await slash(U.alice, text)).text).toBe(expected.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
  });

  it('answers help, resources and list, and strangers, all ephemeral', async () => {
    expect((await slash(U.alice, 'help')).text).toContain('/jit request &lt;resource&gt; &lt;duration&gt;');
    const resources = (await slash(U.alice, 'resources')).text;
    expect(resources).toContain('deploy: Deploy to production (10s to 1h, default 12s; reason optional)');
    expect(resources).toContain('two-keys');
    expect((await slash(U.erin, 'request deploy 1m')).text).toBe('You may not request deploy. You may not request any resource.');
    expect((await slash(U.alice, 'list')).text).toContain('Your requests (newest first):');
    expect((await slash(U.stranger, 'help')).text).toContain(`jitbot does not know you yet: ask an admin to add your Slack user id ${U.stranger}`);
  });
});

describe('Slack: the request form (/jit alone)', () => {
  it('opens a modal within the trigger window, re-renders on a resource choice, validates inline, then requests', async () => {
    const tag = nextTag('form');
    const trigger = fake.triggerId();
    const sent = await sender.post(sender.command({ userId: U.alice, text: '', responseUrl: fake.responseUrl(tag), triggerId: trigger }));
    expect(sent.status).toBe(200);
    const opened = await until('the request form', () => fake.okCallsOf('views.open', (c) => c.args.trigger_id === trigger)[0]);
    const view = opened.args.view;
    expect(view.callback_id).toBe('jit_request_form');
    const select = view.blocks.find((b: Json) => b.block_id === 'resource').element;
    expect(select.options.map((o: Json) => o.value)).toEqual(['deploy', 'two-keys']);
    expect(select.options[0].description.text).toContain('Deploy to production');
    expect(select.options[0].description.text).toContain('10s to 1h, default 12s');

    // Choosing a resource re-renders the form with its default duration and its reason rules.
    const stored = [...fake.views.values()].find((v) => v.view === view)!;
    await sender.post(sender.selectInView({ userId: U.alice, actionId: 'jit_form_resource', blockId: 'resource', value: 'two-keys', view: { id: stored.id, hash: stored.hash, private_metadata: view.private_metadata } }));
    const updated = await until('views.update', () => fake.okCallsOf('views.update', (c) => c.args.view_id === stored.id)[0]);
    const durationBlock = updated.args.view.blocks.find((b: Json) => String(b.block_id).startsWith('duration:'));
    expect(durationBlock.block_id).toBe('duration:two-keys');
    expect(durationBlock.element.initial_value).toBe('30s');
    const reasonBlock = updated.args.view.blocks.find((b: Json) => b.block_id === 'reason');
    expect(reasonBlock.optional).toBe(false);
    expect(reasonBlock.hint.text).toContain('^[A-Z]+-[0-9]+$');

    const submit = (duration: string, reason: string, resource = 'two-keys') =>
      sender.post(
        sender.viewSubmission({
          userId: U.alice,
          callbackId: 'jit_request_form',
          privateMetadata: String(view.private_metadata),
          values: {
            resource: { jit_form_resource: { type: 'static_select', selected_option: { value: resource } } },
            [`duration:${resource}`]: { jit_duration: { type: 'plain_text_input', value: duration } },
            reason: { jit_reason: { type: 'plain_text_input', value: reason } },
          },
        }),
      );
    const zero = JSON.parse((await submit('0m', 'INC-5')).text);
    expect(zero).toEqual({ response_action: 'errors', errors: { 'duration:two-keys': '"0m" is zero; a duration must be longer than that. two-keys may be requested for 10s to 2h.' } });
    const long = JSON.parse((await submit('3h', 'INC-5')).text);
    expect(long.errors['duration:two-keys']).toBe('3h is out of range: two-keys may be requested for 10s to 2h.');
    const noTicket = JSON.parse((await submit('1h', 'because')).text);
    expect(noTicket.errors.reason).toBe('two-keys needs a ticket in the reason matching ^[A-Z]+-[0-9]+$.');
    const unknown = JSON.parse((await submit('1h', 'INC-5', 'ghost')).text);
    expect(unknown.errors.resource).toBe('There is no resource "ghost". You may request: deploy, two-keys.');
    expect(fake.responsesTo(tag)).toHaveLength(0);

    const ok = await submit('', 'restore INC-5');
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('');
    const reply = await fake.waitForResponse(tag);
    expect(reply.body.response_type).toBe('ephemeral');
    expect(String(reply.body.text)).toMatch(/^JIT-\d+: requested two-keys for 30s; waiting for 2 approval\(s\)/);
    await slash(U.alice, `cancel ${idIn(String(reply.body.text))}`);
  }, 60_000);

  it('tells the user when the trigger has already expired', async () => {
    const trigger = fake.triggerId();
    await new Promise((resolve) => setTimeout(resolve, 3100));
    const reply = await slash(U.alice, '', { triggerId: trigger });
    expect(reply.text).toContain('Slack did not open the request form in time');
  }, 20_000);
});

describe('Slack: App Home', () => {
  it('publishes my grants, my pending requests and what waits on me, and refreshes when they change', async () => {
    await sender.post(sender.event({ type: 'app_home_opened', user: U.carol, channel: 'DCAROL', tab: 'home' }));
    await until('carol’s home', () => fake.homes.get(U.carol));
    const id = await requestDeploy(U.alice, '10m');
    await until('carol’s home to list the new request', () => allText(fake.homes.get(U.carol)?.blocks).includes(`${id} · alice asks for deploy`));
    const home = fake.homes.get(U.carol)!;
    expect(home.type).toBe('home');
    expect(actionIds(home.blocks)).toEqual(expect.arrayContaining(['jit_approve', 'jit_deny']));

    await sender.post(sender.event({ type: 'app_home_opened', user: U.alice, channel: 'DALICE', tab: 'home' }));
    await until('alice’s home to list the pending request with Cancel', () => allText(fake.homes.get(U.alice)?.blocks).includes(`${id} · deploy for 10m`));
    expect(actionIds(fake.homes.get(U.alice)!.blocks)).toContain('jit_cancel');

    // A click on the Home tab has no response_url: the answer comes in a small modal, the tab refreshes.
    const opens = fake.okCallsOf('views.open').length;
    await sender.post(sender.buttonClick({ userId: U.carol, actionId: 'jit_approve', value: id, fromHome: true }));
    const notice = await until('the answer modal', () => fake.okCallsOf('views.open').slice(opens).find((c) => c.args.view.callback_id === 'jit_notice'));
    expect(allText(notice.args.view.blocks)).toContain(`You approved ${id}`);
    await until('alice’s home to show the active grant with Extend and Release', () => {
      const blocks = fake.homes.get(U.alice)?.blocks;
      return allText(blocks).includes(`${id} · deploy · until`) && actionIds(blocks).includes('jit_extend');
    });
    await until('carol’s home to drop it', () => !allText(fake.homes.get(U.carol)?.blocks).includes(`${id} · alice asks`));
    await click(U.alice, 'jit_release', id);
  }, 60_000);

  it('tells a stranger how to get added', async () => {
    await sender.post(sender.event({ type: 'app_home_opened', user: U.stranger, channel: 'DX', tab: 'home' }));
    const home = await until('the stranger’s home', () => fake.homes.get(U.stranger));
    expect(allText(home.blocks)).toContain(`Slack user id ${U.stranger}`);
  });
});

describe('Slack: ingress security', () => {
  const healthy = async (): Promise<void> => {
    expect((await fetch(`${base()}/healthz`)).status).toBe(200);
    expect((await slash(U.alice, 'help')).text).toContain('jitbot: just-in-time access');
  };

  it.each([
    ['a forged signature', (body: string) => sender.post(body, { signature: sender.signature(Math.floor(Date.now() / 1000), body, 'not-the-secret') })],
    ['a modified body', (body: string) => sender.post(`${body}&extra=1`, { signature: sender.signature(Math.floor(Date.now() / 1000), body) })],
    ['a v1= signature', (body: string) => sender.post(body, { signature: sender.signature(Math.floor(Date.now() / 1000), body).replace('v0=', 'v1=') })],
    ['a stale timestamp (5 min 1 s old)', (body: string) => {
      const ts = Math.floor(Date.now() / 1000) - 301;
      return sender.post(body, { timestampSec: ts, signature: sender.signature(ts, body) });
    }],
    ['a future timestamp (5 min 1 s ahead)', (body: string) => {
      const ts = Math.floor(Date.now() / 1000) + 301;
      return sender.post(body, { timestampSec: ts, signature: sender.signature(ts, body) });
    }],
    ['a timestamp an hour ahead', (body: string) => {
      const ts = Math.floor(Date.now() / 1000) + 3600;
      return sender.post(body, { timestampSec: ts, signature: sender.signature(ts, body) });
    }],
    ['no signature header', (body: string) => sender.post(body, { signature: null })],
    ['no timestamp header', (body: string) => sender.post(body, { timestampHeader: null })],
    ['a non-numeric timestamp', (body: string) => sender.post(body, { timestampHeader: '1e9' })],
  ])('refuses %s with 401 and does nothing', async (_label, send) => {
    const tag = nextTag('forged');
    const body = sender.command({ userId: U.alice, text: 'request deploy 1m forged', responseUrl: fake.responseUrl(tag) });
    const response = await send(body);
    expect(response.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(fake.responsesTo(tag)).toHaveLength(0);
    await healthy();
  });

  it('refuses an oversized body with 413 before reading it, and stays healthy', async () => {
    const body = `payload=${'x'.repeat(300 * 1024)}`;
    const response = await sender.post(body);
    expect(response.status).toBe(413);
    await healthy();
  });

  it('answers ssl_check without dispatching anything smuggled beside it', async () => {
    const tag = nextTag('ssl');
    const smuggled = `ssl_check=1&${sender.command({ userId: U.alice, text: 'request deploy 1m smuggled', responseUrl: fake.responseUrl(tag) })}`;
    const response = await sender.post(smuggled, { signature: null, timestampHeader: null });
    expect(response.status).toBe(200);
    const almost = await sender.post('ssl_check=1x', { signature: null, timestampHeader: null });
    expect(almost.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(fake.responsesTo(tag)).toHaveLength(0);
  });

  it('answers url_verification, and refuses signed but malformed bodies with 400', async () => {
    const challenge = await sender.post(JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 't' }), { contentType: 'application/json' });
    expect(challenge.status).toBe(200);
    expect(JSON.parse(challenge.text)).toEqual({ challenge: 'c-123' });
    expect((await sender.post('payload=%7Bnot-json', {})).status).toBe(400);
    expect((await sender.post('{"type":', { contentType: 'application/json' })).status).toBe(400);
    expect((await sender.post('hello', { contentType: 'text/plain' })).status).toBe(400);
    await healthy();
  });

  it('gives a replayed signed request no second effect', async () => {
    const tag = nextTag('replay');
    const ts = Math.floor(Date.now() / 1000);
    const body = sender.command({ userId: U.alice, text: 'request deploy 10m replay test', responseUrl: fake.responseUrl(tag) });
    const signature = sender.signature(ts, body);
    const first = await sender.post(body, { timestampSec: ts, signature });
    const second = await sender.post(body, { timestampSec: ts, signature });
    expect([first.status, second.status]).toEqual([200, 200]);
    const reply = await fake.waitForResponse(tag);
    const id = idIn(String(reply.body.text));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(fake.responsesTo(tag)).toHaveLength(1);
    const mine = await store.listByRequester('alice', 50);
    expect(mine.filter((r) => r.reason === 'replay test')).toHaveLength(1);

    // The same for a click: a captured Approve replayed is not a second approval attempt.
    const clickTag = nextTag('replay-click');
    const clickBody = sender.buttonClick({ userId: U.bob, actionId: 'jit_approve', value: id, responseUrl: fake.responseUrl(clickTag) });
    const clickTs = Math.floor(Date.now() / 1000);
    const clickSignature = sender.signature(clickTs, clickBody);
    await sender.post(clickBody, { timestampSec: clickTs, signature: clickSignature });
    await sender.post(clickBody, { timestampSec: clickTs, signature: clickSignature });
    expect((await fake.waitForResponse(clickTag)).body.text).toContain(`You approved ${id}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(fake.responsesTo(clickTag)).toHaveLength(1);
    await waitForDm(U.alice, id, 'approved and active');
    await click(U.alice, 'jit_release', id);
  }, 30_000);
});

describe('Slack: what the requester is told after a person decides', () => {
  const toAlice = (args: Json): boolean => args.channel === fake.dmChannelOf(U.alice);
  const texts = (id: string): string[] => fake.callsOf('chat.postMessage', (c) => toAlice(c.args) && allText(c.args.blocks).includes(id)).map((c) => allText(c.args.blocks));

  /** Whether a "received" DM job of one of these requests is still queued, delayed or running in BullMQ. */
  async function receivedJobQueued(ids: string[]): Promise<boolean> {
    const queue = new Queue('notify', { connection: redis, prefix: `${prefix}bull` });
    try {
      const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'prioritized']);
      return jobs.some((job) => job?.data?.message === 'received' && ids.includes(job.data.requestId));
    } finally {
      await queue.close();
    }
  }

  it('a request approved or denied by a person while its "received" DM waits never gets a "received" DM claiming "approved by policy"', async () => {
    // Slack refuses alice's "received" DMs until both requests are decided, so they are delivered late.
    fake.fail('chat.postMessage', { kind: 'rate_limited', retryAfter: '1' }, Infinity, (args) => toAlice(args) && allText(args.blocks).includes(' received'));
    const approved = await requestDeploy(U.alice, '1m', 'approved early');
    const denied = await requestDeploy(U.alice, '1m', 'denied early');
    await until('both "received" DMs tried while pending', () => [approved, denied].every((id) => texts(id).some((t) => t.includes(`${id} received`))));
    expect(await click(U.bob, 'jit_approve', approved)).toContain(`You approved ${approved}`);
    expect((await slash(U.carol, `deny ${denied} not this week`)).text).toBe(`You denied ${denied}.`);
    await waitForDm(U.alice, approved, 'approved and active');
    await waitForDm(U.alice, denied, 'denied by carol: not this week');
    fake.clearFaults('chat.postMessage');
    await until('the late "received" jobs to finish', async () => !(await receivedJobQueued([approved, denied])), 30_000);

    for (const id of [approved, denied]) {
      expect(texts(id).join('\n')).not.toContain('approved by policy');
      expect(dmsTo(U.alice, (t) => t.includes(`${id} received`))).toHaveLength(0);
    }
    await click(U.alice, 'jit_release', approved);
  }, 60_000);

  it('/jit deny without a reason is refused with what to type, and changes nothing', async () => {
    const id = await requestDeploy(U.alice, '10m');
    await until('the card', () => cardOf(id));
    const reply = await slash(U.bob, `deny ${id}`);
    expect(reply.text).toBe(`A reason is required to deny, so the requester knows why: /jit deny ${id} &lt;reason&gt;. Nothing was changed.`);
    expect(await statusOf(id)).toBe('pending');
    expect((await store.auditOf(id)).map((e) => e.type)).toEqual(['request.created']);
    expect(cardUpdates(id)).toEqual([]);
    expect((await slash(U.bob, 'help')).text).toContain('/jit deny &lt;id&gt; &lt;reason…&gt;');
    await click(U.alice, 'jit_cancel', id);
  }, 30_000);

  it("an admin's revoke reason reaches the requester's DM and the card, escaped", async () => {
    const id = await activeGrant('30m');
    const reason = 'left the team <!here>';
    expect((await slash(U.bob, `revoke ${id} ${reason}`)).text).toBe(`${id}: access of alice is being revoked now.`);
    const dm = await waitForDm(U.alice, id, 'has ended');
    expect(allText(dm.args.blocks)).toContain('has ended (revoked by bob). Reason: left the team &lt;!here&gt;');
    await until('the card to show the revoke and its reason', () =>
      cardUpdates(id).some((u) => /Ended: revoked by bob at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\. Reason: left the team &lt;!here&gt;/.test(allText(u.args.blocks))),
    );
  }, 30_000);
});

/** A payload as another installation would send it: same app secret (so correctly signed), other ids. */
function foreign(body: string, change: (payload: Json) => void): string {
  const form = new URLSearchParams(body);
  const payload = form.get('payload');
  if (payload !== null) {
    const parsed = JSON.parse(payload) as Json;
    change(parsed);
    return new URLSearchParams({ payload: JSON.stringify(parsed) }).toString();
  }
  if (body.startsWith('{')) {
    const parsed = JSON.parse(body) as Json;
    change(parsed);
    return JSON.stringify(parsed);
  }
  const fields: Json = Object.fromEntries(form);
  change(fields);
  return new URLSearchParams(fields as Record<string, string>).toString();
}

const otherWorkspace = (p: Json): void => {
  if (p.team) p.team.id = 'T0EVIL';
  if (p.user?.team_id) p.user.team_id = 'T0EVIL';
  if (p.view?.team_id) p.view.team_id = 'T0EVIL';
  if (typeof p.team_id === 'string') p.team_id = 'T0EVIL';
};

/** A loopback listener that records every request it gets: where a hostile response_url points. */
async function listener(host: string): Promise<{ url: (tag: string) => string; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const server = (await import('node:http')).createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port: at } = server.address() as net.AddressInfo;
  return { url: (tag) => `http://${host}:${at}/response/${tag}`, hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('Slack: pinned to its installation', () => {
  it('acts on no correctly signed payload from another workspace, organization or app; the installation’s own still work', async () => {
    const id = await requestDeploy(U.alice, '10m', 'pinning');
    await until('the card', () => cardOf(id));
    const tags: string[] = [];
    const send = async (body: string): Promise<void> => {
      const response = await sender.post(body);
      expect(response.status).toBe(200);
      expect(response.text).toBe('');
    };
    const approveFrom = (change: (p: Json) => void): string => {
      const tag = nextTag('foreign');
      tags.push(tag);
      return foreign(sender.buttonClick({ userId: U.bob, actionId: 'jit_approve', value: id, responseUrl: fake.responseUrl(tag) }), change);
    };
    // The finding: an Approve click from another workspace approved the request.
    await send(approveFrom(otherWorkspace));
    await send(approveFrom((p) => void (p.api_app_id = 'A0EVIL')));
    await send(approveFrom((p) => void (p.enterprise = { id: 'E0EVIL', name: 'Evil Corp' })));
    await send(approveFrom((p) => void delete p.team));
    const commandTag = nextTag('foreign-cmd');
    tags.push(commandTag);
    await send(foreign(sender.command({ userId: U.alice, text: 'request deploy 1m foreign', responseUrl: fake.responseUrl(commandTag) }), otherWorkspace));
    const formTag = nextTag('foreign-form');
    tags.push(formTag);
    await send(
      foreign(
        sender.viewSubmission({
          userId: U.bob,
          callbackId: 'jit_deny_form',
          privateMetadata: JSON.stringify({ requestId: id, responseUrl: fake.responseUrl(formTag) }),
          values: { reason: { jit_reason: { type: 'plain_text_input', value: 'foreign deny' } } },
        }),
        otherWorkspace,
      ),
    );
    await send(foreign(sender.event({ type: 'app_home_opened', user: 'U0FOREIGN', channel: 'D0FOREIGN', tab: 'home' }), otherWorkspace));

    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await statusOf(id)).toBe('pending');
    for (const tag of tags) expect(fake.responsesTo(tag)).toEqual([]);
    expect(fake.homes.has('U0FOREIGN')).toBe(false);
    expect((await store.listByRequester('alice', 100)).some((r) => r.reason === 'foreign')).toBe(false);
    // Logged, but not once per payload: one line per reason a minute.
    const ignored = jitbot.stderr().split('\n').filter((line) => line.includes('slack payload ignored: not from this installation'));
    expect(ignored.filter((line) => line.includes('"reason":"other workspace"'))).toHaveLength(1);
    expect(ignored.length).toBeLessThanOrEqual(3);
    expect(jitbot.stderr()).toContain('"app":"A0JITBOT"');

    expect(await click(U.bob, 'jit_approve', id)).toBe(`You approved ${id}; access is being issued to alice.`);
    await waitForDm(U.alice, id, 'approved and active');
    await click(U.alice, 'jit_release', id);
  }, 30_000);

  it('posts answers only to response_urls on Slack’s hosts: a hostile one (also in a modal’s private_metadata) gets nothing, the answer goes by DM', async () => {
    const otherHost = await listener('127.0.0.2');
    const otherPort = await listener('127.0.0.1');
    try {
      const textDm = (userId: string, phrase: string) =>
        until(`a DM to ${userId} saying "${phrase}"`, () => fake.okCallsOf('chat.postMessage', (c) => c.args.channel === fake.dmChannelOf(userId) && String(c.args.text).includes(phrase))[0]);

      await sender.post(sender.command({ userId: U.alice, text: 'request deploy 10m hostile url', responseUrl: otherHost.url('cmd') }));
      const requested = await textDm(U.alice, 'requested deploy for 10m');
      const id = idIn(String(requested.args.text));

      await sender.post(sender.buttonClick({ userId: U.bob, actionId: 'jit_approve', value: id, responseUrl: otherPort.url('click') }));
      await textDm(U.bob, `You approved ${id}`);

      const other = await requestDeploy(U.alice, '10m', 'hostile metadata');
      await sender.post(
        sender.viewSubmission({
          userId: U.bob,
          callbackId: 'jit_deny_form',
          privateMetadata: JSON.stringify({ requestId: other, responseUrl: otherHost.url('form') }),
          values: { reason: { jit_reason: { type: 'plain_text_input', value: 'not now' } } },
        }),
      );
      await textDm(U.bob, `You denied ${other}.`);
      expect(await statusOf(other)).toBe('denied');

      expect(otherHost.hits).toEqual([]);
      expect(otherPort.hits).toEqual([]);
      expect(jitbot.stderr()).toContain('response_url is not on a Slack host; answering by DM instead');
      await click(U.alice, 'jit_release', id);
    } finally {
      await otherHost.close();
      await otherPort.close();
    }
  }, 30_000);
});

describe('Slack: credentials too large for one message', () => {
  const codeBlocks = (blocks: unknown): string =>
    (blocks as Json[])
      .filter((b) => b.type === 'section' && typeof b.text?.text === 'string' && b.text.text.startsWith('```'))
      .map((b) => String(b.text.text).slice(3, -3))
      .join('');

  it('a 20 KB credential arrives whole in the active DM', async () => {
    const value = Array.from({ length: 20 * 1024 }, (_, i) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[i % 64]).join('');
    hook.extraAnswer = { secret: { label: 'token', value } };
    const reply = await slash(FRANK, 'request credentials 10m medium');
    const id = idIn(reply.text);
    const dm = await waitForDm(FRANK, id, 'approved and active');
    expect(codeBlocks(dm.args.blocks)).toBe(value);
    await click(FRANK, 'jit_release', id);
  }, 30_000);

  it('a 40 KB credential is never cut: the grant fails with the reason, the requester is told, and it is revoked once', async () => {
    hook.extraAnswer = { secret: { label: 'kubeconfig', value: 'k'.repeat(40 * 1024) } };
    const reply = await slash(FRANK, 'request credentials 10m huge');
    const id = idIn(reply.text);
    const dm = await waitForDm(FRANK, id, 'failed');
    const text = allText(dm.args.blocks);
    expect(text).toContain(
      'the credential is 40 KB, more than Slack can deliver whole in one message (28 KB); it was not sent and is being revoked. Ask an admin to have the issuer return a smaller credential',
    );
    expect(text).not.toContain('kkkkkkkkkk');
    expect(await statusOf(id)).toBe('failed');
    // No DM, card or anything else jitbot sent carries the credential, even in part.
    expect(fake.calls.some((c) => JSON.stringify(c.args).includes('k'.repeat(100)))).toBe(false);
    const forGrant = (type: string) => hook.applied.filter((e) => e.type === type && ((e.body.data as Json).grant as Json).id === id);
    await until('the revocation at the receiver', () => forGrant('grant.deactivate').length > 0);
    await until('the revocation in the audit trail', async () => (await store.auditOf(id)).some((a) => a.type === 'grant.defensive_revoke'));
    const audit = await store.auditOf(id);
    expect(audit.find((a) => a.type === 'grant.issue_failed')?.data).toMatchObject({ reason: 'secret_too_large', bytes: 40 * 1024, maxBytes: 28 * 1024, platform: 'Slack' });
    expect(audit.some((a) => a.type === 'grant.issued')).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(forGrant('grant.activate')).toHaveLength(1);
    expect(forGrant('grant.deactivate')).toHaveLength(1);
    expect(dmsTo(FRANK, (t) => t.includes(id) && t.includes('approved and active'))).toHaveLength(0);
  }, 30_000);
});

describe('Slack: Web API failures', () => {
  const isDm = (args: Json): boolean => String(args.channel ?? '').startsWith('D');

  it('a 5xx, a garbled Retry-After or a call slower than the timeout is retried: the DM arrives once; a failed card update is retried too', async () => {
    const daveDm = (args: Json): boolean => args.channel === fake.dmChannelOf(U.dave);
    fake.fail('chat.postMessage', { kind: 'http', status: 503 }, 1, daveDm);
    fake.fail('chat.postMessage', { kind: 'rate_limited', retryAfter: 'soon' }, 1, daveDm);
    fake.fail('chat.postMessage', { kind: 'slow', delayMs: 6500 }, 1, daveDm);
    const id = await requestDeploy(U.dave, '10m');
    await waitForDm(U.dave, id, 'received', 30_000);
    expect(fake.callsOf('chat.postMessage', (c) => daveDm(c.args) && c.fault !== undefined).map((c) => c.fault)).toEqual(['http', 'rate_limited', 'slow']);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(dmsTo(U.dave, (t) => t.includes(id) && t.includes('received'))).toHaveLength(1);

    await until('the card', () => cardOf(id));
    fake.fail('chat.update', { kind: 'http', status: 500 }, 1);
    await click(U.dave, 'jit_cancel', id);
    await until('the card to show the cancellation despite a 500', () => cardUpdates(id).some((u) => allText(u.args.blocks).includes('Cancelled by dave')));
    expect(fake.callsOf('chat.update', (c) => c.fault === 'http').length).toBe(1);
  }, 60_000);

  it('a card whose first post fails is posted by a retry', async () => {
    fake.fail('chat.postMessage', { kind: 'http', status: 503 }, 1, (args) => args.channel === APPROVALS);
    const id = await requestDeploy(U.dave, '10m');
    await until('the card despite the failure', () => cardOf(id), 20_000);
    await click(U.dave, 'jit_cancel', id);
  }, 40_000);

  it('Slack 429 on chat.postMessage delays DMs (delivered later, once each) and does not delay revoking', async () => {
    fake.fail('chat.postMessage', { kind: 'rate_limited', retryAfter: '3' }, Infinity, isDm);
    const started = Date.now();
    const id = await requestDeploy(U.alice, '12s', 'rate limited');
    await until('the card (channel posts are not rate-limited here)', () => cardOf(id));
    expect(await click(U.bob, 'jit_approve', id)).toContain(`You approved ${id}`);
    const active = await until('the grant to be active', async () => {
      const request = await store.get(id);
      return request?.status === 'active' ? request : undefined;
    });
    // Revocation happens on time even though every DM is being refused meanwhile.
    const ended = await until('the grant to be revoked on time', async () => {
      const request = await store.get(id);
      return request?.status === 'expired' ? request : undefined;
    }, 25_000);
    expect(ended.status).toBe('expired');
    timing('Slack 429 on every DM: revoked after the end', ended.status === 'expired' ? ended.endedAt - active.window.end : Infinity, 3000);
    await until('the card to show the end', () => cardUpdates(id).some((u) => allText(u.args.blocks).includes('Ended: expired')));
    const refused = fake.callsOf('chat.postMessage', (c) => c.fault === 'rate_limited' && c.at > started && c.args.channel === fake.dmChannelOf(U.alice));
    expect(refused.length).toBeGreaterThanOrEqual(3);
    expect(dmsTo(U.alice, (t) => t.includes(id))).toHaveLength(0);
    // Each refused DM waited out its Retry-After before trying again (the WebClient did not retry on its own).
    const byKind = new Map<string, number[]>();
    for (const call of refused) {
      const key = String(call.args.blocks?.[0]?.text?.text ?? '');
      byKind.set(key, [...(byKind.get(key) ?? []), call.at]);
    }
    for (const times of byKind.values()) for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(2900);

    fake.clearFaults('chat.postMessage');
    await waitForDm(U.alice, id, 'approved and active', 20_000);
    await waitForDm(U.alice, id, 'has ended', 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const phrase of ['approved and active', 'has ended']) expect(dmsTo(U.alice, (t) => t.includes(id) && t.includes(phrase))).toHaveLength(1);
    // The "received" DM would only tell of a state long gone (bob approved meanwhile): it is dropped, not delivered late.
    expect(dmsTo(U.alice, (t) => t.includes(id) && t.includes('received'))).toHaveLength(0);
    // The reminder about a grant that already ended is dropped, not delivered late.
    expect(dmsTo(U.alice, (t) => t.includes(id) && t.includes('expires soon'))).toHaveLength(0);
  }, 90_000);

  it('keeps acknowledging throughout (Slack’s 3 seconds: held by test:timing and npm run bench)', () => {
    const summary = sender.latencySummary();
    expect(summary.count).toBeGreaterThan(50);
    timing('Slack ack latency p99', summary.p99, 1000);
    timing('Slack ack latency max', summary.max, 2500);
  });
});
