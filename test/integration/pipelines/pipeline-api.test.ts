import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../../src/core/domain/access-request.js';
import { person, waitFor } from '../../support/engine.js';
import { FakeOidc } from '../../fakes/fake-oidc.js';
import { api, AUDIENCE, startPipelineApp, type PipelineApp } from './pipeline-harness.js';
import { timing } from '../../support/timing.js';

let github: FakeOidc;
let gitlab: FakeOidc;
let jit: PipelineApp;

beforeAll(async () => {
  github = await new FakeOidc({ kind: 'github' }).start();
  gitlab = await new FakeOidc({ kind: 'gitlab' }).start();
  jit = await startPipelineApp({ github, gitlab });
});
afterAll(async () => {
  await jit?.stop();
  await github?.stop();
  await gitlab?.stop();
});

const githubToken = (claims: Record<string, unknown> = {}, options: Parameters<FakeOidc['sign']>[1] = {}) =>
  github.sign(FakeOidc.githubClaims(claims), { audience: AUDIENCE, ...options });

/** The pickup secret header a creating call's answer entitles the job to. */
const pickupOf = (created: { body: Record<string, unknown> }) => ({ 'jitbot-pickup-secret': String(created.body.pickupSecret) });

async function create(token: string, body: Record<string, unknown> = { resource: 'prod-db', duration: '10m', reason: 'schema migration' }) {
  return api(jit.url, 'POST', '/v1/requests', token, body);
}

