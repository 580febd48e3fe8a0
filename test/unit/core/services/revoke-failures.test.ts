import { describe, expect, it } from 'vitest';
import type { IssueReceipt } from '../../../../src/core/domain/access-request.js';
import { IssuerError, type GrantContext } from '../../../../src/core/ports/issuer.js';
import { FakeIssuer } from '../../../fakes/fake-issuer.js';
import { HOUR, memoryCore, person, type MemoryCore } from '../../../support/memory-core.js';

async function activeGrant(m: MemoryCore) {
  const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'flaky target' });
  await m.core.approve(person('bob'), r.id);
  await m.scheduler.runDue();
  const active = await m.get(r.id);
  if (active.status !== 'active') throw new Error(`${r.id} is ${active.status}`);
  return active;
}

describe('revocation failures on memory ports', () => {
  it('an issuer failing 10 times: revoke_failed after 3 attempts with an alert, retried until revoked, then a recovery notice', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const active = await activeGrant(m);
    m.issuer.failRevokes = 10;
    await m.scheduler.advanceTo(active.window.end);
    expect(await m.get(active.id)).toMatchObject({ status: 'revoking', revokeAttempts: 1 });
    // Backoff doubles from 1 s: attempts 2 and 3 come 1 s and 2 s later; the third failure marks it.
    await m.scheduler.advance(1000);
    expect(await m.get(active.id)).toMatchObject({ status: 'revoking', revokeAttempts: 2 });
    await m.scheduler.advance(2000);
    expect(await m.get(active.id)).toMatchObject({ status: 'revoke_failed', revokeAttempts: 3 });
    expect(m.notifier.notices.filter((n) => n.requestId === active.id && n.tone === 'alarm')).toHaveLength(1);
    // The approvers and the admins hear of it (bob and carol are both).
    expect(m.notifier.dmsTo('carol', 'revoke_failed')).toHaveLength(1);
    expect(m.notifier.dmsTo('bob', 'revoke_failed')).toHaveLength(1);
    expect(m.notifier.lastCard(active.id)?.title).toContain('REVOCATION FAILING');

    await m.scheduler.advance(HOUR);
    const revoked = await m.get(active.id);
    expect(revoked).toMatchObject({ status: 'expired', revokeAttempts: 10 });
    expect(m.issuer.revokeCalls).toBe(11);
    expect(m.issuer.credentials.get(active.id)?.revokedAt).toBeDefined();
    const types = await m.auditTypes(active.id);
    expect(types.filter((t) => t === 'grant.revoke_attempt_failed' || t === 'grant.revoke_failed')).toHaveLength(10);
    expect(types.filter((t) => t === 'grant.revoke_failed')).toHaveLength(1);
    expect(types.at(-1)).toBe('grant.revoked');
    expect(m.notifier.notices.filter((n) => n.requestId === active.id && n.tone === 'good')).toHaveLength(1);
    expect(m.notifier.dmsTo('alice', 'ended')).toHaveLength(1);
    expect(await m.store.verifyAudit()).toMatchObject({ ok: true });
  });

  it('a revocation the issuer says can never work is marked failing at once, and keeps being retried', async () => {
    expect.hasAssertions();
    class RefusingIssuer extends FakeIssuer {
      override async revoke(grant: GrantContext, receipt: IssueReceipt | undefined): Promise<void> {
        if (this.failRevokes > 0) {
          this.failRevokes--;
          this.revokeCalls++;
          throw new IssuerError('the target refuses (test)', false);
        }
        return super.revoke(grant, receipt);
      }
    }
    const m = memoryCore({ issuer: new RefusingIssuer() });
    const active = await activeGrant(m);
    m.issuer.failRevokes = 2;
    await m.scheduler.advanceTo(active.window.end);
    expect(await m.get(active.id)).toMatchObject({ status: 'revoke_failed', revokeAttempts: 1 });
    await m.scheduler.advance(HOUR);
    expect(await m.get(active.id)).toMatchObject({ status: 'expired', revokeAttempts: 2 });
  });

  it('an admin closes a grant whose revocation keeps failing; its revoke job then ends', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const active = await activeGrant(m);
    m.issuer.failRevokes = 1000;
    await m.scheduler.advanceTo(active.window.end + 10_000);
    expect(await m.status(active.id)).toBe('revoke_failed');
    const { request: closed } = await m.core.revoke(person('carol'), active.id, 'removed by hand');
    expect(closed).toMatchObject({ status: 'revoked', resolvedBy: { person: 'carol' } });
    await m.scheduler.advance(HOUR);
    expect(await m.scheduler.hasJob('revoke', active.id)).toBe(false);
    expect(m.notifier.dmsTo('alice', 'ended')).toHaveLength(1);
    expect(await m.auditTypes(active.id)).toContain('grant.revoke_resolved');
  });

  it('an issue that fails for good: request failed, requester told, a defensive revoke is made', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    m.issuer.fatalIssue = true;
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    await m.core.approve(person('bob'), r.id);
    await m.scheduler.runDue();
    expect(await m.get(r.id)).toMatchObject({ status: 'failed', error: 'target refused the grant (test)' });
    expect(m.issuer.issueCalls).toBe(1);
    expect(m.notifier.dmsTo('alice', 'failed')).toHaveLength(1);
    expect(m.notifier.lastCard(r.id)?.title).toBe(`${r.id}: failed`);
    expect(m.issuer.revokeCalls).toBeGreaterThanOrEqual(1);
    expect(await m.auditTypes(r.id)).toEqual(['request.created', 'request.approved', 'grant.issuing', 'grant.issue_attempt_failed', 'grant.issue_failed', 'grant.defensive_revoke']);
  });

  it('a flaky issuer is retried with attempts counted, and gives up after the configured number', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    m.issuer.failIssues = 2;
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    await m.core.approve(person('bob'), r.id);
    await m.scheduler.advance(10_000);
    expect(await m.status(r.id)).toBe('active');
    const attempts = (await m.store.auditOf(r.id)).filter((e) => e.type === 'grant.issuing').map((e) => e.data.attempt);
    expect(attempts).toEqual([1, 2, 3]);

    m.issuer.failIssues = 10;
    const { request: g } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'y' });
    await m.core.approve(person('bob'), g.id);
    await m.scheduler.advance(60_000);
    expect(await m.status(g.id)).toBe('failed');
    expect((await m.auditTypes(g.id)).filter((t) => t === 'grant.issue_attempt_failed')).toHaveLength(4);
  });
});
