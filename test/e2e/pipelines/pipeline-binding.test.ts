import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuditEvent } from '../../../src/core/domain/audit-event.js';
import { freePort } from '../../../src/store/redis/redis-server-process.js';
import { RedisRequestStore } from '../../../src/store/redis/redis-request-store.js';
import { FakeOidc } from '../../fakes/fake-oidc.js';
import { FakeSlack } from '../../fakes/fake-slack.js';
import { waitFor } from '../../support/engine.js';
import { startJitbot, type JitbotProcess } from '../../support/jitbot-process.js';
import { deleteByPrefix, uniquePrefix } from '../../support/redis.js';
import { api } from '../../integration/pipelines/pipeline-harness.js';

// The pipelines API of a real `jitbot start`: a request and its one-time credential belong to the
// job that asked (principal, job-level claims, pickup secret), not to anyone in the same run.

const AUDIENCE = 'https://jitbot.e2e';
const POLICY = `version: 1
settings: { approvalTimeout: 2m, reminderBefore: 5s, minDuration: 10s }
people:
  bob: { slack: U0BOB, github: bob-gh, email: bob@example.com }
  carol: { slack: U0CAROL, github: carol-gh, email: carol@example.com }
groups: { sre: [bob, carol] }
pipelines:
  deployer:
    provider: github
    claims: { repository: acme/app, ref: refs/heads/main, environment: production, event_name: push }
  infra:
    provider: gitlab
    claims: { project_path: acme/infra, ref_protected: true }
issuers:
  tokens: { type: jwt, issuer: jitbot-e2e, introspectionToken: e2e-introspection-token-0123456789 }
  gate: { type: none }
deploymentProtection:
  - { environment: production, resource: deploy-gate }
resources:
  deploy-gate: { issuer: gate, approvers: [group:sre], maxDuration: 1h, reason: optional, channel: { slack: C0DEPLOYS } }
  prod-db:
    issuer: tokens
    requesters: [pipeline:deployer, pipeline:infra]
    approvers: [group:sre]
    maxDuration: 1h
    reason: optional
    channel: { slack: C0APPROVALS }
    autoApprove:
      - requesters: [pipeline:deployer, pipeline:infra]
        maxDuration: 30m
`;

let github: FakeOidc;
let gitlab: FakeOidc;
let slack: FakeSlack;
let dir: string;
let prefix: string;
let redis: Redis;
let store: RedisRequestStore;
let jitbot: JitbotProcess;
let url: string;

beforeAll(async () => {
  github = await new FakeOidc({ kind: 'github' }).start();
  gitlab = await new FakeOidc({ kind: 'gitlab' }).start();
  slack = await new FakeSlack().start();
  dir = mkdtempSync(path.join(tmpdir(), 'jitbot-binding-'));
  writeFileSync(path.join(dir, 'policy.yaml'), POLICY);
  prefix = uniquePrefix('bind');
  redis = new Redis(inject('redisUrl'));
  store = new RedisRequestStore(redis, prefix);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  jitbot = startJitbot(['start'], {
    timeoutMs: 5 * 60_000,
    env: {
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: 'binding-signing-secret-0123456789',
      SLACK_API_URL: slack.apiUrl,
      REDIS_URL: inject('redisUrl'),
      JITBOT_KEY_PREFIX: prefix,
      JITBOT_DATA_DIR: path.join(dir, 'data'),
      JITBOT_POLICY: path.join(dir, 'policy.yaml'),
      JITBOT_SECRET_KEY: 'cd'.repeat(32),
      JITBOT_OIDC_AUDIENCE: AUDIENCE,
      JITBOT_GITHUB_OIDC_ISSUER: github.issuer,
      JITBOT_GITLAB_ISSUER: gitlab.issuer,
      JITBOT_GITHUB_APP_ID: '1',
      JITBOT_GITHUB_APP_PRIVATE_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      JITBOT_GITHUB_WEBHOOK_SECRET: 'binding-webhook-secret-0123456789',
      JITBOT_GITHUB_API_URL: 'http://127.0.0.1:9',
      PORT: String(port),
      LOG_LEVEL: 'info',
    },
  });
  await waitFor('jitbot running', () => jitbot.stderr().includes('jitbot running') || jitbot.child.exitCode !== null, 30_000, 50);
  expect(jitbot.child.exitCode, jitbot.stderr().slice(-2000)).toBeNull();
}, 60_000);

