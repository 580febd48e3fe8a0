// The Teams app end to end: the real `jitbot start` process, Bot Framework activities posted the way
// Teams sends them, and a fake Bot Connector (the activities' serviceUrl) recording what the bot
// creates and updates.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectTestRedis, type TestRedis } from '../support/redis.js';
import { aadId, personalConversationId, TeamsSimulator, type TeamsChannel, type TeamsUser, type Where } from '../fakes/bot-framework-activities.js';
import { actionVerbs, cardOf, cardText, choiceValues, inputIds, refreshUserIds, type Json } from '../fakes/bot-framework-cards.js';
import { startJitbotServer, type RunningJitbot } from '../fakes/bot-framework-harness.js';
import { FakeBotConnector } from '../fakes/fake-bot-connector.js';

const TENANT = 'b5d1f5c2-0d3e-4a6b-9f1e-7c2a1d4e5f60';
const CHANNEL: TeamsChannel = { teamId: '19:team-general@thread.tacv2', channelId: '19:jit-approvals@thread.tacv2' };
const ids = { alice: aadId(), bob: aadId(), carol: aadId(), dave: aadId(), erin: aadId(), mallory: aadId(), grace: aadId() };

const POLICY = `
version: 1
settings:
  approvalTimeout: 5m
  reminderBefore: 6s
  minDuration: 10s
  reannounceAfter: 10s
people:
  alice: { teams: ${ids.alice} }
  bob: { teams: ${ids.bob} }
  carol: { teams: ${ids.carol} }
  dave: { teams: ${ids.dave} }
  erin: { teams: ${ids.erin} }
  mallory: { teams: ${ids.mallory} }
  grace: { teams: ${ids.grace} }
groups:
  leads: [carol, dave, erin]
issuers:
  gate: { type: none }
resources:
  deploy:
    description: Deploy to production
    issuer: gate
    approvers: [bob, carol]
    approvals: 1
    defaultDuration: 12s
    maxDuration: 1h
    reason: required
    channel: { teams: '${CHANNEL.channelId}' }
  two-keys:
    description: Read the customer database
    issuer: gate
    approvers: [group:leads]
    approvals: 2
    defaultDuration: 10m
    maxDuration: 1h
    reason: optional
    channel: { teams: '${CHANNEL.channelId}' }
  audit-logs:
    issuer: gate
    requesters: [alice]
    approvers: [grace]
    maxDuration: 1h
    reason: optional
    channel: { teams: '${CHANNEL.channelId}' }
  break-glass:
    issuer: gate
    requesters: [bob]
    approvers: [carol]
    maxDuration: 1h
    channel: { teams: '${CHANNEL.channelId}' }
`;

let fake: FakeBotConnector;
let redis: TestRedis;
let dir: string;
let bot: RunningJitbot;
let sim: TeamsSimulator;
let alice: TeamsUser, bob: TeamsUser, carol: TeamsUser, dave: TeamsUser, erin: TeamsUser, mallory: TeamsUser, stranger: TeamsUser;
let unreachableRequest: string;

const inChannel = (threadId?: string): Where => ({ kind: 'channel', channel: CHANNEL, ...(threadId ? { threadId } : {}) });
const dms = (user: TeamsUser): Json[] => fake.sentTo(personalConversationId(user));
const lastDm = (user: TeamsUser): Json | undefined => dms(user).at(-1);
const summaries = (user: TeamsUser): string[] => dms(user).map((m) => String(m.summary ?? m.text ?? ''));

/** The channel thread of a request's approval card. */
function cardPost(id: string) {
  return fake.channelPosts(CHANNEL.channelId).find((m) => cardText(m.versions[0]).includes(`${id}:`) && cardText(m.versions[0]).includes('Requester'));
}

async function waitForCard(id: string): Promise<string> {
  await expect.poll(() => cardPost(id), { timeout: 10_000 }).toBeDefined();
  return cardPost(id)!.activityId;
}

const currentCard = (id: string): Json | undefined => {
  const post = cardPost(id);
  return post ? fake.current(post.activityId) : undefined;
};

