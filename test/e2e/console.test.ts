import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { builtinIssuerFactories } from '../../src/issuers/registry.js';
import { jitbotEnv, REPO_ROOT, runJitbot, transcriptBlocks, type JitbotResult, type TranscriptBlock } from '../support/jitbot-process.js';
import { deleteByPrefix, uniquePrefix } from '../support/redis.js';

// The `jwt` issuer (a real secret in the requester's DM) when this build has it; the `none` gate otherwise.
const HAS_JWT = builtinIssuerFactories().has('jwt');
const DEPLOY_ISSUER = HAS_JWT
  ? `  tokens:
    type: jwt
    issuer: jitbot-e2e
    introspectionToken: e2e-introspection-token-0123456789`
  : `  tokens:
    type: none`;

// Durations of at least 10s (the policy checker's floor): a 12s grant reminds at 6s and ends at 12s.
const POLICY = `version: 1
settings:
  approvalTimeout: 5m
  reminderBefore: 6s
  minDuration: 10s
people:
  alice: { email: alice@example.com }
  bob: { email: bob@example.com }
  carol: { email: carol@example.com }
  dave: { email: dave@example.com }
groups:
  engineers: [alice, bob, carol, dave]
  sre: [bob, carol]
admins: [group:sre]
issuers:
${DEPLOY_ISSUER}
  gate:
    type: none
resources:
  deploy:
    description: Deploy token for staging
    issuer: tokens
    ${HAS_JWT ? 'params: { claims: { scope: deploy } }' : ''}
    requesters: [group:engineers]
    approvers: [group:sre]
    approvals: 1
    defaultDuration: 12s
    maxDuration: 10m
    reason: optional
  prod-gate:
    description: Approval gate for a production deploy
    issuer: gate
    requesters: [group:engineers]
    approvers: [group:sre]
    approvals: 1
    defaultDuration: 1m
    maxDuration: 1h
    reason: required
    ticket: '^[A-Z]+-[0-9]+$'
`;

interface Instance {
  env: { REDIS_URL: string; JITBOT_KEY_PREFIX: string; JITBOT_DATA_DIR: string; JITBOT_POLICY: string };
  console(lines: string[], timeoutMs?: number): Promise<Transcript>;
}

