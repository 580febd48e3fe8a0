import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../../src/core/domain/access-request.js';
import { person, startEngine, testPolicy, waitFor, type Engine } from '../../support/engine.js';
import { BOT_TOKEN } from '../../fakes/fake-github-scene.js';
import { FakeGitHub } from '../../fakes/fake-github.js';
import { FakeVault } from '../../fakes/fake-vault.js';

/**
 * The whole job path (request → approval → issue job → delayed revoke job) on real Redis and BullMQ,
 * with the `github` and `vault` issuers built from the policy by the registry, against loopback fakes.
 */
describe('github and vault issuers through the engine', () => {
  let github: FakeGitHub;
  let vault: FakeVault;
  let engine: Engine;

  beforeEach(async () => {
    github = new FakeGitHub();
    github.pats.add(BOT_TOKEN);
    github.addOrg('acme', { members: ['alice-gh', 'bob-gh', 'carol-gh'] });
    github.addRepo('acme/app');
    await github.start();
    vault = new FakeVault();
    vault.botTokens.set('hvs.jitbot', { sudo: true, namespace: 'team-a' });
    await vault.start();
    const resource = { approvers: ['group:sre'], approvals: 1, maxDuration: '1h', reason: 'optional' } as const;
    engine = await startEngine({
      policy: testPolicy({
        people: {
          alice: { slack: 'U0ALICE', github: 'alice-gh' },
          bob: { slack: 'U0BOB', github: 'bob-gh' },
          carol: { slack: 'U0CAROL', github: 'carol-gh' },
          dave: { slack: 'U0DAVE' },
          erin: { slack: 'U0ERIN' },
        },
        issuers: {
          fake: { type: 'none' },
          gh: { type: 'github', baseUrl: github.url, token: BOT_TOKEN, timeoutMs: 2000 },
          vault: { type: 'vault', address: vault.url, token: 'hvs.jitbot', namespace: 'team-a', timeoutMs: 2000 },
        },
        resources: {
          'app-maintain': { issuer: 'gh', params: { repo: 'acme/app', permission: 'maintain' }, ...resource },
          'app-push': { issuer: 'gh', params: { repo: 'acme/app', permission: 'push' }, ...resource },
          'vault-deploy': { issuer: 'vault', params: { policies: ['deploy'], meta: { team: 'payments' } }, ...resource },
        },
      }),
    });
  });

  afterEach(async () => {
    await engine.stop();
    await github.stop();
    await vault.stop();
  });

  const statusOf = async (id: string) => (await engine.app.store.get(id))?.status;
  const until = (id: string, status: AccessRequest['status'], timeoutMs = 15_000) =>
    waitFor(`${id} ${status}`, async () => {
      const r = await engine.app.store.get(id);
      return r?.status === status ? r : undefined;
    }, timeoutMs);

  it('grants maintain on a repository and revokes it on time, keeping the pull the person had before; an overlapping grant is not ended early', async () => {
    const { core, store } = engine.app;
    const repo = github.repos.get('acme/app')!;
    repo.direct.set('alice-gh', 'pull'); // standing access, before jitbot

    const { request: first } = await core.requestAccess({ actor: person('alice'), resource: 'app-maintain', duration: '3s', reason: 'release 1.4' });
    await core.approve(person('bob'), first.id);
    const active = await until(first.id, 'active');
    expect(repo.direct.get('alice-gh')).toBe('maintain');
    expect(active.status === 'active' && active.receipt.details['had before']).toMatch(/pull/);
    const dm = await waitFor('active DM', () => engine.notifier.dmsTo('alice', 'active')[0]);
    expect(dm.message.lines.join('\n')).toContain('alice-gh has maintain on acme/app');

    // A second, overlapping grant of (lesser) access to the same repository, ending later.
    const { request: second } = await core.requestAccess({ actor: person('alice'), resource: 'app-push', duration: '7s', reason: 'hotfix' });
    await core.approve(person('carol'), second.id);
    await until(second.id, 'active');
    expect(repo.direct.get('alice-gh')).toBe('maintain');

    // The first ends: its maintain goes, but the second's push stays (not revoked early), and pull is not removed.
    await until(first.id, 'expired');
    expect(repo.direct.get('alice-gh')).toBe('push');
    expect(await statusOf(second.id)).toBe('active');

    // The second ends: back to exactly what alice had before.
    await until(second.id, 'expired');
    expect(repo.direct.get('alice-gh')).toBe('pull');
    expect(github.contractViolations).toEqual([]);
    expect(await store.verifyAudit()).toMatchObject({ ok: true });
    const types = (await store.auditOf(first.id)).map((e) => e.type);
    expect(types).toEqual(['request.created', 'request.approved', 'grant.issuing', 'grant.issued', 'grant.expiring', 'grant.revoked']);
  });

  it('a person without standing access ends with none, even when GitHub lost the answer to the first PUT', async () => {
    const { core, store } = engine.app;
    const repo = github.repos.get('acme/app')!;
    github.server.fault({ kind: 'lose-response', method: 'PUT', path: /collaborators\/bob-gh$/ });
    const { request: r } = await core.requestAccess({ actor: person('bob'), resource: 'app-push', duration: '2s', reason: 'lost answer' });
    await core.approve(person('carol'), r.id);
    await until(r.id, 'active');
    expect(github.server.requests('PUT', /collaborators\/bob-gh$/).map((q) => q.outcome)).toEqual(['lost', 204]);
    expect((await store.auditOf(r.id)).map((e) => e.type)).toContain('grant.issue_attempt_failed');
    await until(r.id, 'expired');
    expect(repo.direct.has('bob-gh')).toBe(false);
  });

  it('issues a Vault token by DM only, and revokes it by accessor when released; a second grant keeps its own token', async () => {
    const { core } = engine.app;
    const { request: a } = await core.requestAccess({ actor: person('alice'), resource: 'vault-deploy', duration: '30s', reason: 'deploy' });
    await core.approve(person('bob'), a.id);
    const active = await until(a.id, 'active');
    const { request: b } = await core.requestAccess({ actor: person('dave'), resource: 'vault-deploy', duration: '30s', reason: 'deploy too' });
    await core.approve(person('bob'), b.id);
    await until(b.id, 'active');

    const [tokenA] = vault.liveForGrant(a.id);
    expect(tokenA).toBeDefined();
    expect(tokenA!.explicitMaxTtl).toBeGreaterThan(25);
    expect(tokenA!.explicitMaxTtl).toBeLessThanOrEqual(30);
    expect(tokenA!.meta).toMatchObject({ jitbot_grant: a.id, jitbot_person: 'alice', jitbot_resource: 'vault-deploy', team: 'payments' });
    expect(tokenA!.orphan).toBe(true);
    expect(active.status === 'active' && active.receipt.revokeState).toEqual({ accessor: tokenA!.accessor, namespace: 'team-a' });
    const dm = await waitFor('active DM', () => engine.notifier.dmsTo('alice', 'active')[0]);
    expect(dm.message.secret?.value).toBe(tokenA!.id);

    // The token is nowhere in Redis: only its accessor is.
    for (const key of await engine.app.redis.commands.keys(`${engine.prefix}*`)) {
      const dump = await engine.app.redis.commands.dump(key);
      expect(dump?.includes(tokenA!.id) ?? false).toBe(false);
    }

    await core.release(person('alice'), a.id);
    await until(a.id, 'released');
    expect(vault.tokens.get(tokenA!.accessor)!.revoked).toBe(true);
    expect(vault.liveForGrant(b.id)).toHaveLength(1);
    await core.release(person('dave'), b.id);
    await until(b.id, 'released');
    expect(vault.live()).toHaveLength(0);
  });
});