describe('a GitHub Actions pipeline asks for access', () => {
  it('is approved in chat, collects the credential once, sees its metadata afterwards, and releases it', async () => {
    const created = await create(await githubToken());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'pending', resource: 'prod-db', requester: 'pipeline:deployer', duration: '10m', reason: 'schema migration' });
    const id = String(created.body.id);
    expect(created.headers.get('location')).toBe(`/v1/requests/${id}`);
    expect(created.body.pickupSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const pickup = pickupOf(created);

    // The approval card shows the run: link, commit, who triggered it.
    const card = await waitFor('card', () => jit.notifier.lastCard(id));
    expect(card.requester).toBe('pipeline:deployer');
    expect(card.pipeline).toMatchObject({
      provider: 'github',
      kind: 'pipeline',
      repository: 'acme/app',
      runUrl: 'https://github.com/acme/app/actions/runs/32291736541',
      commit: 'b8962f4eaff8e14fc646cb22c596c81e67d71362',
      ref: 'refs/heads/main',
      triggeredBy: 'alice-gh',
    });
    expect(card.status).toContain('https://github.com/acme/app/actions/runs/32291736541');
    expect(card.status).toContain('triggered by alice-gh');
    // alice triggered the run: she is not among those asked to approve it.
    expect(card.eligibleApprovers).not.toContain('alice');

    // A long poll returns at the first change.
    const token = await githubToken();
    const started = Date.now();
    const polling = api(jit.url, 'GET', `/v1/requests/${id}?wait=20s`, token, undefined, pickup);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await jit.app.core.approve(person('bob'), id);
    const changed = await polling;
    expect(changed.status).toBe(200);
    expect(changed.body.status).not.toBe('pending');
    // At the change, not when its 20 s wait ran out.
    expect(Date.now() - started).toBeLessThan(20_000); // not a speed: the poll's own wait
    timing('long poll answered after the change', Date.now() - started, 10_000);

    // Active: the first read carries the credential, every later one only its metadata.
    const active =
      changed.body.status === 'active'
        ? changed
        : await waitFor('active with credential', async () => {
            const read = await api(jit.url, 'GET', `/v1/requests/${id}`, await githubToken(), undefined, pickup);
            return read.body.status === 'active' ? read : undefined;
          });
    expect(active.body).toMatchObject({ credentialStatus: 'included', credential: { label: 'password', value: `secret-${id}-value` } });
    expect(active.body.window).toMatchObject({ end: expect.any(String) });
    const again = await api(jit.url, 'GET', `/v1/requests/${id}`, await githubToken(), undefined, pickup);
    expect(again.body).toMatchObject({ status: 'active', credentialStatus: 'collected' });
    expect(again.body.credential).toBeUndefined();
    expect(again.body.access).toMatchObject({ summary: expect.any(String) });

    // The secret never reaches the card, the trail, or a DM.
    const audit = await jit.app.store.auditOf(id);
    expect(JSON.stringify(audit)).not.toContain(`secret-${id}-value`);
    expect(JSON.stringify(jit.notifier.cards.get(id))).not.toContain(`secret-${id}-value`);
    expect(JSON.stringify(jit.notifier.dms)).not.toContain(`secret-${id}-value`);
    expect(audit.map((e) => e.type)).toEqual(expect.arrayContaining(['request.created', 'request.approved', 'grant.issued', 'pipeline.credential_collected']));
    expect(audit.find((e) => e.type === 'request.created')).toMatchObject({
      actor: { kind: 'pipeline', pipeline: 'pipeline:deployer', via: 'api', runId: '32291736541' },
      data: { pipeline: { repository: 'acme/app', repositoryId: '1339936803', actor: 'alice-gh', commit: 'b8962f4eaff8e14fc646cb22c596c81e67d71362' } },
    });

    // Access follows the job: its last step releases it, well before the 10 minutes.
    const released = await api(jit.url, 'POST', `/v1/requests/${id}/release`, await githubToken(), {}, pickup);
    expect(released.status).toBe(200);
    expect(['revoking', 'released']).toContain(released.body.status);
    await waitFor('released', async () => (await jit.app.store.get(id))?.status === 'released');
    expect(jit.issuer.credentials.get(id)?.revokedAt).toBeDefined();
    // Releasing again changes nothing.
    expect((await api(jit.url, 'POST', `/v1/requests/${id}/release`, await githubToken(), {}, pickup)).body.status).toBe('released');
  });

  it('withdraws a pending request on release, and keeps each run to its own requests', async () => {
    const created = await create(await githubToken());
    const id = String(created.body.id);
    // Another run of the same repository, and another repository, cannot see or end it.
    const otherRun = await githubToken({ run_id: '1' });
    expect((await api(jit.url, 'GET', `/v1/requests/${id}`, otherRun)).status).toBe(404);
    expect((await api(jit.url, 'POST', `/v1/requests/${id}/release`, otherRun)).status).toBe(404);
    expect((await api(jit.url, 'GET', `/v1/requests/${id}`, await githubToken({ repository_id: '2' }))).status).toBe(404);
    const refused = (await jit.app.store.auditOf(id)).filter((e) => e.type === 'pipeline.access_refused');
    expect(refused.length).toBe(3);

    const withdrawn = await api(jit.url, 'POST', `/v1/requests/${id}/release`, await githubToken(), {}, pickupOf(created));
    expect(withdrawn.body).toMatchObject({ status: 'cancelled' });
  });

  it('answers a retried POST with the same Idempotency-Key with the same request', async () => {
    const token = await githubToken();
    const headers = { 'idempotency-key': 'retry-key-0001' };
    const first = await api(jit.url, 'POST', '/v1/requests', token, { resource: 'prod-db', reason: 'retry' }, headers);
    const second = await api(jit.url, 'POST', '/v1/requests', token, { resource: 'prod-db', reason: 'retry' }, headers);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    // The replay (same job, same key) gets the same pickup secret back.
    expect(second.body.pickupSecret).toBe(first.body.pickupSecret);
    expect((await api(jit.url, 'POST', `/v1/requests/${String(first.body.id)}/release`, token, {}, pickupOf(second))).status).toBe(200);
  });

  it('refuses runs no pipeline matches, and resources the pipeline may not request', async () => {
    const feature = await create(await githubToken({ ref: 'refs/heads/feature', job_workflow_ref: 'acme/app/.github/workflows/deploy.yml@refs/heads/feature' }));
    expect(feature.status).toBe(403);
    expect(feature.body).toMatchObject({ error: 'unknown_pipeline' });
    // A branch named MAIN is not main: refs compare exactly.
    const shouting = await create(await githubToken({ ref: 'refs/heads/MAIN', job_workflow_ref: 'acme/app/.github/workflows/deploy.yml@refs/heads/MAIN' }));
    expect(shouting.status).toBe(403);
    const other = await create(await githubToken(), { resource: 'infra-state', reason: 'x' });
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ error: 'POLICY.NOT_REQUESTER', message: expect.stringContaining('prod-db') });
    const tooLong = await create(await githubToken(), { resource: 'prod-db', duration: '5h' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toMatch(/out of range/);
    const bad = await api(jit.url, 'POST', '/v1/requests', await githubToken(), { resource: 'prod-db', surprise: 1 });
    expect(bad.status).toBe(400);
  });
});