/** Types a request in the personal chat and returns its id (from jitbot's answer). */
async function typeRequest(user: TeamsUser, text: string): Promise<string> {
  const before = dms(user).length;
  expect((await sim.message(user, text)).status).toBe(200);
  await vi.waitFor(() => expect(dms(user).length).toBeGreaterThan(before), { timeout: 5000 });
  const answer = dms(user)
    .slice(before)
    .map((m) => cardText(m))
    .join('\n');
  const id = /(JIT-\d+): requested/.exec(answer)?.[1];
  if (!id) throw new Error(`no request id in: ${answer}`);
  return id;
}

async function auditEvents(type?: string): Promise<Json[]> {
  const entries = (await redis.redis.xrange(`${redis.prefix}audit`, '-', '+')) as [string, string[]][];
  const events = entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('body') + 1]!) as Json);
  return type ? events.filter((e) => e.type === type) : events;
}

beforeAll(async () => {
  fake = await FakeBotConnector.start();
  redis = await connectTestRedis('teams');
  dir = mkdtempSync(path.join(tmpdir(), 'jitbot-teams-e2e-'));
  writeFileSync(path.join(dir, 'policy.yaml'), POLICY);
  bot = await startBot();
  sim = new TeamsSimulator({ botUrl: `${bot.url}/api/messages`, serviceUrl: fake.url, tenantId: TENANT });
  alice = sim.user('alice', ids.alice);
  bob = sim.user('bob', ids.bob);
  carol = sim.user('carol', ids.carol);
  dave = sim.user('dave', ids.dave);
  erin = sim.user('erin', ids.erin);
  mallory = sim.user('mallory', ids.mallory);
  stranger = sim.user('stranger', aadId());
  for (const user of [alice, bob, carol, dave, mallory]) expect((await sim.installPersonal(user)).status).toBe(200);
  // erin never opened jitbot: she is known from the team's roster, read when jitbot joins the team.
  fake.setRoster(CHANNEL.teamId, TeamsSimulator.roster([alice, bob, carol, dave, erin, mallory]));
  for (const result of await sim.installInTeam(bob, CHANNEL)) expect(result.status).toBe(200);
  // grace never installed jitbot: the reminder to approve this request cannot reach her (checked at the end).
  unreachableRequest = await typeRequest(alice, 'request audit-logs 10m reading last week');
}, 90_000);

