// One jitbot, two platforms: the same people known by their Slack and Teams ids, a resource whose
// approvals channel names a Slack channel and a Teams channel. A request made in Slack is approved in
// Teams (and the other way round); the cards on both platforms follow every change.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestRedis, type TestRedis } from '../support/redis.js';
import { aadId, TeamsSimulator, type TeamsChannel, type TeamsUser } from '../fakes/bot-framework-activities.js';
import { actionVerbs, cardText, refreshUserIds } from '../fakes/bot-framework-cards.js';
import { startJitbotServer, type RunningJitbot } from '../fakes/bot-framework-harness.js';
import { FakeBotConnector } from '../fakes/fake-bot-connector.js';
import { FakeSlack, type SlackCall } from '../fakes/fake-slack.js';
import { FakeSlackSender } from '../fakes/fake-slack-sender.js';

const SIGNING_SECRET = 'cross-platform-signing-secret-0123456789';
const SLACK_APPROVALS = 'C0APPROVALS';
const TENANT = 'b5d1f5c2-0d3e-4a6b-9f1e-7c2a1d4e5f60';
const TEAMS_APPROVALS: TeamsChannel = { teamId: '19:platform-team@thread.tacv2', channelId: '19:platform-approvals@thread.tacv2' };
const aad = { alice: aadId(), bob: aadId(), carol: aadId() };

const POLICY = `
version: 1
settings:
  approvalTimeout: 5m
  reminderBefore: 6s
  minDuration: 10s
  reannounceAfter: 30m
people:
  alice: { slack: U0ALICE, teams: ${aad.alice} }
  bob: { slack: U0BOB, teams: ${aad.bob} }
  carol: { slack: U0CAROL, teams: ${aad.carol} }
issuers:
  gate: { type: none }
resources:
  deploy:
    description: Deploy to production
    issuer: gate
    requesters: [alice]
    approvers: [bob, carol]
    approvals: 1
    defaultDuration: 12s
    maxDuration: 1h
    reason: required
    channel: { slack: ${SLACK_APPROVALS}, teams: '${TEAMS_APPROVALS.channelId}' }
`;

let slack: FakeSlack;
let sender: FakeSlackSender;
let connector: FakeBotConnector;
let redis: TestRedis;
let dir: string;
let bot: RunningJitbot;
let teams: TeamsSimulator;
let bob: TeamsUser;
let carol: TeamsUser;
let tags = 0;

/** Every string in a Slack payload. */
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

async function slash(userId: string, text: string): Promise<string> {
  const tag = `cmd-${++tags}`;
  const response = await sender.post(sender.command({ userId, text, responseUrl: slack.responseUrl(tag) }));
  expect(response.status).toBe(200);
  return String((await slack.waitForResponse(tag)).body.text);
}

const slackCard = (id: string) => slack.messagesIn(SLACK_APPROVALS).find((m) => allText(m.blocks).includes(id));
const slackCardUpdates = (id: string): SlackCall[] => {
  const card = slackCard(id);
  return card ? slack.okCallsOf('chat.update', (c) => c.args.ts === card.ts) : [];
};
const slackDms = (userId: string, id: string): string[] =>
  slack.okCallsOf('chat.postMessage', (c) => c.args.channel === slack.dmChannelOf(userId) && allText(c.args.blocks).includes(id)).map((c) => allText(c.args.blocks));
const teamsCard = (id: string) => connector.channelPosts(TEAMS_APPROVALS.channelId).find((m) => cardText(m.versions[0]).startsWith(`${id}:`));

