import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/core/domain/audit-event.js';
import { person, waitFor } from '../../support/engine.js';
import { FakeGitHubDeployments } from '../../fakes/fake-github-deployments.js';
import { FakeOidc } from '../../fakes/fake-oidc.js';
import { startPipelineApp, type PipelineApp } from './pipeline-harness.js';
import { timing } from '../../support/timing.js';

let github: FakeOidc;
let deployments: FakeGitHubDeployments;
let jit: PipelineApp;
let hook: string;

beforeAll(async () => {
  github = await new FakeOidc({ kind: 'github' }).start();
  deployments = await new FakeGitHubDeployments().start();
  jit = await startPipelineApp({ github, deployments });
  hook = `${jit.url}/github/webhooks`;
});
afterAll(async () => {
  await jit?.stop();
  await deployments?.stop();
  await github?.stop();
});

const reviewsOf = (runId: number) => deployments.reviews.filter((r) => r.runId === String(runId));

async function auditSince(ms: number): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for await (const event of jit.app.store.exportAudit(ms)) events.push(event);
  return events;
}

describe('GitHub deployment protection rules answered from chat', () => {
  it('turns a signed webhook into an approval card and, on approval, calls the run back exactly once', async () => {
    const payload = deployments.payload({ runId: 7001, deploymentId: 1, sender: 'alice-gh' });
    const started = Date.now();
    const delivered = await deployments.deliver(hook, payload);
    timing('deployment protection webhook answered (GitHub allows 10 s)', Date.now() - started, 2000);
    expect(delivered.status).toBe(202);
    const id = String(delivered.body.requestId);
    expect(id).toMatch(/^JIT-\d+$/);

    const card = await waitFor('card', () => jit.notifier.lastCard(id));
    expect(card).toMatchObject({ resource: 'deploy-gate', requester: 'deployment:acme/app@production', duration: '10s' });
    expect(card.pipeline).toMatchObject({ kind: 'deployment', repository: 'acme/app', environment: 'production', runUrl: 'https://github.com/acme/app/actions/runs/7001', triggeredBy: 'alice-gh' });
    expect(card.reason).toContain('to production');

    // Redelivering (or replaying) the same webhook changes nothing.
    const replay = await deployments.deliver(hook, payload, { delivery: delivered.delivery });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ duplicate: true, requestId: id });
    const again = await deployments.deliver(hook, payload);
    expect(again.body).toMatchObject({ duplicate: true, requestId: id });
    expect(await jit.requestsOf('deployment:acme/app@production')).toHaveLength(1);

    // The person who pushed cannot approve their own deployment; someone else can.
    await expect(jit.app.core.approve(person('alice'), id as never)).rejects.toMatchObject({ code: 'POLICY.SELF_APPROVAL' });
    expect(reviewsOf(7001)).toHaveLength(0);
    await jit.app.core.approve(person('bob'), id as never);
    await waitFor('callback', () => reviewsOf(7001).length > 0);
    expect(reviewsOf(7001)[0]).toMatchObject({
      owner: 'acme',
      repo: 'app',
      body: { environment_name: 'production', state: 'approved', comment: expect.stringContaining(`Approved in chat by bob (${id})`) },
    });
    // The installation token was narrowed to the repository.
    expect(deployments.tokenRequests.at(-1)).toMatchObject({ installationId: '99', body: { repository_ids: [1339936803] } });

    // The approval window (10 s) ends, which tells the requester again: still exactly one callback.
    await waitFor('expired', async () => (await jit.app.store.get(id as never))?.status === 'expired', 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(reviewsOf(7001)).toHaveLength(1);
    const audit = await jit.app.store.auditOf(id as never);
    expect(audit.filter((e) => e.type === 'deployment.reported')).toHaveLength(1);
    expect(audit.filter((e) => e.type === 'deployment.report_refused')).toHaveLength(0);
  }, 60_000);

  it('reports a denial as a rejection, once, even when GitHub fails at first', async () => {
    deployments.failReviews = 2;
    const delivered = await deployments.deliver(hook, deployments.payload({ runId: 7002, deploymentId: 2, sender: 'dave-gh' }));
    const id = String(delivered.body.requestId) as never;
    await waitFor('card', () => jit.notifier.lastCard(id));
    await jit.app.core.deny(person('carol'), id, 'freeze until Monday');
    await waitFor('callback', () => reviewsOf(7002).length > 0, 20_000);
    expect(reviewsOf(7002)).toHaveLength(1);
    expect(reviewsOf(7002)[0]!.body).toMatchObject({ environment_name: 'production', state: 'rejected', comment: expect.stringContaining('freeze until Monday') });
    // GitHub answered; jitbot records it just after.
    const audit = await waitFor('reported', async () => {
      const events = await jit.app.store.auditOf(id);
      return events.some((e) => e.type === 'deployment.reported') ? events : undefined;
    });
    expect(audit.filter((e) => e.type === 'deployment.report_attempt_failed')).toHaveLength(2);
    expect(audit.filter((e) => e.type === 'deployment.reported')).toHaveLength(1);
  }, 30_000);

  it('refuses forged and unsigned webhooks before reading them, and records it', async () => {
    const before = Date.now();
    const forged = await deployments.deliver(hook, deployments.payload({ runId: 7003 }), { secret: 'not-the-webhook-secret-000' });
    expect(forged.status).toBe(401);
    const unsigned = await deployments.deliver(hook, deployments.payload({ runId: 7003 }), { signature: null });
    expect(unsigned.status).toBe(401);
    // A valid signature over other bytes does not carry over to a changed body.
    const signedOther = await deployments.deliver(hook, deployments.payload({ runId: 7003 }), {
      signature: `sha256=${(await import('node:crypto')).createHmac('sha256', deployments.webhookSecret).update('{}').digest('hex')}`,
    });
    expect(signedOther.status).toBe(401);
    expect(await jit.requestsOf('deployment:acme/app@production')).toHaveLength(2);
    const rejected = (await auditSince(before - 1000)).filter((e) => e.type === 'github.webhook_rejected');
    expect(rejected.map((e) => e.data.reason)).toEqual(['bad_signature', 'missing_signature', 'bad_signature']);
    expect(reviewsOf(7003)).toHaveLength(0);
  });

  it('rejects deployments to environments the policy does not gate, and answers pings', async () => {
    expect((await deployments.deliver(hook, { zen: 'Keep it logically awesome.', hook_id: 1 }, { event: 'ping' })).status).toBe(200);
    const staging = await deployments.deliver(hook, deployments.payload({ runId: 7004, environment: 'staging', deploymentId: 4 }));
    expect(staging.body).toMatchObject({ ungated: true });
    await waitFor('rejection', () => reviewsOf(7004).length > 0);
    expect(reviewsOf(7004)[0]!.body).toMatchObject({ environment_name: 'staging', state: 'rejected', comment: expect.stringContaining('no deploymentProtection entry') });
    // A callback URL outside the configured GitHub API is never called (the token would leak to it).
    const foreign = { ...deployments.payload({ runId: 7005, deploymentId: 5 }), deployment_callback_url: 'https://evil.example/repos/acme/app/actions/runs/7005/deployment_protection_rule' };
    expect((await deployments.deliver(hook, foreign)).status).toBe(400);
  });
});