describe('tokens that do not prove a pipeline', () => {
  const cases: [string, () => Promise<string | undefined>, string][] = [
    ['no token', async () => undefined, 'missing_token'],
    ['an expired token', () => githubToken({}, { iat: Math.floor(Date.now() / 1000) - 600, lifetime: 300 }), 'expired'],
    ['a token for another audience', () => github.sign(FakeOidc.githubClaims(), { audience: 'https://github.com/acme' }), 'wrong_audience'],
    ['a token from another issuer', () => github.sign(FakeOidc.githubClaims(), { audience: AUDIENCE, issuer: 'https://token.actions.example.com' }), 'wrong_issuer'],
    ['a token older than the allowed age', () => githubToken({}, { iat: Math.floor(Date.now() / 1000) - 20 * 60, lifetime: 3600 }), 'too_old'],
    ['an unsigned token (alg none)', async () => github.unsigned({ ...FakeOidc.githubClaims(), aud: AUDIENCE }), 'unsigned'],
    ['a token signed with a key the issuer does not publish', () => githubToken({}, { foreignKey: true }), 'bad_signature'],
    // Once the keys may be fetched again (1 s here) and still lack it; within the cooldown it is a 503 (below).
    ['a token with a bogus key id', async () => new Promise((resolve) => setTimeout(resolve, 1100)).then(() => githubToken({}, { kid: 'nobody-s-key' })), 'unknown_key'],
    ['not a JWT at all', async () => 'not-a-jwt', 'malformed'],
  ];
  it.each(cases)('%s gets 401 and an audit event naming the reason, never the token', async (_label, makeToken, reason) => {
    const token = await makeToken();
    const before = Date.now();
    const response = await create(token ?? '');
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: 'invalid_token', reason, message: expect.any(String) });
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    const events = [];
    for await (const event of jit.app.store.exportAudit(before - 1000)) events.push(event);
    const rejection = events.reverse().find((e) => e.type === 'auth.oidc_rejected' && e.data.reason === reason);
    expect(rejection).toBeDefined();
    expect(rejection?.data).toMatchObject({ method: 'POST', path: '/v1/requests' });
    if (token) expect(JSON.stringify(events)).not.toContain(token);
  });

  it('refuses an old token for a new request but accepts it to read one the run made (GitLab keeps one token per job)', async () => {
    const claims = FakeOidc.gitlabClaims();
    const fresh = await gitlab.sign(claims, { audience: AUDIENCE });
    const created = await api(jit.url, 'POST', '/v1/requests', fresh, { resource: 'infra-state', duration: '15m', reason: 'terraform apply' });
    expect(created.status).toBe(201);
    expect(created.body.requester).toBe('pipeline:infra-apply');
    const id = String(created.body.id);
    const card = await waitFor('card', () => jit.notifier.lastCard(id));
    expect(card.pipeline).toMatchObject({ provider: 'gitlab', repository: 'acme/infra', runUrl: `${gitlab.issuer}/acme/infra/-/pipelines/1861`, triggeredBy: 'carol-gl' });

    // Minted 70 minutes ago (job start), still valid: reading works, creating does not.
    const old = await gitlab.sign(claims, { audience: AUDIENCE, iat: Math.floor(Date.now() / 1000) - 70 * 60, lifetime: 3 * 3600 });
    expect((await api(jit.url, 'GET', `/v1/requests/${id}`, old, undefined, pickupOf(created))).status).toBe(200);
    expect((await api(jit.url, 'POST', '/v1/requests', old, { resource: 'infra-state', reason: 'again' })).body).toMatchObject({ reason: 'too_old' });

    // carol triggered it (her email is the token's user_email): she cannot approve; bob can.
    await expect(jit.app.core.approve(person('carol'), id)).rejects.toMatchObject({ code: 'POLICY.SELF_APPROVAL' });
    await jit.app.core.approve(person('erin'), id);
    await waitFor('active', async () => (await jit.app.store.get(id))?.status === 'active');
    await api(jit.url, 'POST', `/v1/requests/${id}/release`, fresh, {}, pickupOf(created));
  });

  it('fetches the keys again when a token names a new key (rotation); within the cooldown it answers 503 with Retry-After, not 401', async () => {
    const rotating = await new FakeOidc({ kind: 'github' }).start();
    const quick = await startPipelineApp({ github: rotating, jwksCooldownMs: 4000 });
    try {
      const sign = () => rotating.sign(FakeOidc.githubClaims(), { audience: AUDIENCE });
      const warm = await api(quick.url, 'POST', '/v1/requests', await sign(), { resource: 'prod-db' });
      expect(warm.status).toBe(201);
      const fetches = rotating.jwksFetches;
      await rotating.addKey();
      const early = await api(quick.url, 'POST', '/v1/requests', await sign(), { resource: 'prod-db' });
      expect(early.status).toBe(503);
      expect(early.body).toMatchObject({ error: 'keys_refreshing' });
      const retryAfter = Number(early.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(4);
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 200));
      const created = await api(quick.url, 'POST', '/v1/requests', await sign(), { resource: 'prod-db' });
      expect(created.status).toBe(201);
      expect(rotating.jwksFetches).toBe(fetches + 1);
    } finally {
      await quick.stop();
      await rotating.stop();
    }
  });

  it('answers 401 for a token from an issuer it does not accept without naming the ones it does', async () => {
    const response = await create(await github.sign(FakeOidc.githubClaims(), { audience: AUDIENCE, issuer: 'https://token.actions.example.com' }));
    expect(response.status).toBe(401);
    expect(JSON.stringify(response.body)).not.toContain(github.issuer);
    expect(JSON.stringify(response.body)).not.toContain(gitlab.issuer);
    expect(response.headers.get('www-authenticate')).not.toContain('127.0.0.1');
  });
});