afterAll(async () => {
  await bot?.stop().catch(() => undefined);
  await fake?.close();
  await redis?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function startBot(): Promise<RunningJitbot> {
  return startJitbotServer({
    REDIS_URL: redis.url,
    JITBOT_KEY_PREFIX: redis.prefix,
    JITBOT_DATA_DIR: dir,
    JITBOT_POLICY: path.join(dir, 'policy.yaml'),
    TEAMS_INSECURE_NO_AUTH: '1',
    TEAMS_TENANT_ID: TENANT,
    JITBOT_LOCK_DURATION_MS: '2000',
    JITBOT_STALLED_INTERVAL_MS: '1000',
    JITBOT_RETRY_BASE_MS: '200',
    JITBOT_RETRY_CAP_MS: '1000',
  });
}

describe('Teams app (jitbot start, Bot Framework activities, fake Bot Connector)', () => {
  it('greets people who install it and starts loud about running without authentication', () => {
    expect(summaries(alice)[0]).toBe('Welcome to jitbot');
    expect(cardText(dms(alice)[0])).toContain('Send "request" for the request form');
    expect(bot.logs()).toMatch(/INSECURE: Microsoft Teams requests are NOT authenticated/);
  });

  it('"request" opens a form with only what the person may request, and validates it with clear errors', async () => {
    const before = dms(alice).length;
    await sim.message(alice, 'request');
    await expect.poll(() => dms(alice).length).toBeGreaterThan(before);
    const form = lastDm(alice);
    expect(choiceValues(form, 'resource')).toEqual(['audit-logs', 'deploy', 'two-keys']);
    expect(inputIds(form)).toEqual(['resource', 'duration', 'reason']);
    expect(actionVerbs(form)).toEqual(['requestSubmit']);
    // `/jit` alone does the same, and bob (who may also request break-glass) gets his own choices.
    await sim.message(bob, '/jit');
    await expect.poll(() => choiceValues(lastDm(bob), 'resource')).toEqual(['break-glass', 'deploy', 'two-keys']);

    const zero = await sim.invoke(alice, 'requestSubmit', { resource: 'deploy', duration: '0m', reason: 'x' });
    expect(zero.status).toBe(200);
    expect(cardText(zero.body)).toMatch(/"0m" is zero/);
    expect(inputIds(zero.body)).toEqual(['resource', 'duration', 'reason']);
    const long = await sim.invoke(alice, 'requestSubmit', { resource: 'deploy', duration: '9h', reason: 'x' });
    expect(cardText(long.body)).toContain('9h is out of range: deploy may be requested for 10s to 1h');
    const noReason = await sim.invoke(alice, 'requestSubmit', { resource: 'deploy', duration: '12s', reason: '  ' });
    expect(cardText(noReason.body)).toContain('deploy needs a reason');
    const unknown = await sim.invoke(alice, 'requestSubmit', { resource: 'nope', duration: '1m', reason: 'x' });
    expect(cardText(unknown.body)).toContain('There is no resource "nope". You may request: audit-logs, deploy, two-keys.');
    // Names every JavaScript object has are no resource either.
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const inherited = await sim.invoke(alice, 'requestSubmit', { resource: name, duration: '1h', reason: 'x' });
      // (Card text escapes Markdown: `__proto__` shows as `\_\_proto\_\_`.)
      expect(cardText(inherited.body)).toContain(`There is no resource "${name.replace(/_/g, '\\_')}". You may request: audit-logs, deploy, two-keys.`);
    }
    const forbidden = await sim.invoke(alice, 'requestSubmit', { resource: 'break-glass', duration: '1m', reason: 'x' });
    expect(cardText(forbidden.body)).toContain('You may not request break-glass.');
    const essay = await sim.invoke(alice, 'requestSubmit', { resource: 'deploy', duration: '1m', reason: 'x'.repeat(3001) });
    expect(cardText(essay.body)).toContain('keep it under 3000');
    // The values typed stay in the form that comes back.
    expect(JSON.stringify(cardOf(long.body))).toContain('"value":"9h"');
  });

  it('request → approve → active DM → expiring soon → ended, the channel card updated at every step', async () => {
    const submitted = await sim.invoke(alice, 'requestSubmit', { resource: 'deploy', duration: '12s', reason: 'fixing INC-7 *now* [see](https://evil.example)' });
    const id = /(JIT-\d+): requested deploy for 12s/.exec(cardText(submitted.body))?.[1];
    expect(id, cardText(submitted.body)).toBeDefined();
    const activityId = await waitForCard(id!);
    const posted = fake.messages.get(activityId)!.versions[0]!;
    // Everyone sees the status; the approvers' clients refresh it into a view with buttons.
    expect(actionVerbs(posted)).toEqual([]);
    expect(refreshUserIds(posted)).toEqual([bob.id, carol.id]);
    expect(cardOf(posted)?.version).toBe('1.5');
    expect(cardText(posted)).toContain('Reason: fixing INC-7 \\*now\\* \\[see\\](https://evil.example)');
    await expect.poll(() => summaries(alice)).toContain(`${id} received`);

    const where = inChannel(activityId);
    const bobView = await sim.invoke(bob, 'refresh', { requestId: id }, { where, trigger: 'automatic' });
    expect(actionVerbs(bobView.body)).toEqual(['approve', 'deny']);
    expect(actionVerbs((await sim.invoke(alice, 'refresh', { requestId: id }, { where, trigger: 'automatic' })).body)).toEqual(['cancel']);
    expect(actionVerbs((await sim.invoke(mallory, 'refresh', { requestId: id }, { where, trigger: 'automatic' })).body)).toEqual([]);

    const approved = await sim.invoke(bob, 'approve', { requestId: id }, { where });
    expect(cardText(approved.body)).toContain(`You approved ${id}; access is being issued to alice.`);
    expect(actionVerbs(approved.body)).toEqual([]);

    await expect.poll(() => cardText(currentCard(id!)), { timeout: 10_000 }).toContain(`${id}: active`);
    expect(cardText(currentCard(id!))).toContain('Approvals: 1 of 1 (bob)');
    expect(refreshUserIds(currentCard(id!))).toEqual([]);
    await expect.poll(() => summaries(alice), { timeout: 10_000 }).toContain(`${id} approved and active`);
    const activeDm = dms(alice).find((m) => m.summary === `${id} approved and active`);
    expect(actionVerbs(activeDm)).toEqual(['release']);

    await expect.poll(() => summaries(alice), { timeout: 15_000 }).toContain(`${id} expires soon`);
    expect(actionVerbs(dms(alice).find((m) => m.summary === `${id} expires soon`))).toEqual(['extend', 'release']);
    await expect.poll(() => summaries(alice), { timeout: 20_000 }).toContain(`${id} ended`);
    await expect.poll(() => cardText(currentCard(id!)), { timeout: 10_000 }).toContain('Ended: expired');
    const versions = fake.messages.get(activityId)!.versions.map((v) => cardText(v).split('\n')[0]);
    expect(versions[0]).toBe(`${id}: alice requests deploy`);
    expect(versions).toContain(`${id}: active`);
    expect(versions.at(-1)).toBe(`${id}: ended`);
    // Every update was in place: one thread for the request.
    expect(fake.channelPosts(CHANNEL.channelId).filter((m) => cardText(m.versions[0]).startsWith(`${id}:`))).toHaveLength(1);
  }, 60_000);

  it('N of M: two distinct approvers; a second click by the same one counts once; a DM survives 429s', async () => {
    const id = await typeRequest(alice, 'request two-keys 10m quarterly numbers');
    const activityId = await waitForCard(id);
    const where = inChannel(activityId);
    expect(refreshUserIds(fake.current(activityId))).toEqual([carol.id, dave.id, erin.id]);

    const first = await sim.invoke(carol, 'approve', { requestId: id }, { where });
    expect(cardText(first.body)).toContain(`You approved ${id}; it needs 1 more approval(s).`);
    await expect.poll(() => cardText(currentCard(id))).toContain('Approvals: 1 of 2 (carol)');
    const again = await sim.invoke(carol, 'approve', { requestId: id }, { where });
    expect(cardText(again.body)).toContain(`You have already approved ${id}; it needs 1 more.`);
    expect(actionVerbs((await sim.invoke(carol, 'refresh', { requestId: id }, { where })).body)).toEqual([]);
    expect(actionVerbs((await sim.invoke(erin, 'refresh', { requestId: id }, { where })).body)).toEqual(['approve', 'deny']);

    // Teams throttles the next DMs: more 429s than the SDK's own retries, so the notify job retries too.
    fake.failNext(6, { status: 429, retryAfterSeconds: 0, kinds: ['send'] });
    const second = await sim.invoke(dave, 'approve', { requestId: id }, { where });
    expect(cardText(second.body)).toContain(`You approved ${id}; access is being issued to alice.`);
    await expect.poll(() => summaries(alice), { timeout: 20_000 }).toContain(`${id} approved and active`);
    expect(fake.calls.filter((c) => c.status === 429).length).toBeGreaterThanOrEqual(6);
    await expect.poll(() => cardText(currentCard(id))).toContain('Approvals: 2 of 2 (carol, dave)');

    // The requester releases from the DM: the DM card answers in place, the channel card follows.
    const released = await sim.invoke(alice, 'release', { requestId: id });
    expect(cardText(released.body)).toContain(`${id}: your access is being revoked now.`);
    await expect.poll(() => cardText(currentCard(id)), { timeout: 10_000 }).toContain('Ended: released by alice');
    await expect.poll(() => summaries(alice), { timeout: 10_000 }).toContain(`${id} ended`);
  }, 60_000);

  it('Deny asks for a reason; the reason reaches the card (escaped, through 5xx) and the requester; a later click is answered privately', async () => {
    const id = await typeRequest(alice, 'request deploy 10m hotfix for checkout');
    const activityId = await waitForCard(id);
    const where = inChannel(activityId);

    const form = await sim.invoke(bob, 'deny', { requestId: id }, { where });
    expect(inputIds(form.body)).toEqual(['reason']);
    expect(actionVerbs(form.body)).toEqual(['denySubmit', 'refresh']);
    const empty = await sim.invoke(bob, 'denySubmit', { requestId: id, reason: '   ' }, { where });
    expect(cardText(empty.body)).toContain('Say why, so the requester knows.');
    expect(cardText(currentCard(id))).toContain(`${id}: alice requests deploy`);

    // The Bot Connector has a bad moment: more 503s than the SDK retries, so the card job retries too.
    fake.failNext(5, { status: 503, kinds: ['update'] });
    const denied = await sim.invoke(bob, 'denySubmit', { requestId: id, reason: 'not during the freeze: **see** [wiki](http://x.example)' }, { where });
    expect(cardText(denied.body)).toContain(`You denied ${id}.`);
    await expect.poll(() => cardText(currentCard(id)), { timeout: 25_000 }).toContain('Denied by bob: not during the freeze: \\*\\*see\\*\\* \\[wiki\\](http://x.example)');
    expect(fake.calls.filter((c) => c.kind === 'update' && c.activityId === activityId && c.status === 503)).toHaveLength(5);
    expect(actionVerbs(currentCard(id))).toEqual([]);
    await expect.poll(() => summaries(alice), { timeout: 10_000 }).toContain(`${id} denied`);
    expect(cardText(dms(alice).find((m) => m.summary === `${id} denied`))).toContain('was denied by bob: not during the freeze');

    // carol's client still shows the old buttons: her click is answered to her alone.
    const updatesBefore = fake.messages.get(activityId)!.versions.length;
    const stale = await sim.invoke(carol, 'approve', { requestId: id }, { where });
    expect(cardText(stale.body)).toContain(`${id} is already denied by bob, so it cannot be approved now.`);
    expect(actionVerbs(stale.body)).toEqual([]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(fake.messages.get(activityId)!.versions).toHaveLength(updatesBefore);
    const staleDeny = await sim.invoke(carol, 'deny', { requestId: id }, { where });
    expect(cardText(staleDeny.body)).toContain(`${id} is already denied by bob`);
    expect(inputIds(staleDeny.body)).toEqual([]);
  }, 45_000);

  it('refuses self-approval, outsiders and strangers (audited), by Entra id and never by display name', async () => {
    const id = await typeRequest(alice, 'request deploy 10m self approval attempt');
    const activityId = await waitForCard(id);
    const where = inChannel(activityId);
    const self = await sim.invoke(alice, 'approve', { requestId: id }, { where });
    expect(cardText(self.body)).toContain('You cannot approve or deny your own request.');
    const outsider = await sim.invoke(mallory, 'approve', { requestId: id }, { where });
    expect(cardText(outsider.body)).toContain('You are not an approver for deploy.');
    const nobody = await sim.invoke(stranger, 'approve', { requestId: id }, { where });
    expect(cardText(nobody.body)).toContain('jitbot does not know you yet');
    // A stranger who calls themselves "bob" is still a stranger.
    const impostor = await sim.invoke({ ...stranger, name: 'bob' }, 'approve', { requestId: id }, { where });
    expect(cardText(impostor.body)).toContain('jitbot does not know you yet');
    const noEntraId = await sim.post({
      type: 'invoke',
      name: 'adaptiveCard/action',
      id: 'no-aad-1',
      channelId: 'msteams',
      serviceUrl: fake.url,
      from: { id: bob.id, name: 'bob' },
      recipient: { id: sim.botId },
      conversation: { id: CHANNEL.channelId, conversationType: 'channel', tenantId: TENANT },
      channelData: { tenant: { id: TENANT } },
      value: { action: { type: 'Action.Execute', verb: 'approve', data: { requestId: id } } },
    });
    expect(cardText(noEntraId.body)).toContain('came without one');

    const refused = (await auditEvents('approve.refused')).filter((e) => e.requestId === id);
    expect(refused.map((e) => (e.data as Json).code)).toEqual(['POLICY.SELF_APPROVAL', 'POLICY.NOT_APPROVER']);
    expect(actionVerbs((await sim.invoke(bob, 'refresh', { requestId: id }, { where })).body)).toEqual(['approve', 'deny']);

    const cancelled = await sim.invoke(alice, 'cancel', { requestId: id });
    expect(cardText(cancelled.body)).toContain(`${id} is cancelled.`);
    await expect.poll(() => cardText(currentCard(id)), { timeout: 10_000 }).toContain(`Cancelled by alice.`);
  });

  it('answers bad input with what would be right', async () => {
    const ask = async (text: string): Promise<string> => {
      const before = dms(alice).length;
      await sim.message(alice, text);
      await expect.poll(() => dms(alice).length).toBeGreaterThan(before);
      return cardText(lastDm(alice));
    };
    expect(await ask('request nope 1h x')).toContain('There is no resource "nope". You may request: audit-logs, deploy, two-keys.');
    expect(await ask('request deploy 0m x')).toContain('"0m" is zero');
    expect(await ask('deploy -5m x')).toMatch(/"-5m" is not a duration.*deploy may be requested for 10s to 1h/s);
    expect(await ask('/jit request deploy 2h x')).toContain('2h is out of range: deploy may be requested for 10s to 1h');
    expect(await ask('approve banana')).toContain('"banana" is not a request id; ids look like JIT-42.');
    expect(await ask('deny')).toContain('Say which request: /jit deny JIT-42.');
    expect(await ask('help')).toContain('/jit list');

    const notJson = await fetch(`${bot.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":' });
    expect(notJson.status).toBe(400);
    const noType = await fetch(`${bot.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hi"}' });
    expect(noType.status).toBe(400);
    const noServiceUrl = await sim.post({ type: 'invoke', name: 'adaptiveCard/action', id: 'x1', channelId: 'msteams', from: { id: alice.id, aadObjectId: ids.alice }, recipient: { id: sim.botId }, conversation: { id: 'c' }, channelData: { tenant: { id: TENANT } }, value: {} });
    expect(noServiceUrl.status).toBe(400);
    const oddButton = await sim.invoke(alice, 'selfDestruct', { requestId: 'JIT-1' });
    expect(cardText(oddButton.body)).toContain('jitbot does not know this button.');
    const noSuchRequest = await sim.invoke(bob, 'approve', { requestId: 'JIT-99999' });
    expect(cardText(noSuchRequest.body)).toContain('There is no request JIT-99999.');
  });

  it('a redelivered activity has one effect', async () => {
    const before = fake.channelPosts(CHANNEL.channelId).length;
    const first = await sim.message(alice, 'request deploy 10m duplicate delivery check', { id: 'dup-message-1' });
    const again = await sim.message(alice, 'request deploy 10m duplicate delivery check', { id: 'dup-message-1' });
    expect([first.status, again.status]).toEqual([200, 200]);
    await expect.poll(() => fake.channelPosts(CHANNEL.channelId).length).toBe(before + 1);
    const id = /(JIT-\d+):/.exec(cardText(fake.channelPosts(CHANNEL.channelId).at(-1)!.versions[0]))![1]!;
    expect(cardText(currentCard(id))).toContain('duplicate delivery check');
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.channelPosts(CHANNEL.channelId).length).toBe(before + 1);
    expect(dms(alice).filter((m) => cardText(m).includes('requested deploy for 10m') && cardText(m).includes(id))).toHaveLength(1);

    const where = inChannel(cardPost(id)!.activityId);
    const approve = await sim.invoke(bob, 'approve', { requestId: id }, { where, id: 'dup-invoke-1' });
    const replay = await sim.invoke(bob, 'approve', { requestId: id }, { where, id: 'dup-invoke-1' });
    expect(cardText(approve.body)).toContain(`You approved ${id}`);
    expect(cardText(replay.body)).toContain('Already done: this action was received twice.');
    expect((await auditEvents('request.approved')).filter((e) => e.requestId === id)).toHaveLength(1);
  });

  it('ignores (and audits) another tenant, and activities without one', async () => {
    const posts = fake.channelPosts(CHANNEL.channelId).length;
    const other = await sim.message(alice, 'request deploy 10m from another tenant', { tenantId: 'f0000000-0000-0000-0000-00000000000f' });
    expect(other.status).toBe(200);
    const none = await sim.message(alice, 'request deploy 10m from no tenant', { tenantId: null });
    expect(none.status).toBe(200);
    const click = await sim.invoke(bob, 'approve', { requestId: 'JIT-1' }, { tenantId: 'f0000000-0000-0000-0000-00000000000f' });
    expect(click.status).toBe(403);
    await new Promise((r) => setTimeout(r, 700));
    expect(fake.channelPosts(CHANNEL.channelId).length).toBe(posts);
    expect(dms(alice).filter((m) => /another tenant|no tenant/.test(cardText(m)))).toEqual([]);
    const rejected = await auditEvents('auth.tenant_rejected');
    expect(rejected.map((e) => (e.data as Json).tenant)).toEqual(expect.arrayContaining(['f0000000-0000-0000-0000-00000000000f', null]));
    expect(rejected.every((e) => (e.data as Json).expectedTenant === TENANT)).toBe(true);
    expect(bot.logs()).toContain('ignoring a Teams activity from another tenant');
  });

  it('by @mention in a channel, answers in the personal chat, never in the thread', async () => {
    const thread = fake.calls.length;
    const before = dms(dave).length;
    const result = await sim.message(dave, 'list', { where: inChannel() });
    expect(result.status).toBe(200);
    await expect.poll(() => dms(dave).length).toBeGreaterThan(before);
    expect(cardText(lastDm(dave))).toMatch(/You have no requests|Your requests/);
    const inThread = fake.calls.slice(thread).filter((c) => c.kind === 'reply' && c.conversationId === CHANNEL.channelId);
    expect(inThread.map((c) => c.body.text)).toEqual(['I answered you in our personal chat.']);

    // Someone jitbot only knows from the team roster: it opens the personal chat itself.
    expect(fake.calls.some((c) => c.kind === 'members' && c.conversationId === CHANNEL.teamId)).toBe(true);
    const opened = fake.calls.length;
    const newcomer = await sim.message(erin, 'resources', { where: inChannel() });
    expect(newcomer.status).toBe(200);
    await expect.poll(() => cardText(lastDm(erin))).toContain('You may request:');
    expect(fake.calls.slice(opened).filter((c) => c.kind === 'create-conversation').map((c) => c.body.members)).toEqual([[{ id: erin.id, name: '' }]]);
  });

  it('a person jitbot cannot reach is reported in the approvers\' channel and the logs, never skipped silently', async () => {
    await expect
      .poll(() => fake.channelPosts(CHANNEL.channelId).some((m) => cardText(m.versions[0]).includes(`${unreachableRequest}: grace cannot be reached in Teams`)), { timeout: 25_000 })
      .toBe(true);
    const notice = fake.channelPosts(CHANNEL.channelId).find((m) => cardText(m.versions[0]).includes('grace cannot be reached'))!;
    expect(cardText(notice.versions[0])).toContain('they have not installed jitbot in Teams or chatted with it yet');
    expect(bot.logs()).toContain('jitbot cannot reach grace in Microsoft Teams');
    const unreachable = (await auditEvents('notify.unreachable')).filter((e) => e.requestId === unreachableRequest);
    expect(unreachable[0]?.data).toMatchObject({ person: 'grace', platform: 'teams', message: 'reannounce' });
  }, 30_000);

  it('after a crash and restart, DMs and card updates still reach people through the stored references', async () => {
    const id = await typeRequest(alice, 'request deploy 10m survives a restart');
    const activityId = await waitForCard(id);
    await bot.crash();
    bot = await startBot();
    sim.options.botUrl = `${bot.url}/api/messages`;
    // The new process has seen no activity from alice: her personal chat comes from Redis.
    const approved = await sim.invoke(bob, 'approve', { requestId: id }, { where: inChannel(activityId) });
    expect(cardText(approved.body)).toContain(`You approved ${id}`);
    // Bounds on the waits only: a restarted process on a busy machine may take a while to get there.
    await expect.poll(() => summaries(alice), { timeout: 30_000 }).toContain(`${id} approved and active`);
    await expect.poll(() => cardText(fake.current(activityId)), { timeout: 30_000 }).toContain(`${id}: active`);
  }, 90_000);
});