afterAll(async () => {
  jitbot?.kill('SIGTERM');
  await jitbot?.result;
  await github?.stop();
  await gitlab?.stop();
  await slack?.stop();
  await deleteByPrefix(redis, prefix);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

const job = (claims: Record<string, unknown> = {}) => github.sign(FakeOidc.githubClaims({ environment: 'production', ...claims }), { audience: AUDIENCE });
const pickup = (secret: unknown): Record<string, string> => ({ 'jitbot-pickup-secret': String(secret) });

async function refusals(id: string): Promise<AuditEvent[]> {
  return (await store.auditOf(id as AuditEvent['requestId'] & string)).filter((e) => e.type === 'pipeline.access_refused');
}

describe('a pipeline request belongs to the job that made it', () => {
  it('is read and released only by its creator; other jobs of the run get the 404 of a request that does not exist', async () => {
    const created = await api(url, 'POST', '/v1/requests', await job(), { resource: 'prod-db', duration: '10m', reason: 'migrate' });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    const secret = String(created.body.pickupSecret);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await waitFor('active', async () => (await store.get(id as never))?.status === 'active', 30_000, 100);

    const missing = await api(url, 'GET', '/v1/requests/JIT-999999', await job(), undefined, pickup(secret));
    expect(missing.status).toBe(404);
    const callers: [string, string, Record<string, string>, string][] = [
      ['a second job of the same run, without the secret', await job(), {}, 'missing_pickup_secret'],
      ['a second job of the same run, with a wrong secret', await job(), pickup(`${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`), 'wrong_pickup_secret'],
      ['a re-run attempt, with the secret', await job({ run_attempt: '2' }), pickup(secret), 'other_job'],
      ['a job of another workflow, with the secret', await job({ job_workflow_ref: 'acme/app/.github/workflows/other.yml@refs/heads/main', workflow_ref: 'acme/app/.github/workflows/other.yml@refs/heads/main' }), pickup(secret), 'other_job'],
      ['a job the policy refuses (no environment), with the secret', await github.sign(FakeOidc.githubClaims(), { audience: AUDIENCE }), pickup(secret), 'principal_mismatch'],
    ];
    for (const [label, token, headers, reason] of callers) {
      const read = await api(url, 'GET', `/v1/requests/${id}`, token, undefined, headers);
      expect(read.status, label).toBe(404);
      // The same body as for a request that does not exist, but for the id.
      expect(read.body, label).toEqual({ error: 'not_found', message: `There is no request ${id} for this run.` });
      expect(missing.body).toEqual({ error: 'not_found', message: 'There is no request JIT-999999 for this run.' });
      expect(JSON.stringify(read.body)).not.toContain('credential');
      const release = await api(url, 'POST', `/v1/requests/${id}/release`, token, {}, headers);
      expect(release.status, label).toBe(404);
      expect((await store.get(id as never))?.status, label).toBe('active');
      const events = await refusals(id);
      expect(events.slice(-2).map((e) => e.data.reason), label).toEqual([reason, reason]);
    }

    // The creator still gets the credential, exactly once.
    const first = await api(url, 'GET', `/v1/requests/${id}`, await job(), undefined, pickup(secret));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'active', credentialStatus: 'included', credential: { value: expect.any(String) } });
    const credential = String((first.body.credential as { value: string }).value);
    const second = await api(url, 'GET', `/v1/requests/${id}`, await job(), undefined, pickup(secret));
    expect(second.body).toMatchObject({ status: 'active', credentialStatus: 'collected' });
    expect(second.body.credential).toBeUndefined();

    const released = await api(url, 'POST', `/v1/requests/${id}/release`, await job(), {}, pickup(secret));
    expect(released.status).toBe(200);
    await waitFor('released', async () => (await store.get(id as never))?.status === 'released', 30_000, 100);

    // Neither the pickup secret nor the credential reach the trail or the log.
    const trail = JSON.stringify(await store.auditOf(id as never));
    expect(trail).not.toContain(secret);
    expect(trail).not.toContain(credential);
    expect(jitbot.stderr()).not.toContain(secret);
  }, 90_000);

  it('binds a GitLab request to its job: another job of the same pipeline cannot read it', async () => {
    const token = await gitlab.sign(FakeOidc.gitlabClaims(), { audience: AUDIENCE });
    const created = await api(url, 'POST', '/v1/requests', token, { resource: 'prod-db', duration: '10m' });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    const other = await gitlab.sign(FakeOidc.gitlabClaims({ job_id: '9002' }), { audience: AUDIENCE });
    expect((await api(url, 'GET', `/v1/requests/${id}`, other, undefined, pickup(created.body.pickupSecret))).status).toBe(404);
    expect((await refusals(id)).map((e) => e.data.reason)).toEqual(['other_job']);
    const own = await api(url, 'GET', `/v1/requests/${id}`, token, undefined, pickup(created.body.pickupSecret));
    expect(own.status).toBe(200);
    await api(url, 'POST', `/v1/requests/${id}/release`, token, {}, pickup(created.body.pickupSecret));
  }, 60_000);

  it('replays an Idempotency-Key for its creator only: another job with the same key makes its own request', async () => {
    const headers = { 'idempotency-key': 'shared-key-0001' };
    const first = await api(url, 'POST', '/v1/requests', await job(), { resource: 'prod-db', duration: '10m' }, headers);
    const replay = await api(url, 'POST', '/v1/requests', await job(), { resource: 'prod-db', duration: '10m' }, headers);
    expect(first.status).toBe(201);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ id: first.body.id, pickupSecret: first.body.pickupSecret });
    const rerun = await api(url, 'POST', '/v1/requests', await job({ run_attempt: '2' }), { resource: 'prod-db', duration: '10m' }, headers);
    expect(rerun.status).toBe(201);
    expect(rerun.body.id).not.toBe(first.body.id);
    expect(rerun.body.pickupSecret).not.toBe(first.body.pickupSecret);
    for (const [token, made] of [[await job(), first], [await job({ run_attempt: '2' }), rerun]] as const) {
      expect((await api(url, 'POST', `/v1/requests/${String(made.body.id)}/release`, token, {}, pickup(made.body.pickupSecret))).status).toBe(200);
    }
  }, 60_000);
});

