import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IssuerError, type GrantContext } from '../../../../src/core/ports/issuer.js';
import { signature } from '../../../../src/issuers/webhook/standard-webhooks.js';
import { createWebhookIssuer, type WebhookIssuer } from '../../../../src/issuers/webhook/webhook-issuer.js';
import { WebhookSettingsSchema } from '../../../../src/issuers/webhook/webhook-schemas.js';
import { contractGrant } from '../../../contract/issuer-contract.js';
import { WebhookReceiver } from '../../../fakes/webhook-receiver.js';

async function rejection(promise: Promise<unknown>): Promise<IssuerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IssuerError);
  return error as IssuerError;
}

describe('Standard Webhooks signing', () => {
  it('matches the reference vector of the Standard Webhooks libraries', () => {
    expect(signature(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('signs with every secret while rotating, space-separated', () => {
    const both = signature(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', `whsec_${Buffer.alloc(32, 7).toString('base64')}`], 'msg_1', 1, 'x');
    expect(both.split(' ')).toHaveLength(2);
    expect(both.split(' ').every((s) => s.startsWith('v1,'))).toBe(true);
  });

  it('accepts only whsec_ secrets of 24 to 64 bytes, and https (http only on loopback)', () => {
    expect(WebhookSettingsSchema.safeParse({ secret: 'whsec_short' }).success).toBe(false);
    expect(WebhookSettingsSchema.safeParse({ secret: 'plain-secret-value-that-is-long-enough' }).success).toBe(false);
    expect(WebhookSettingsSchema.safeParse({ url: 'http://hooks.example.com/x' }).success).toBe(false);
    expect(WebhookSettingsSchema.safeParse({ url: 'http://127.0.0.1:9/x', secret: `whsec_${Buffer.alloc(32).toString('base64')}` }).success).toBe(true);
  });
});

describe('webhook issuer', () => {
  let receiver: WebhookReceiver;
  let issuer: WebhookIssuer;
  const grant = (overrides: Partial<GrantContext> = {}) =>
    contractGrant({ params: { data: { group: 'deployers' } }, approvers: ['bob', 'carol'], reason: 'INC-7 rollback', ...overrides });

  beforeEach(async () => {
    receiver = new WebhookReceiver();
    await receiver.start();
    issuer = createWebhookIssuer('hook', WebhookSettingsSchema.parse({ url: receiver.url, secret: receiver.secret, timeoutMs: 500, pollIntervalMs: 20, pollTimeoutMs: 500 }));
  });
  afterEach(async () => receiver.stop());

  it('sends grant.activate with the grant, the person and their identities, the window, reason and approvers; grant.deactivate at revoke', async () => {
    const g = grant();
    const result = await issuer.issue(g);
    const [activate] = receiver.applied;
    expect(activate!.type).toBe('grant.activate');
    expect(activate!.body).toMatchObject({
      type: 'grant.activate',
      data: {
        grant: {
          id: g.grantId,
          resource: 'prod-deploy',
          params: { group: 'deployers' },
          window: { start: new Date(g.window.start).toISOString(), end: new Date(g.window.end).toISOString() },
          reason: 'INC-7 rollback',
          approvers: ['bob', 'carol'],
        },
        person: { name: 'alice', identities: { email: 'alice@example.com', github: 'alice-gh', slack: 'U0ALICE' } },
      },
    });
    expect(result.receipt.details['webhook id']).toBe(activate!.id);
    await issuer.revoke(g, result.receipt);
    expect(receiver.applied.map((e) => e.type)).toEqual(['grant.activate', 'grant.deactivate']);
    expect(receiver.active.size).toBe(0);
    expect(receiver.rejected).toBe(0);
  });

  it('retries after a 5xx and after a lost answer carry the same webhook-id, and the receiver applies the event once', async () => {
    const g = grant();
    receiver.server.fault({ kind: 'status', reply: { status: 502, body: 'bad gateway' } });
    expect(await rejection(issuer.issue(g))).toMatchObject({ retryable: true });
    receiver.server.fault({ kind: 'lose-response' });
    expect(await rejection(issuer.issue(g))).toMatchObject({ retryable: true });
    await issuer.issue(g);
    const ids = new Set(receiver.server.log.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    expect(receiver.deliveries([...ids][0] as string)).toBe(3);
    expect(receiver.applied).toHaveLength(1);
    // Each attempt is signed afresh (its own timestamp may differ); the receiver verified all.
    expect(receiver.rejected).toBe(0);
  });

  it('keeps the webhook-id across a secret rotation: an event retried under the new secret is the same message, applied once', async () => {
    const g = grant();
    receiver.server.fault({ kind: 'lose-response' });
    expect(await rejection(issuer.issue(g))).toMatchObject({ retryable: true });
    expect(receiver.applied).toHaveLength(1);
    // The operator rotates: the receiver now takes only the new secret; jitbot signs with both.
    const old = receiver.secret;
    const next = WebhookReceiver.newSecret();
    receiver.rotate([next]);
    const rotated = createWebhookIssuer('hook', WebhookSettingsSchema.parse({ url: receiver.url, secret: [next, old], timeoutMs: 500, pollIntervalMs: 20, pollTimeoutMs: 500 }));
    const result = await rotated.issue(g);
    const ids = receiver.server.log.map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(1);
    expect(result.receipt.revokeState.webhookId).toBe(ids[0]);
    expect(receiver.applied).toHaveLength(1);
    expect(receiver.rejected).toBe(0);
    // A deactivation is the same message whichever secret signs it, too.
    const before = createWebhookIssuer('hook', WebhookSettingsSchema.parse({ url: receiver.url, secret: old }));
    receiver.rotate([old]);
    await before.revoke(g);
    receiver.rotate([next]);
    await rotated.revoke(g);
    expect(receiver.applied.map((e) => e.type)).toEqual(['grant.activate', 'grant.deactivate']);
    expect(receiver.deliveries(receiver.applied[1]!.id)).toBe(2);
  });

  it('grant.deactivate carries when the access really ended: the planned end when it expired, earlier when revoked or released', async () => {
    const expiring = grant({ grantId: 'JIT-81' });
    await issuer.revoke({ ...expiring, ended: { at: expiring.window.end + 1500, reason: 'expired' } });
    const early = grant({ grantId: 'JIT-82' });
    const revokedAt = early.window.start + 60_000;
    await issuer.revoke({ ...early, ended: { at: revokedAt, reason: 'revoked' } });
    const [expired, revoked] = receiver.applied.map((e) => (e.body.data as { grant: Record<string, unknown> }).grant);
    expect(expired).toMatchObject({ window: { end: new Date(expiring.window.end).toISOString() }, ended: { at: new Date(expiring.window.end).toISOString(), reason: 'expired' } });
    expect(revoked).toMatchObject({
      window: { start: new Date(early.window.start).toISOString(), end: new Date(revokedAt).toISOString() },
      ended: { at: new Date(revokedAt).toISOString(), reason: 'revoked' },
    });
  });

  it('a receiver that does not answer in time is retryable, with the same id next time', async () => {
    receiver.server.fault({ kind: 'delay', ms: 900 });
    const error = await rejection(issuer.issue(grant()));
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/no answer within 500 ms; retrying with the same webhook-id/);
  });

  it('4xx is final except 408 and 429 (Retry-After honoured); 3xx is not followed', async () => {
    for (const [status, retryable] of [[400, false], [401, false], [404, false], [409, false], [410, false], [422, false], [408, true], [429, true], [500, true], [503, true]] as const) {
      receiver.server.fault({ kind: 'status', reply: { status, headers: status === 429 ? { 'retry-after': '12' } : {}, body: { error: `answer ${status}` } } });
      const error = await rejection(issuer.issue(grant()));
      expect({ status, retryable: error.retryable }).toEqual({ status, retryable });
      if (status === 429) expect(error.retryAfterMs).toBe(12_000);
      if (!retryable) expect(error.message).toContain(`answer ${status}`);
    }
    receiver.server.fault({ kind: 'status', reply: { status: 301, headers: { location: 'https://elsewhere.example.com/' } } });
    expect(await rejection(issuer.issue(grant()))).toMatchObject({ retryable: false, message: expect.stringMatching(/does not follow redirects/) });
  });

  it('202 with a status URL is polled until done; "failed" is final; still pending at the deadline is retryable', async () => {
    receiver.mode = 'async';
    receiver.pendingPolls = 2;
    const g = grant();
    const result = await issuer.issue(g);
    expect(receiver.active.has(g.grantId)).toBe(true);
    expect(result.receipt.details.note).toBe('applied asynchronously');
    const polls = receiver.server.requests('GET', /\/hooks\/status\//);
    expect(polls).toHaveLength(3);
    expect(new Set(polls.map((p) => p.headers['webhook-id']))).toEqual(new Set([result.receipt.revokeState.webhookId]));

    receiver.failJobs = true;
    receiver.pendingPolls = 0;
    expect(await rejection(issuer.issue(grant()))).toMatchObject({ retryable: false, message: expect.stringMatching(/the target refused the change/) });

    receiver.failJobs = false;
    receiver.pendingPolls = 1000;
    expect(await rejection(issuer.issue(grant()))).toMatchObject({ retryable: true, message: expect.stringMatching(/still not done/) });
  });

  it("a credential the receiver returns goes to the requester's DM only, never into the receipt", async () => {
    receiver.extraAnswer = { details: { console: 'https://console.example.com/session/42' }, secret: { label: 'session password', value: 'correct-horse-battery-staple-42' } };
    const result = await issuer.issue(grant());
    expect(result.secret).toEqual({ label: 'session password', value: 'correct-horse-battery-staple-42' });
    expect(result.receipt.details.console).toBe('https://console.example.com/session/42');
    expect(JSON.stringify(result.receipt)).not.toContain('correct-horse');
  });

  it('a resource may name its own endpoint and secret; without any, the grant is refused clearly', async () => {
    const bare = createWebhookIssuer('bare', WebhookSettingsSchema.parse({}));
    const error = await rejection(bare.issue(grant()));
    expect(error).toMatchObject({ retryable: false, message: expect.stringMatching(/no url for prod-deploy/) });
    await bare.issue(grant({ params: { url: receiver.url, secret: receiver.secret } }));
    expect(receiver.applied).toHaveLength(1);
  });

  it('an extension is its own event (grant.extend, a new id) with the new window', async () => {
    const g = grant();
    const first = await issuer.issue(g);
    const longer = { ...g, window: { start: g.window.start, end: g.window.end + 3_600_000 } };
    const extended = await issuer.extend(longer);
    expect(extended.receipt.revokeState.webhookId).not.toBe(first.receipt.revokeState.webhookId);
    expect(receiver.active.get(g.grantId)?.type).toBe('grant.extend');
  });
});
