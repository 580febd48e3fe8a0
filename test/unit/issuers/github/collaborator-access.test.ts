import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IssuerError, type GrantContext } from '../../../../src/core/ports/issuer.js';
import { GitHubParamsSchema, type GitHubParams } from '../../../../src/issuers/github/github-schemas.js';
import type { GitHubIssuer } from '../../../../src/issuers/github/github-issuer.js';
import { contractGrant } from '../../../contract/issuer-contract.js';
import { startGitHubScene, type GitHubScene } from '../../../fakes/fake-github-scene.js';

let n = 0;
function grant(login: string, params: Record<string, unknown>, minutes = 60): GrantContext<GitHubParams> {
  n += 1;
  const start = Date.now();
  // The issuer gets params as the registry hands them over: parsed.
  return { ...contractGrant({ grantId: `JIT-${9000 + n}`, person: { name: login.replace(/-gh$/, ''), github: login }, window: { start, end: start + minutes * 60_000 } }), params: GitHubParamsSchema.parse(params) };
}

async function rejection(promise: Promise<unknown>): Promise<IssuerError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(IssuerError);
    return error as IssuerError;
  }
  throw new Error('expected a rejection');
}

describe('github issuer: repository collaborators', () => {
  let scene: GitHubScene;
  let issuer: GitHubIssuer;
  const repo = () => scene.fake.repos.get('acme/app')!;
  const puts = () => scene.fake.server.requests('PUT', /\/collaborators\//);

  beforeEach(async () => {
    scene = await startGitHubScene();
    issuer = await scene.issuer();
  });
  afterEach(async () => {
    expect(scene.fake.contractViolations).toEqual([]);
    await scene.stop();
  });

  it('keeps the role a person had before: raises it for the grant and puts it back at revoke, never removing it', async () => {
    repo().direct.set('alice-gh', 'pull');
    const g = grant('alice-gh', { repo: 'acme/app', permission: 'push' });
    const result = await issuer.issue(g);
    expect(repo().direct.get('alice-gh')).toBe('push');
    expect(result.receipt.revokeState).toMatchObject({ kind: 'collaborator', priorRole: 'pull', permission: 'push' });
    expect(result.receipt.details['had before']).toBe('pull (kept after this grant)');
    await issuer.revoke(g, result.receipt);
    expect(repo().direct.get('alice-gh')).toBe('pull');
    expect(scene.fake.server.requests('DELETE', /\/collaborators\//)).toHaveLength(0);
  });

  it('refuses a grant that would lower a higher role the person already has, without calling PUT', async () => {
    repo().direct.set('alice-gh', 'admin');
    const error = await rejection(issuer.issue(grant('alice-gh', { repo: 'acme/app', permission: 'push' })));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/already has admin on acme\/app, higher than the requested push; jitbot does not lower access/);
    expect(puts()).toHaveLength(0);
    expect(repo().direct.get('alice-gh')).toBe('admin');
  });

  it('refuses to replace a custom role it cannot rank', async () => {
    repo().direct.set('alice-gh', 'deployer');
    const error = await rejection(issuer.issue(grant('alice-gh', { repo: 'acme/app', permission: 'maintain' })));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/already has the role deployer/);
  });

  it('changes nothing for a person who already has exactly the role, and removes nothing at revoke', async () => {
    repo().direct.set('alice-gh', 'push');
    const g = grant('alice-gh', { repo: 'acme/app', permission: 'push' });
    const result = await issuer.issue(g);
    expect(puts()).toHaveLength(0);
    await issuer.revoke(g, result.receipt);
    expect(repo().direct.get('alice-gh')).toBe('push');
    expect(await issuer.verify(g, result.receipt)).toBe(false);
  });

  it('overlapping grants count references: the first to end lowers to what the other needs, the last restores none', async () => {
    const a = grant('alice-gh', { repo: 'acme/app', permission: 'maintain' });
    const b = grant('alice-gh', { repo: 'acme/app', permission: 'push' });
    const ra = await issuer.issue(a);
    const rb = await issuer.issue(b);
    expect(rb.receipt.details['shared with']).toBe(a.grantId);
    expect(repo().direct.get('alice-gh')).toBe('maintain');
    await issuer.revoke(a, ra.receipt);
    expect(repo().direct.get('alice-gh')).toBe('push');
    expect(await issuer.verify(b, rb.receipt)).toBe(true);
    expect(await issuer.verify(a, ra.receipt)).toBe(false);
    await issuer.revoke(b, rb.receipt);
    expect(repo().direct.has('alice-gh')).toBe(false);
  });

  it('overlapping grants in the other order: the lesser ends first and nothing changes until the greater ends', async () => {
    const a = grant('alice-gh', { repo: 'acme/app', permission: 'push' });
    const b = grant('alice-gh', { repo: 'acme/app', permission: 'admin' });
    const [ra, rb] = await Promise.all([issuer.issue(a), issuer.issue(b)]);
    expect(repo().direct.get('alice-gh')).toBe('admin');
    const before = puts().length;
    await issuer.revoke(a, ra.receipt);
    expect(repo().direct.get('alice-gh')).toBe('admin');
    expect(puts()).toHaveLength(before);
    await issuer.revoke(b, rb.receipt);
    expect(repo().direct.has('alice-gh')).toBe(false);
  });

  it('an outside collaborator gets an invitation (201): its link is in the receipt details, and revoke cancels it', async () => {
    const g = grant('carol-gh', { repo: 'acme/app', permission: 'pull' });
    const result = await issuer.issue(g);
    const [id] = [...repo().invitations.keys()];
    expect(result.receipt.revokeState).toMatchObject({ invitationId: id });
    expect(result.receipt.details.invitation).toMatch(/^https:\/\/github\.com\/acme\/app\/invitations \(accept it/);
    expect(result.receipt.summary).toMatch(/invited carol-gh to acme\/app with pull: accept the invitation at https:\/\/github\.com\/acme\/app\/invitations/);
    expect(await issuer.verify(g, result.receipt)).toBe(true);
    // Issuing again (a retried job) sends no second invitation.
    await issuer.issue(g);
    expect(repo().invitations.size).toBe(1);
    expect(puts()).toHaveLength(1);
    await issuer.revoke(g, result.receipt);
    expect(repo().invitations.size).toBe(0);
    expect(scene.fake.server.requests('DELETE', new RegExp(`/invitations/${id}$`))).toHaveLength(1);
  });

  it('an accepted invitation is removed as a collaborator at revoke', async () => {
    const g = grant('carol-gh', { repo: 'acme/app', permission: 'push' });
    const result = await issuer.issue(g);
    scene.fake.acceptInvitation('acme/app', 'carol-gh');
    expect(repo().direct.get('carol-gh')).toBe('push');
    await issuer.revoke(g, result.receipt);
    expect(repo().direct.has('carol-gh')).toBe(false);
  });

  it('a foreign pending invitation is left alone and the grant refused with a clear message', async () => {
    repo().invitations.set(5, { login: 'carol-gh', permission: 'pull', createdAt: Date.now() });
    const error = await rejection(issuer.issue(grant('carol-gh', { repo: 'acme/app', permission: 'push' })));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/pending invitation .* that jitbot did not send/);
    expect(repo().invitations.get(5)?.permission).toBe('pull');
  });

  it('"change applied but the answer was lost": the retry finishes the job and the person had nothing before', async () => {
    scene.fake.server.fault({ kind: 'lose-response', method: 'PUT' });
    const g = grant('alice-gh', { repo: 'acme/app', permission: 'maintain' });
    const error = await rejection(issuer.issue(g));
    expect(error.retryable).toBe(true);
    expect(repo().direct.get('alice-gh')).toBe('maintain'); // applied
    const result = await issuer.issue(g);
    expect(result.receipt.revokeState).toMatchObject({ priorRole: null });
    await issuer.revoke(g, result.receipt);
    expect(repo().direct.has('alice-gh')).toBe(false);
  });

  it('a lost answer to DELETE: the retried revoke succeeds and the ledger is not left behind', async () => {
    const g = grant('alice-gh', { repo: 'acme/app', permission: 'push' });
    const result = await issuer.issue(g);
    scene.fake.server.fault({ kind: 'lose-response', method: 'DELETE' });
    await expect(issuer.revoke(g, result.receipt)).rejects.toMatchObject({ retryable: true });
    await issuer.revoke(g, result.receipt);
    // A new grant afterwards sees no access of its own making as "prior".
    const again = await issuer.issue(grant('alice-gh', { repo: 'acme/app', permission: 'push' }));
    expect(again.receipt.revokeState).toMatchObject({ priorRole: null });
  });

  it('an org base role above the request is GitHub\'s 422 "Cannot assign": not retryable, GitHub\'s words kept', async () => {
    scene.fake.orgs.get('acme')!.baseRole = 'push';
    const error = await rejection(issuer.issue(grant('bob-gh', { repo: 'acme/app', permission: 'pull' })));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/GitHub refused \(422\).*Cannot assign bob-gh permission of pull/);
  });

  it('rate limits are retryable after the wait GitHub asks for: primary (403, remaining 0, reset), secondary (retry-after), 429', async () => {
    const g = grant('alice-gh', { repo: 'acme/app', permission: 'push' });
    // The issuer reads collaborators and invitations in parallel: aim each fault at one of them.
    const collaborators = /\/collaborators$/;
    scene.fake.rateLimited('primary', { seconds: 120, path: collaborators });
    const primary = await rejection(issuer.issue(g));
    expect(primary.retryable).toBe(true);
    expect(primary.retryAfterMs).toBeGreaterThan(115_000);
    expect(primary.retryAfterMs).toBeLessThan(125_000);
    scene.fake.rateLimited('secondary', { seconds: 61, path: collaborators });
    expect(await rejection(issuer.issue(g))).toMatchObject({ retryable: true, retryAfterMs: 61_000 });
    scene.fake.rateLimited('429', { seconds: 7, path: collaborators });
    expect(await rejection(issuer.issue(g))).toMatchObject({ retryable: true, retryAfterMs: 7_000 });
    await issuer.issue(g);
    expect(repo().direct.get('alice-gh')).toBe('push');
  });

  it('a GitHub that does not answer in time is retryable', async () => {
    const slow = await scene.issuer({ timeoutMs: 200, name: 'slow' });
    scene.fake.server.fault({ kind: 'delay', ms: 600 });
    expect(await rejection(slow.issue(grant('alice-gh', { repo: 'acme/app', permission: 'push' })))).toMatchObject({ retryable: true });
  });

  it('a person without a GitHub login is refused with a message that says how to fix it', async () => {
    const g = { ...contractGrant({ person: { name: 'dave' } }), params: GitHubParamsSchema.parse({ repo: 'acme/app', permission: 'push' }) };
    const error = await rejection(issuer.issue(g));
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('dave has no GitHub login in the policy: add "github: <login>" under people.dave');
    expect(scene.fake.server.log).toHaveLength(0);
  });

  it('verify sees access removed by hand', async () => {
    const g = grant('alice-gh', { repo: 'acme/app', permission: 'push' });
    const result = await issuer.issue(g);
    expect(await issuer.verify(g, result.receipt)).toBe(true);
    repo().direct.delete('alice-gh');
    expect(await issuer.verify(g, result.receipt)).toBe(false);
  });

  it('works against GitHub Enterprise Server under /api/v3', async () => {
    await scene.fake.stop();
    const { FakeGitHub } = await import('../../../fakes/fake-github.js');
    const { createGitHubIssuer, GitHubSettingsSchema } = await import('../../../../src/issuers/github/github-issuer.js');
    const ghes = new FakeGitHub({ pathPrefix: '/api/v3' });
    ghes.pats.add('ghes-token');
    ghes.addOrg('acme', { members: ['alice-gh'] });
    ghes.addRepo('acme/app');
    await ghes.start();
    try {
      const onPrem = await createGitHubIssuer('ghes', GitHubSettingsSchema.parse({ baseUrl: ghes.url, token: 'ghes-token' }), scene.env);
      const g = grant('alice-gh', { repo: 'acme/app', permission: 'triage' });
      await onPrem.issue(g);
      expect(ghes.repos.get('acme/app')!.direct.get('alice-gh')).toBe('triage');
      expect(ghes.server.log.every((r) => r.path.startsWith('/api/v3/'))).toBe(true);
      expect(ghes.contractViolations).toEqual([]);
    } finally {
      await ghes.stop();
    }
  });
});
