import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FakeSlack, type Json } from '../fakes/fake-slack.js';
import { FakeSlackSender } from '../fakes/fake-slack-sender.js';
import { FakeSlackSocket } from '../fakes/fake-slack-socket.js';
import { startJitbot, type JitbotProcess } from '../support/jitbot-process.js';
import { deleteByPrefix, uniquePrefix } from '../support/redis.js';
import { waitFor, type Check } from '../support/wait-for.js';
import { TIMING, timing } from '../support/timing.js';

// Socket Mode (SLACK_APP_TOKEN): the real `jitbot start` opens apps.connections.open on the fake Web API
// and a WebSocket to a fake Socket Mode endpoint; envelopes go in, acks come back over the socket.

const POLICY = `version: 1
settings: { approvalTimeout: 2m, reminderBefore: 5s, minDuration: 10s, reannounceAfter: 30m }
people:
  alice: { slack: U0ALICE }
  bob: { slack: U0BOB }
groups: { sre: [bob], engineers: [alice] }
issuers: { gate: { type: none } }
resources:
  deploy:
    description: Deploy to production
    issuer: gate
    requesters: [group:engineers]
    approvers: [group:sre]
    defaultDuration: 1m
    maxDuration: 1h
    reason: optional
    channel: { slack: C0APPROVALS }
`;

let fake: FakeSlack;
let socket: FakeSlackSocket;
let jitbot: JitbotProcess;
let port = 0;
let prefix = '';
let dir = '';
// Builds Slack payloads (the signing secret is not used over a socket).
const build = new FakeSlackSender({ baseUrl: () => '', signingSecret: 'unused' });

/** The shared waitFor, with the tail of jitbot's log in the error when the wait runs out. */
const until = <T>(what: string, check: Check<T>, timeoutMs = 15_000): Promise<T> =>
  waitFor(what, check, timeoutMs, 25, () => `--- jitbot stderr ---\n${jitbot.stderr().slice(-3000)}`);

const allText = (value: unknown): string => JSON.stringify(value ?? '');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as net.AddressInfo;
      server.close(() => resolve(free));
    });
  });
}

beforeAll(async () => {
  fake = await new FakeSlack().start();
  socket = await new FakeSlackSocket().start();
  fake.socketModeUrl = () => socket.url;
  port = await freePort();
  prefix = uniquePrefix('slacksm');
  dir = mkdtempSync(path.join(tmpdir(), 'jitbot-slack-socket-'));
  writeFileSync(path.join(dir, 'policy.yaml'), POLICY);
  jitbot = startJitbot(['start'], {
    timeoutMs: 5 * 60_000,
    env: {
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_APP_TOKEN: fake.appToken,
      SLACK_API_URL: fake.apiUrl,
      REDIS_URL: inject('redisUrl'),
      JITBOT_KEY_PREFIX: prefix,
      JITBOT_DATA_DIR: path.join(dir, 'data'),
      JITBOT_POLICY: path.join(dir, 'policy.yaml'),
      PORT: String(port),
      HOST: '127.0.0.1',
    },
  });
  await until('jitbot to start', () => {
    if (jitbot.child.exitCode !== null) throw new Error(`jitbot exited: ${jitbot.stderr()}`);
    return jitbot.stderr().includes('jitbot running');
  }, 30_000);
}, 60_000);