describe('unauthenticated callers stay cheap', () => {
  it('throttles the log lines for refused ID tokens and forged deployment webhooks, and a 401 names no accepted issuer', async () => {
    const lines = (type: string) => jitbot.stderr().split('\n').filter((line) => line.includes(`"type":"${type}"`)).length;
    const beforeTokens = lines('auth.oidc_rejected');
    const beforeWebhooks = lines('github.webhook_rejected');
    const foreign = await github.sign(FakeOidc.githubClaims(), { audience: AUDIENCE, issuer: 'https://token.actions.example.com' });
    for (let i = 0; i < 30; i++) {
      const refused = await api(url, 'POST', '/v1/requests', foreign, { resource: 'prod-db' });
      expect(refused.status).toBe(401);
      expect(JSON.stringify(refused.body)).not.toContain(github.issuer);
      expect(JSON.stringify(refused.body)).not.toContain(gitlab.issuer);
      const forged = await fetch(`${url}/github/webhooks`, { method: 'POST', headers: { 'x-github-event': 'deployment_protection_rule', 'x-hub-signature-256': 'sha256=00' }, body: '{}' });
      expect(forged.status).toBe(401);
    }
    // Logged through pino asynchronously: give the last lines a moment to arrive.
    await new Promise((resolve) => setTimeout(resolve, 300));
    // One line per kind of refusal per 10 s (two if the burst straddles a period), not thirty.
    expect(lines('auth.oidc_rejected') - beforeTokens).toBeGreaterThanOrEqual(1);
    expect(lines('auth.oidc_rejected') - beforeTokens).toBeLessThanOrEqual(3);
    expect(lines('github.webhook_rejected') - beforeWebhooks).toBeGreaterThanOrEqual(1);
    expect(lines('github.webhook_rejected') - beforeWebhooks).toBeLessThanOrEqual(3);
  }, 60_000);
});