beforeAll(async () => {
  slack = await new FakeSlack().start();
  connector = await FakeBotConnector.start();
  redis = await connectTestRedis('xplat');
  dir = mkdtempSync(path.join(tmpdir(), 'jitbot-teams-slack-'));
  writeFileSync(path.join(dir, 'policy.yaml'), POLICY);
  bot = await startJitbotServer({
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    TEAMS_INSECURE_NO_AUTH: '1',
    TEAMS_TENANT_ID: TENANT,
    REDIS_URL: redis.url,
    JITBOT_KEY_PREFIX: redis.prefix,
    JITBOT_DATA_DIR: dir,
    JITBOT_POLICY: path.join(dir, 'policy.yaml'),
    JITBOT_RETRY_BASE_MS: '200',
    JITBOT_RETRY_CAP_MS: '2000',
  });
  sender = new FakeSlackSender({ baseUrl: () => bot.url, signingSecret: SIGNING_SECRET });
  teams = new TeamsSimulator({ botUrl: `${bot.url}/api/messages`, serviceUrl: connector.url, tenantId: TENANT });
  bob = teams.user('bob', aad.bob);
  carol = teams.user('carol', aad.carol);
  // The approvers use Teams: the app is in their team, and bob has it for himself too.
  connector.setRoster(TEAMS_APPROVALS.teamId, TeamsSimulator.roster([bob, carol]));
  await teams.installInTeam(bob, TEAMS_APPROVALS);
  await teams.installPersonal(bob);
}, 60_000);

afterAll(async () => {
  await bot?.stop().catch(() => undefined);
  await slack?.stop();
  await connector?.close();
  await redis?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Slack and Teams together', () => {
  it('a request made in Slack is approved in Teams; both cards follow, the requester hears in Slack', async () => {
    const reply = await slash('U0ALICE', 'request deploy 12s rolling back the checkout change');
    const id = /JIT-\d+/.exec(reply)?.[0];
    expect(id, reply).toBeDefined();

    await expect.poll(() => slackCard(id!), { timeout: 10_000 }).toBeDefined();
    await expect.poll(() => teamsCard(id!), { timeout: 10_000 }).toBeDefined();
    const posted = teamsCard(id!)!;
    expect(cardText(posted.versions[0])).toContain('Reason: rolling back the checkout change');
    expect(refreshUserIds(posted.versions[0])).toEqual([bob.id, carol.id]);
    expect(actionVerbs((await teams.invoke(bob, 'refresh', { requestId: id }, { where: { kind: 'channel', channel: TEAMS_APPROVALS, threadId: posted.activityId } })).body)).toEqual([
      'approve',
      'deny',
    ]);

    const approved = await teams.invoke(bob, 'approve', { requestId: id }, { where: { kind: 'channel', channel: TEAMS_APPROVALS, threadId: posted.activityId } });
    expect(cardText(approved.body)).toContain(`You approved ${id}; access is being issued to alice.`);

    await expect.poll(() => slackCardUpdates(id!).some((u) => allText(u.args.blocks).includes('Active until')), { timeout: 15_000 }).toBe(true);
    expect(allText(slackCardUpdates(id!).at(-1)!.args.blocks)).toContain('bob');
    await expect.poll(() => cardText(connector.current(posted.activityId)), { timeout: 15_000 }).toContain(`${id}: active`);
    // The requester asked in Slack, so her DMs come in Slack.
    await expect.poll(() => slackDms('U0ALICE', id!).some((t) => t.includes('approved and active')), { timeout: 15_000 }).toBe(true);
    // carol's Teams client still showed Approve: her late click is answered to her alone.
    const late = await teams.invoke(carol, 'approve', { requestId: id }, { where: { kind: 'channel', channel: TEAMS_APPROVALS, threadId: posted.activityId } });
    expect(cardText(late.body)).toContain(`${id} is already approved by bob`);
  }, 60_000);

  it('a request approved in Slack updates the Teams card too', async () => {
    const id = /JIT-\d+/.exec(await slash('U0ALICE', 'request deploy 10m second one'))![0];
    await expect.poll(() => teamsCard(id), { timeout: 10_000 }).toBeDefined();
    await expect.poll(() => slackCard(id), { timeout: 10_000 }).toBeDefined();
    const tag = `click-${++tags}`;
    const clicked = await sender.post(sender.buttonClick({ userId: 'U0CAROL', actionId: 'jit_approve', value: id, responseUrl: slack.responseUrl(tag) }));
    expect(clicked.status).toBe(200);
    expect(String((await slack.waitForResponse(tag)).body.text)).toContain(`You approved ${id}`);
    const posted = teamsCard(id)!;
    await expect.poll(() => cardText(connector.current(posted.activityId)), { timeout: 15_000 }).toContain('Approvals: 1 of 1 (carol)');
    expect(refreshUserIds(connector.current(posted.activityId))).toEqual([]);
  }, 40_000);
});