afterAll(async () => {
  if (socket?.acks.length && TIMING) {
    const sorted = socket.acks.map((a) => a.ms).sort((a, b) => a - b);
    console.log(`Socket Mode ack latency over ${sorted.length} envelopes: p50 ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`);
  }
  jitbot?.kill('SIGTERM');
  await jitbot?.result;
  await socket?.stop();
  await fake?.stop();
  const redis = new Redis(inject('redisUrl'));
  await deleteByPrefix(redis, prefix);
  redis.disconnect();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('Slack over Socket Mode', () => {
  it('connects with the app-level token and serves no HTTP endpoint for Slack', async () => {
    expect(fake.okCallsOf('apps.connections.open')).toHaveLength(1);
    expect(socket.connections).toBe(1);
    expect((await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', body: 'x' })).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  it('acks a slash command, an Approve click and app_home_opened over the socket, and does the work after', async () => {
    const command = Object.fromEntries(new URLSearchParams(build.command({ userId: 'U0ALICE', text: 'request deploy 1m over the socket', responseUrl: fake.responseUrl('sm-cmd') })));
    const commandAck = await socket.waitForAck(socket.send('slash_commands', command));
    timing('Socket Mode ack of a slash command', commandAck.ms, 1000);
    const reply = await fake.waitForResponse('sm-cmd');
    expect(reply.body.response_type).toBe('ephemeral');
    const id = /JIT-\d+/.exec(String(reply.body.text))![0];
    expect(String(reply.body.text)).toBe(`${id}: requested deploy for 1m; waiting for 1 approval(s). You will get a DM when it is decided.`);
    await until('the card', () => fake.messagesIn('C0APPROVALS').find((m) => allText(m.blocks).includes(`${id} · jitbot`)));

    const click = JSON.parse(new URLSearchParams(build.buttonClick({ userId: 'U0BOB', actionId: 'jit_approve', value: id, responseUrl: fake.responseUrl('sm-click') })).get('payload')!) as Json;
    const clickAck = await socket.waitForAck(socket.send('interactive', click));
    timing('Socket Mode ack of a click', clickAck.ms, 1000);
    expect((await fake.waitForResponse('sm-click')).body.text).toBe(`You approved ${id}; access is being issued to alice.`);
    await until('the active DM', () => fake.okCallsOf('chat.postMessage', (c) => c.args.channel === 'D0ALICE' && allText(c.args.blocks).includes(`${id} approved and active`))[0]);

    const event = JSON.parse(build.event({ type: 'app_home_opened', user: 'U0ALICE', channel: 'D0ALICE', tab: 'home' })) as Json;
    await socket.waitForAck(socket.send('events_api', event));
    await until('alice’s home', () => allText(fake.homes.get('U0ALICE')?.blocks).includes(`${id} · deploy · until`));

    const release = JSON.parse(new URLSearchParams(build.buttonClick({ userId: 'U0ALICE', actionId: 'jit_release', value: id, responseUrl: fake.responseUrl('sm-release') })).get('payload')!) as Json;
    await socket.waitForAck(socket.send('interactive', release));
    expect((await fake.waitForResponse('sm-release')).body.text).toBe(`${id}: your access is being revoked now.`);
  }, 60_000);

  it('acks but ignores envelopes from another workspace or app; the app id comes from the app-level token', async () => {
    const command = Object.fromEntries(new URLSearchParams(build.command({ userId: 'U0ALICE', text: 'request deploy 1m pinned', responseUrl: fake.responseUrl('sm-pin') })));
    await socket.waitForAck(socket.send('slash_commands', command));
    const id = /JIT-\d+/.exec(String((await fake.waitForResponse('sm-pin')).body.text))![0];
    await until('the card', () => fake.messagesIn('C0APPROVALS').find((m) => allText(m.blocks).includes(`${id} · jitbot`)));

    const click = (tag: string, change: (p: Json) => void): Json => {
      const payload = JSON.parse(new URLSearchParams(build.buttonClick({ userId: 'U0BOB', actionId: 'jit_approve', value: id, responseUrl: fake.responseUrl(tag) })).get('payload')!) as Json;
      change(payload);
      return payload;
    };
    await socket.waitForAck(socket.send('interactive', click('sm-evil-team', (p) => void (p.team.id = 'T0EVIL'))));
    await socket.waitForAck(socket.send('interactive', click('sm-evil-app', (p) => void (p.api_app_id = 'A0EVIL'))));
    await socket.waitForAck(socket.send('slash_commands', { ...command, team_id: 'T0EVIL', response_url: fake.responseUrl('sm-evil-cmd') }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const tag of ['sm-evil-team', 'sm-evil-app', 'sm-evil-cmd']) expect(fake.responsesTo(tag)).toEqual([]);
    expect(jitbot.stderr()).toContain('slack payload ignored: not from this installation');
    expect(jitbot.stderr()).toContain('"app":"A0JITBOT"');

    await socket.waitForAck(socket.send('interactive', click('sm-ok', () => undefined)));
    expect((await fake.waitForResponse('sm-ok')).body.text).toBe(`You approved ${id}; access is being issued to alice.`);
  }, 60_000);
});
