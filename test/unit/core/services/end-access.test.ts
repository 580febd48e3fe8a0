import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, jobsOf, memoryCore, person, type MemoryCore } from '../../../support/memory-core.js';

async function activeGrant(m: MemoryCore) {
  const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
  await m.core.approve(person('carol'), r.id);
  await m.scheduler.runDue();
  const active = await m.get(r.id);
  if (active.status !== 'active') throw new Error(`${r.id} is ${active.status}`);
  return active;
}

describe('end of access on memory ports', () => {
  it('the requester cancels a pending request: its timeout and re-announcement go, later clicks are refused', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    await m.scheduler.runDue();
    await expect(m.core.cancel(person('bob'), r.id)).rejects.toThrow(/Only alice/);
    expect((await m.core.cancel(person('alice'), r.id)).request.status).toBe('cancelled');
    expect(jobsOf(m, r.id)).toEqual(['notify:card@0']);
    await m.scheduler.runDue();
    expect(m.notifier.lastCard(r.id)?.status).toBe('Cancelled by alice.');
    await expect(m.core.approve(person('bob'), r.id)).rejects.toThrow(/cancelled/);
    await expect(m.core.cancel(person('alice'), r.id)).rejects.toMatchObject({ code: 'REQUEST.ALREADY_DECIDED' });
    expect(await m.store.listWaitingOn('bob')).toEqual([]);
  });

  it('the requester releases access now: the one revoke job moves to now, the reminder goes, the card and DM say so', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const active = await activeGrant(m);
    await m.scheduler.advance(10 * MINUTE);
    await expect(m.core.release(person('bob'), active.id)).rejects.toThrow(/Only alice/);
    const { request: releasing } = await m.core.release(person('alice'), active.id);
    expect(releasing).toMatchObject({ status: 'revoking', endReason: 'released' });
    expect(jobsOf(m, active.id)).toEqual(['revoke@0', 'notify:card@0']);
    await m.scheduler.runDue();
    expect(await m.status(active.id)).toBe('released');
    expect(m.issuer.credentials.get(active.id)?.revokeCalls).toBe(1);
    expect(await m.scheduler.hasJob('revoke', active.id)).toBe(false);
    expect(m.notifier.dmsTo('alice', 'ended')).toHaveLength(1);
    expect(m.notifier.lastCard(active.id)?.status).toMatch(/^Ended: released by alice/);
    // Nothing fires later: no reminder, no second revocation.
    await m.scheduler.advance(2 * HOUR);
    expect(m.notifier.dmsTo('alice', 'expiring')).toHaveLength(0);
    expect(m.issuer.revokeCalls).toBe(1);
    await expect(m.core.release(person('alice'), active.id)).rejects.toThrow(/is over \(released\)/);
    expect((await m.auditTypes(active.id)).slice(-2)).toEqual(['grant.released', 'grant.revoked']);
  });

  it('an admin revokes someone else\'s access; others may not; an operator at the CLI may', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const active = await activeGrant(m);
    await expect(m.core.revoke(person('alice'), active.id, 'mine')).rejects.toMatchObject({ code: 'POLICY.NOT_ADMIN' });
    await expect(m.core.revoke({ kind: 'pipeline', pipeline: 'pipeline:ci', via: 'api' }, active.id, 'x')).rejects.toMatchObject({ code: 'POLICY.NOT_ADMIN' });
    const { request: revoking } = await m.core.revoke(person('bob'), active.id, 'left the team');
    expect(revoking).toMatchObject({ status: 'revoking', endReason: 'revoked', endedBy: { person: 'bob' } });
    await m.scheduler.runDue();
    expect(await m.status(active.id)).toBe('revoked');
    expect(m.issuer.credentials.get(active.id)?.revokedAt).toBeDefined();
    const audit = await m.store.auditOf(active.id);
    expect(audit.find((e) => e.type === 'grant.revoke_requested')?.data).toEqual({ reason: 'left the team' });

    const other = await activeGrant(m);
    await m.core.revoke({ kind: 'operator', osUser: 'root' }, other.id, 'incident');
    await m.scheduler.runDue();
    expect(await m.status(other.id)).toBe('revoked');
  });

  it('refuses to end what holds no access', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    await expect(m.core.release(person('alice'), r.id)).rejects.toMatchObject({ code: 'REQUEST.INVALID_TRANSITION' });
    await expect(m.core.revoke(person('bob'), r.id, 'x')).rejects.toMatchObject({ code: 'REQUEST.INVALID_TRANSITION' });
    await expect(m.core.release(person('alice'), 'JIT-404')).rejects.toMatchObject({ code: 'REQUEST.NOT_FOUND' });
    expect(await m.scheduler.hasJob('revoke', r.id)).toBe(false);
  });
});