interface Transcript extends JitbotResult {
  blocks: TranscriptBlock[];
  /** Blocks whose header is exactly `header` (e.g. `DM to alice`, `#approvals`) or starts with it followed by a space. */
  blocksTo(header: string): TranscriptBlock[];
  /** The replies to one person, in order. */
  repliesTo(person: string): string[];
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A policy file, data dir and key prefix of this test's own, on the suite's Redis. */
function instance(label: string, policy = POLICY): Instance {
  const dir = mkdtempSync(path.join(tmpdir(), `jitbot-console-${label}-`));
  const policyPath = path.join(dir, 'jitbot.yaml');
  writeFileSync(policyPath, policy);
  const prefix = uniquePrefix(`c${label}`);
  const env = { REDIS_URL: inject('redisUrl'), JITBOT_KEY_PREFIX: prefix, JITBOT_DATA_DIR: path.join(dir, 'data'), JITBOT_POLICY: policyPath };
  cleanups.push(async () => {
    const redis = new Redis(inject('redisUrl'));
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    env,
    async console(lines, timeoutMs = 55_000) {
      const result = await runJitbot(['console'], { env, input: `${lines.join('\n')}\n`, timeoutMs });
      return transcript(result);
    },
  };
}

function transcript(result: JitbotResult): Transcript {
  const blocks = transcriptBlocks(result.stdout);
  return {
    ...result,
    blocks,
    blocksTo: (header) => blocks.filter((b) => b.header === header || b.header.startsWith(`${header} `)),
    repliesTo: (person) => blocks.filter((b) => b.header === `to ${person} (only ${person} sees this)`).map((b) => b.body),
  };
}

function explain(t: JitbotResult): string {
  return `--- stdout ---\n${t.stdout}\n--- stderr ---\n${t.stderr}`;
}

describe('jitbot console (piped)', () => {
  it(
    'scripts a whole lifecycle: request, self-approval refused, approval, secret by DM only, reminder, end, list; the audit chain verifies',
    async () => {
      const jit = instance('life');
      const t = await jit.console([
        '# alice asks, tries to approve her own request, bob approves',
        '/jit request deploy 12s fixing INC-1',
        '/wait JIT-1 pending',
        '/jit approve JIT-1',
        '/as bob',
        'approve JIT-1',
        '/wait JIT-1 active',
        '/wait JIT-1 expired 40s',
        '/as alice',
        '/jit list',
      ]);
      expect(t.code, explain(t)).toBe(0);

      // The echo shows who typed what; comments are skipped.
      expect(t.stdout).toContain('alice> /jit request deploy 12s fixing INC-1');
      expect(t.stdout).toContain('bob> approve JIT-1');
      expect(t.stdout).not.toContain('# alice asks');

      const aliceReplies = t.repliesTo('alice');
      expect(aliceReplies[0]).toMatch(/JIT-1: requested deploy for 12s; waiting for 1 approval/);
      expect(aliceReplies[1]).toMatch(/You cannot approve .*your own request/);
      expect(t.repliesTo('bob')[0]).toContain('You approved JIT-1; access is being issued to alice.');

      // The card: posted with its buttons as commands, then updated to each new state.
      const cards = t.blocksTo('#approvals');
      expect(cards[0]!.body).toContain('JIT-1: alice requests deploy');
      expect(cards[0]!.body).toMatch(/\[Approve\]\s+\/jit approve JIT-1/);
      expect(cards[0]!.body).toMatch(/\[Deny\]\s+\/jit deny JIT-1 <reason>/);
      expect(cards.some((c) => c.header === '#approvals · JIT-1 updated' && /Status\s+Approved by bob\. Active until/.test(c.body))).toBe(true);
      const lastCard = cards[cards.length - 1]!;
      expect(lastCard.body).toContain('JIT-1: ended');
      expect(lastCard.body).toMatch(/Ended: expired at/);
      expect(lastCard.body).not.toContain('/jit approve');

      // Alice's DMs: received, active (with the secret), expiring soon (Extend / Release now), ended.
      const dms = t.blocksTo('DM to alice');
      const titles = dms.map((d) => d.body.split('\n')[0]!.trim());
      expect(titles).toEqual(expect.arrayContaining(['JIT-1 received', 'JIT-1 approved and active', 'JIT-1 expires soon', 'JIT-1 ended']));
      expect(titles.indexOf('JIT-1 expires soon')).toBeLessThan(titles.indexOf('JIT-1 ended'));
      const expiring = dms.find((d) => d.body.includes('JIT-1 expires soon'))!;
      expect(expiring.body).toMatch(/\[Extend\]\s+\/jit extend JIT-1/);
      expect(expiring.body).toMatch(/\[Release now\]\s+\/jit release JIT-1/);
      expect(dms.find((d) => d.body.includes('JIT-1 ended'))!.body).toContain('has ended (the window ended)');
      expect(t.stdout).toContain('[console] JIT-1 is expired.');

      const active = dms.find((d) => d.body.includes('JIT-1 approved and active'))!;
      if (HAS_JWT) {
        const token = /eyJ[\w-]+\.[\w-]+\.[\w-]+/.exec(active.body)?.[0];
        expect(token, active.body).toBeDefined();
        expect(active.body).toContain('JWT (only you see this):');
        // The token is printed exactly once, in alice's DM: never in a channel, a reply, another DM or a log.
        const holding = t.blocks.filter((b) => b.body.includes(token!));
        expect(holding.map((b) => b.header)).toEqual(['DM to alice']);
        expect(t.stdout.split(token!).length - 1).toBe(1);
        expect(t.stderr).not.toContain(token!);
      } else {
        expect(active.body).toContain('approved (no credential is issued');
      }
      for (const block of t.blocks.filter((b) => b.header.startsWith('#'))) expect(block.body).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
      // Nobody else got a DM about JIT-1's secret; bob got none at all.
      expect(t.blocksTo('DM to bob')).toEqual([]);

      const list = aliceReplies[aliceReplies.length - 1]!;
      expect(list).toContain('Your requests (newest first):');
      expect(list).toContain('JIT-1 deploy for 12s: over (expired)');

      const verify = await runJitbot(['audit', 'verify'], { env: jit.env });
      expect(verify.code, explain(verify)).toBe(0);
      expect(verify.stdout).toMatch(/^ok: \d+ events, chain intact(, \d+ signed checkpoint\(s\) match \(key [0-9a-f]{16}\))?\n$/);

      // No log line reaches the terminal: they are in the file the banner names, lifecycle included.
      expect(t.stdout).not.toMatch(/^\s*\{"level":/m);
      expect(t.stderr).not.toMatch(/\{"level":/);
      const logFile = path.join(jit.env.JITBOT_DATA_DIR, 'logs', 'jitbot.log');
      expect(t.stdout).toContain(`logs: ${logFile}\n`);
      const logged = readFileSync(logFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { msg: string; requestId?: string });
      const aboutJit1 = logged.filter((l) => l.requestId === 'JIT-1').map((l) => l.msg);
      expect(aboutJit1).toEqual(expect.arrayContaining(['request created', 'request approved', 'access issued', 'access revoked (the window ended)']));
      expect(logged.at(-1)!.msg).toBe('jitbot stopped');
      if (HAS_JWT) expect(readFileSync(logFile, 'utf8')).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
    },
    90_000,
  );

  it('cancel: only the requester may cancel; the card closes and a late approval is told it is over', async () => {
    const t = await instance('cancel').console([
      'request deploy 1m waiting for review',
      '/as bob',
      'cancel JIT-1',
      '/as alice',
      'cancel JIT-1',
      '/wait JIT-1 cancelled 10s',
      '/as bob',
      'approve JIT-1',
    ]);
    expect(t.code, explain(t)).toBe(0);
    const [bobCancel, bobApprove] = t.repliesTo('bob');
    expect(bobCancel).toContain('Only alice, who asked for JIT-1, may cancel it.');
    expect(t.repliesTo('alice')[1]).toContain('JIT-1 is cancelled.');
    expect(bobApprove).toContain('JIT-1 is cancelled, so it cannot be approved now.');
    const last = t.blocksTo('#approvals').at(-1)!;
    expect(last.body).toContain('JIT-1: cancelled');
    expect(last.body).toMatch(/Status\s+Cancelled by alice\./);
    expect(last.body).not.toContain('[Approve]');
  }, 60_000);

  it('release: the requester ends her access early and is told it ended', async () => {
    const t = await instance('release').console([
      'request deploy 5m',
      '/as carol',
      'approve JIT-1',
      '/wait JIT-1 active',
      '/as alice',
      'release JIT-1',
      '/wait JIT-1 released 15s',
    ]);
    expect(t.code, explain(t)).toBe(0);
    expect(t.repliesTo('alice')[1]).toContain('JIT-1: your access is being revoked now.');
    const ended = t.blocksTo('DM to alice').find((d) => d.body.includes('JIT-1 ended'));
    expect(ended?.body, explain(t)).toContain('has ended (released by alice)');
    expect(t.blocksTo('#approvals').at(-1)!.body).toMatch(/Ended: released by alice at/);
    expect(t.stdout).toContain('[console] JIT-1 is released.');
  }, 60_000);

  it('extend: the requester asks for more time, an approver approves it, the new end is announced', async () => {
    const t = await instance('extend').console([
      'request deploy 1m',
      '/as bob',
      'approve JIT-1',
      '/wait JIT-1 active',
      '/as alice',
      'extend JIT-1 30s still deploying',
      '/as bob',
      'list',
      'approve JIT-1',
      '/sleep 1s',
      '/as alice',
      'extend JIT-1 1h',
      'release JIT-1',
      '/wait JIT-1 released 15s',
    ]);
    expect(t.code, explain(t)).toBe(0);
    const alice = t.repliesTo('alice');
    expect(alice[1]).toContain('JIT-1: extension of 30s requested; approvers have been asked.');
    const [, bobList, bobApproves] = t.repliesTo('bob');
    expect(bobList).toMatch(/Waiting on you:\n\s+• JIT-1 deploy for 1m: already approved by bob and active until/);
    expect(bobApproves).toMatch(/You approved the extension of JIT-1; it now ends at/);
    expect(t.blocksTo('DM to alice').some((d) => d.body.includes('JIT-1 extended') && d.body.includes('now ends at'))).toBe(true);
    // A second extension beyond what is left is refused with the allowance.
    expect(alice[2]).toMatch(/JIT-1 may be extended by up to/);
  }, 60_000);

  it('revoke: refused for a non-admin, done by an admin; the requester is told who ended it', async () => {
    const t = await instance('revoke').console([
      'request deploy 5m',
      '/as bob',
      'approve JIT-1',
      '/wait JIT-1 active',
      '/as dave',
      'revoke JIT-1',
      '/as alice',
      'revoke JIT-1',
      '/as carol',
      'revoke JIT-1 suspicious activity',
      '/wait JIT-1 revoked 15s',
    ]);
    expect(t.code, explain(t)).toBe(0);
    expect(t.repliesTo('dave')[0]).toContain("Only admins may revoke someone's access.");
    expect(t.repliesTo('alice')[1]).toContain('To end your own, use /jit release JIT-1.');
    expect(t.repliesTo('carol')[0]).toContain('JIT-1: access of alice is being revoked now.');
    const ended = t.blocksTo('DM to alice').find((d) => d.body.includes('JIT-1 ended'));
    expect(ended?.body, explain(t)).toContain('has ended (revoked by carol)');
    // The admin's reason reaches the requester and the card, as a deny reason does.
    expect(ended?.body.replace(/\s+/g, ' ')).toContain('has ended (revoked by carol). Reason: suspicious activity');
    expect(t.blocksTo('#approvals').at(-1)!.body.replace(/\s+/g, ' ')).toMatch(/Ended: revoked by carol at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\. Reason: suspicious activity/);
  }, 60_000);

  it('resources, audit, help and the console commands answer the person typing', async () => {
    const t = await instance('info').console([
      'resources',
      'request deploy 1m first try',
      '/as bob',
      'deny JIT-1 not today',
      '/wait JIT-1 denied 10s',
      '/as alice',
      '/jit audit JIT-1',
      '/as dave',
      'audit JIT-1',
      'help',
      '/help',
      '/as zed',
      '/as',
      '/sleep 300ms',
      '/sleep forever',
      '/wait JIT-1 bogus',
      '/wait JIT-1 active 10s',
      '/frobnicate',
      '/quit',
      'resources',
    ]);
    expect(t.code, explain(t)).toBe(0);
    const [resources, , audit] = t.repliesTo('alice');
    expect(resources).toContain('You may request:');
    expect(resources).toMatch(/• deploy: Deploy token for staging \(10s to 10m, default 12s; reason optional\)/);
    expect(resources).toMatch(/• prod-gate: .*\(10s to 1h, default 1m; reason required, ticket \^\[A-Z\]\+-\[0-9\]\+\$\)/);
    expect(audit).toMatch(/JIT-1: alice → deploy \(already denied by bob\)/);
    expect(audit).toMatch(/#\d+ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC request\.created by alice \(.*duration=1m, reason=first try/);
    expect(audit).toMatch(/#\d+ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC request\.denied by bob/);
    expect(t.blocksTo('DM to alice').some((d) => d.body.includes('JIT-1 denied') && d.body.includes('by bob: not today'))).toBe(true);

    const [daveAudit, help] = t.repliesTo('dave');
    expect(daveAudit).toContain('Only the requester, approvers of deploy and admins may see the history of JIT-1.');
    expect(help).toContain('/jit request <resource> <duration> [reason…]');
    expect(help).toContain('/jit revoke <id> [reason…]');
    expect(help).toContain('/jit deny <id> <reason…>');
    expect(help).not.toMatch(/deny <id> \[reason/);
    expect(t.stdout).toContain('[console] Console: /as <person> switches who is typing');
    expect(t.stdout).toContain('/wait <id> <status> [timeout]');
    expect(t.stdout).toContain('[console] There is no person "zed" in the policy. People: alice, bob, carol, dave.');
    expect(t.stdout).toContain('[console] Typing as dave. People: alice, bob, carol, dave.');
    expect(t.stdout).toContain('[console] Say how long: /sleep 15s');
    expect(t.stdout).toMatch(/\[console\] Say which request, which status .*Statuses: pending, approved/);
    expect(t.stdout).toContain('[console] JIT-1 is denied; it will not become active.');
    expect(t.stdout).toContain('[console] There is no console command /frobnicate.');
    // /quit stops reading: the line after it never runs.
    expect(t.repliesTo('dave')).toHaveLength(2);
  }, 60_000);

  it('bad input gets a reply that says what would be right', async () => {
    const t = await instance('bad').console([
      'request nope 1m',
      'request deploy 0m',
      'request deploy -5m',
      'request deploy 2h',
      'request deploy',
      'prod-gate 10m',
      'prod-gate 10m just because',
      'approve JIT-x',
      'approve JIT-999',
      'extend JIT-1',
      '/jit',
    ]);
    expect(t.code, explain(t)).toBe(0);
    const r = t.repliesTo('alice');
    expect(r[0]).toContain('There is no resource "nope". You may request: deploy, prod-gate.');
    expect(r[1]).toContain('"0m" is zero');
    expect(r[1]).toContain('deploy may be requested for 10s to 10m.');
    expect(r[2]).toContain('"-5m" is not a duration');
    expect(r[2]).toContain('deploy may be requested for 10s to 10m.');
    expect(r[3]).toContain('2h is out of range: deploy may be requested for 10s to 10m.');
    expect(r[4]).toContain('Say for how long: /jit request deploy <duration> <reason>');
    expect(r[5]).toContain('prod-gate needs a reason matching ^[A-Z]+-[0-9]+$');
    expect(r[6]).toContain('prod-gate needs a ticket in the reason matching ^[A-Z]+-[0-9]+$.');
    expect(r[7]).toContain('"JIT-x" is not a request id; ids look like JIT-42.');
    expect(r[8]).toContain('There is no request JIT-999.');
    expect(r[9]).toContain('Say how much longer: /jit extend JIT-1 30m <reason>.');
    // `/jit` alone, piped: the choices and the whole command to type.
    expect(r[10]).toContain('You may request:');
    expect(r[10]).toMatch(/• deploy: Deploy token for staging \(10s to 10m, default 12s; reason optional\)/);
    expect(r[10]).toContain('Type the whole command, for example:');
    expect(r[10]).toContain('/jit request deploy 12s [reason]');
    // Nothing was created.
    expect(t.blocksTo('#approvals')).toEqual([]);
  }, 60_000);

  it('typos and missing words: a mistyped verb gets "did you mean", a mistyped resource the resource, a deny without reason changes nothing; examples fit the resource', async () => {
    const t = await instance('typos').console([
      'request deploy 1m waiting',
      '/wait JIT-1 pending',
      '/as bob',
      'deny JIT-1',
      'aprove JIT-1',
      'lsit',
      '/as alice',
      'relase JIT-1',
      'deplyo 1m',
      'request deploy',
      'prod-gate 30m',
      'list',
      'audit JIT-1',
    ]);
    expect(t.code, explain(t)).toBe(0);
    const [deny, aprove, lsit] = t.repliesTo('bob');
    expect(deny).toContain('A reason is required to deny, so the requester knows why: /jit deny JIT-1 <reason>. Nothing was changed.');
    expect(aprove).toContain('There is no command "aprove". Did you mean approve? /jit approve JIT-1');
    expect(aprove).not.toContain('no resource');
    expect(lsit).toContain('There is no command "lsit". Did you mean list? /jit list');
    const [, relase, deplyo, noDuration, noReason, list, audit] = t.repliesTo('alice');
    expect(relase).toContain('There is no command "relase". Did you mean release? /jit release JIT-1');
    expect(deplyo).toContain('There is no resource "deplyo". Did you mean deploy? You may request: deploy, prod-gate.');
    // deploy may be asked for 10s to 10m (default 12s), prod-gate up to 1h: no example says 1h for deploy.
    expect(noDuration).toContain('Say for how long: /jit request deploy <duration> <reason>, e.g. /jit request deploy 12s fixing INC-7.');
    expect(noReason).toContain('prod-gate needs a reason matching ^[A-Z]+-[0-9]+$, e.g. /jit request prod-gate 30m fixing INC-7.');
    // The deny without a reason changed nothing: still pending, no second card, no event.
    expect(list).toContain('• JIT-1 deploy for 1m: waiting for approval (0 of 1)');
    expect(audit).not.toContain('denied');
    expect(t.blocksTo('#approvals')).toHaveLength(1);
    expect(t.blocksTo('DM to alice').map((d) => d.body.split('\n')[0]!.trim())).toEqual(['JIT-1 received']);
  }, 60_000);

  it('one timestamp format in the DM, the card, /jit list, the extend reply and /jit audit; no epoch milliseconds', async () => {
    const t = await instance('time').console([
      'request deploy 5m',
      '/as bob',
      'approve JIT-1',
      '/wait JIT-1 active',
      '/as alice',
      'list',
      'extend JIT-1 30s more',
      '/as bob',
      'approve JIT-1',
      '/sleep 500ms',
      '/as alice',
      'audit JIT-1',
      'release JIT-1',
      '/wait JIT-1 released 15s',
    ]);
    expect(t.code, explain(t)).toBe(0);
    const stamp = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/;
    const flat = (text: string | undefined) => (text ?? '').replace(/\s+/g, ' ');
    const active = t.blocksTo('DM to alice').find((d) => d.body.includes('JIT-1 approved and active'))!;
    expect(flat(active.body)).toMatch(new RegExp(`It ends at ${stamp.source}\\.`));
    expect(t.blocksTo('#approvals').some((c) => new RegExp(`Active until ${stamp.source}\\.`).test(flat(c.body)))).toBe(true);
    const [, list, , audit] = t.repliesTo('alice');
    expect(list).toMatch(new RegExp(`already approved by bob and active until ${stamp.source}`));
    expect(t.repliesTo('bob')[1]).toMatch(new RegExp(`it now ends at ${stamp.source}\\.`));
    expect(audit).toMatch(new RegExp(`grant\\.issued by jitbot \\(.*windowEnd=${stamp.source}, windowStart=${stamp.source}\\)`));
    expect(audit).toMatch(/extension\.requested by alice \(duration=30s, reason=more\)/);
    expect(audit).not.toMatch(/\d{13}/);
    // No other way of writing a moment anywhere people read (the JWT in the DM is base64url: no "T12:34").
    expect(t.stdout).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    for (const line of t.stdout.split('\n').filter((l) => / (at|until) \d{4}-/.test(l))) expect(line).toMatch(stamp);
  }, 60_000);

  it('the built-in demo policy runs when no policy is named and ./jitbot.yaml is absent', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jitbot-console-demo-'));
    const prefix = uniquePrefix('cdemo');
    cleanups.push(async () => {
      const redis = new Redis(inject('redisUrl'));
      await deleteByPrefix(redis, prefix);
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    });
    const env = { REDIS_URL: inject('redisUrl'), JITBOT_KEY_PREFIX: prefix, JITBOT_DATA_DIR: path.join(dir, 'data') };
    const result = await runJitbot(['console'], {
      cwd: dir,
      env,
      input: ['resources', 'request staging-deploy 30s trying the demo', '/as bob', 'approve JIT-1', '/wait JIT-1 active'].join('\n'),
      timeoutMs: 55_000,
    });
    const t = transcript(result);
    expect(t.code, explain(t)).toBe(0);
    expect(t.stdout).toContain('policy: built-in demo policy (no ./jitbot.yaml found; set JITBOT_POLICY to use yours); `jitbot init` copies it to ./jitbot.yaml');
    expect(t.stdout).toContain(`state: in the Redis at REDIS_URL, keys ${prefix}*\n`);
    expect(t.stdout).toMatch(/To connect Slack set SLACK_BOT_TOKEN/);
    const resources = t.repliesTo('alice')[0]!;
    expect(resources).toMatch(/• staging-deploy: .*default 45s/);
    expect(resources).toMatch(/• prod-gate: /);
    const active = t.blocksTo('DM to alice').find((d) => d.body.includes('JIT-1 approved and active'));
    expect(active?.body, explain(t)).toBeDefined();
    if (HAS_JWT) expect(active!.body).toMatch(/JWT \(only you see this\):\n\s+eyJ/);
  }, 60_000);

  it('`jitbot start` with no platform and no terminal exits 2 naming the variables to set', async () => {
    const result = await runJitbot(['start'], { timeoutMs: 20_000 });
    expect(result.code, explain(result)).toBe(2);
    for (const variable of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'TEAMS_APP_ID', 'TEAMS_APP_PASSWORD', 'TEAMS_TENANT_ID']) {
      expect(result.stderr).toContain(variable);
    }
    expect(result.stderr).toContain('jitbot console');
    expect(result.stdout).toBe('');
  }, 25_000);

  it('`jitbot start` with a script on stdin runs the console; an empty file on stdin is no script and exits 2', async () => {
    const jit = instance('startpipe');
    const piped = transcript(await runJitbot(['start'], { env: jit.env, input: 'resources\n', timeoutMs: 55_000 }));
    expect(piped.code, explain(piped)).toBe(0);
    expect(piped.stdout).toContain('jitbot console: a full local instance');
    expect(piped.repliesTo('alice')[0]).toContain('You may request:');

    const empty = path.join(path.dirname(jit.env.JITBOT_POLICY), 'empty.txt');
    writeFileSync(empty, '');
    const result = await runWithStdinFile(process.execPath, ['bin/jitbot.js', 'start'], empty, jit.env);
    expect(result.code, explain(result)).toBe(2);
    expect(result.stderr).toContain('SLACK_BOT_TOKEN');
    expect(result.stdout).toBe('');
  }, 60_000);

  it('`npm start < script` runs the script in the console, as `jitbot console < script` does', async () => {
    const jit = instance('npmstart');
    const script = path.join(path.dirname(jit.env.JITBOT_POLICY), 'script.txt');
    writeFileSync(script, ['request deploy 1m from a file', '/as bob', 'approve JIT-1', '/wait JIT-1 active', ''].join('\n'));
    const result = transcript(await runWithStdinFile('npm', ['start', '--silent'], script, jit.env));
    expect(result.code, explain(result)).toBe(0);
    expect(result.stdout).toContain('alice> request deploy 1m from a file');
    expect(result.repliesTo('bob')[0]).toContain('You approved JIT-1');
    expect(result.blocksTo('DM to alice').some((d) => d.body.includes('JIT-1 approved and active'))).toBe(true);
    expect(result.stderr).not.toMatch(/\{"level":/);
  }, 90_000);

  it('the banner says where the state is; `jitbot console --fresh` wipes the embedded Redis data and starts from JIT-1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jitbot-console-fresh-'));
    writeFileSync(path.join(dir, 'jitbot.yaml'), POLICY);
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    // No REDIS_URL: each run starts the console's own embedded redis-server under the data dir.
    const env = { JITBOT_DATA_DIR: path.join(dir, 'data'), JITBOT_POLICY: path.join(dir, 'jitbot.yaml'), JITBOT_SECRET_KEY: 'cd'.repeat(32) };
    const run = async (args: string[]) => transcript(await runJitbot(['console', ...args], { env, input: 'request deploy 1m keep me\n', timeoutMs: 55_000 }));

    const first = await run([]);
    expect(first.code, explain(first)).toBe(0);
    const redisDir = path.join(dir, 'data', 'redis');
    expect(first.stdout).toMatch(new RegExp(`state: kept by an embedded redis-server \\(redis://127\\.0\\.0\\.1:\\d+\\) in ${redisDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; \`jitbot console --fresh\` starts clean\n`));
    expect(first.repliesTo('alice')[0]).toContain('JIT-1: requested deploy');

    const kept = await run([]);
    expect(kept.repliesTo('alice')[0], explain(kept)).toContain('JIT-2: requested deploy');

    const fresh = await run(['--fresh']);
    expect(fresh.code, explain(fresh)).toBe(0);
    expect(fresh.stdout).toContain('started clean (--fresh)');
    expect(fresh.repliesTo('alice')[0]).toContain('JIT-1: requested deploy');
    // Only the Redis data went: the log (and the keys) under the data dir are kept.
    expect(existsSync(path.join(dir, 'data', 'logs', 'jitbot.log'))).toBe(true);
  }, 120_000);

  it('`jitbot console --fresh` with REDIS_URL refuses and touches nothing', async () => {
    const jit = instance('freshurl');
    const before = await jit.console(['request deploy 1m first']);
    expect(before.repliesTo('alice')[0], explain(before)).toContain('JIT-1: requested deploy');
    const refused = await runJitbot(['console', '--fresh'], { env: jit.env, input: 'resources\n', timeoutMs: 30_000 });
    expect(refused.code, explain(refused)).toBe(2);
    expect(refused.stderr).toContain('REDIS_URL is set');
    expect(refused.stderr).toContain('JITBOT_KEY_PREFIX');
    expect(refused.stdout).toBe('');
    const after = await jit.console(['request deploy 1m second']);
    expect(after.repliesTo('alice')[0], explain(after)).toContain('JIT-2: requested deploy');
  }, 90_000);
});

/** Runs a command in the repository with stdin read from a file (as a shell's `< file` does), under the test environment. */
async function runWithStdinFile(command: string, args: string[], file: string, env: Record<string, string>): Promise<JitbotResult> {
  const fd = openSync(file, 'r');
  const started = Date.now();
  try {
    const child = spawn(command, args, { cwd: REPO_ROOT, env: jitbotEnv({ ...env, npm_config_update_notifier: 'false' }), stdio: [fd, 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    return await new Promise((resolve) => {
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut: false });
      });
    });
  } finally {
    closeSync(fd);
  }
}