describe('who may approve a pipeline request', () => {
  it('never the person who triggered the run, nor an approver jitbot cannot tell apart from them', async () => {
    const created = await create(await githubToken({ actor: 'carol-gh' }));
    const id = String(created.body.id) as AccessRequest['id'];
    await expect(jit.app.core.approve(person('carol'), id)).rejects.toMatchObject({ code: 'POLICY.SELF_APPROVAL', message: expect.stringContaining('carol-gh') });
    // dave has no GitHub login in the policy: he might be carol-gh's other account, for all jitbot knows.
    await expect(jit.app.core.approve(person('dave'), id)).rejects.toMatchObject({ code: 'POLICY.NOT_APPROVER', message: expect.stringContaining('people.dave.github') });
    const refusals = (await jit.app.store.auditOf(id)).filter((e) => e.type === 'approve.refused');
    expect(refusals.map((e) => e.data.code)).toEqual(['POLICY.SELF_APPROVAL', 'POLICY.NOT_APPROVER']);
    expect((await jit.app.store.get(id))?.status).toBe('pending');
    // The triggering person may still stop it.
    const { request: denied } = await jit.app.core.deny(person('carol'), id, 'not today');
    expect(denied.status).toBe('denied');
    const read = await api(jit.url, 'GET', `/v1/requests/${id}`, await githubToken({ actor: 'carol-gh' }), undefined, pickupOf(created));
    expect(read.body).toMatchObject({ status: 'denied', deniedBy: 'carol', denyReason: 'not today', final: true });
  });
});
