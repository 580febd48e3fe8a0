import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, jobsOf, memoryCore, person } from '../../../support/memory-core.js';

describe('grant lifecycle on memory ports', () => {
  it('request → approve → issued once → reminder → expired and revoked at the end, with DMs, card and a valid chain', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { core } = m;
    const { request: created } = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'INC-7' });
    expect(created.status).toBe('pending');
    expect(jobsOf(m, created.id)).toEqual(['notify:card@0', 'notify:dm:received@0', 'reannounce@600000', 'timeout@1800000']);
    await m.scheduler.runDue();
    expect(m.notifier.lastCard(created.id)?.actions.map((a) => a.id)).toEqual(['approve', 'deny']);
    expect(m.notifier.dmsTo('alice', 'received')).toHaveLength(1);

    await core.approve(person('bob'), created.id);
    // Deciding cancels the timeout and the re-announcement, and queues the issue job.
    expect(jobsOf(m, created.id)).toEqual(['issue@0', 'notify:card@0']);
    await m.scheduler.runDue();
    const active = await m.get(created.id);
    expect(active.status).toBe('active');
    if (active.status !== 'active') return;
    expect(active.window).toEqual({ start: m.clock.now(), end: m.clock.now() + HOUR });
    expect(m.issuer.credentials.get(created.id)?.issueCalls).toBe(1);
    expect(m.notifier.dmsTo('alice', 'active')[0]?.message.secret?.value).toBe(`secret-${created.id}-value`);
    expect(jobsOf(m, created.id)).toEqual([`remind@${HOUR - 5 * MINUTE}`, `revoke@${HOUR}`]);

    await m.scheduler.advance(HOUR - 5 * MINUTE);
    expect(m.notifier.dmsTo('alice', 'expiring')).toHaveLength(1);
    expect(m.issuer.credentials.get(created.id)?.revokedAt).toBeUndefined();
    expect(await m.status(created.id)).toBe('active');

    await m.scheduler.advance(5 * MINUTE);
    const ended = await m.get(created.id);
    expect(ended.status).toBe('expired');
    expect(ended.status === 'expired' && ended.endedAt).toBe(active.window.end);
    expect(m.issuer.credentials.get(created.id)?.revokeCalls).toBe(1);
    expect(m.notifier.dmsTo('alice', 'ended')).toHaveLength(1);
    expect(m.notifier.lastCard(created.id)?.status).toMatch(/^Ended: expired/);
    expect(m.scheduler.pending()).toEqual([]);
    expect(await m.auditTypes(created.id)).toEqual(['request.created', 'request.approved', 'grant.issuing', 'grant.issued', 'grant.expiring', 'grant.revoked']);
    expect(await m.store.verifyAudit()).toMatchObject({ ok: true, events: 6 });
    // The secret went to the DM only: it is nowhere in the stored state.
    const stored = JSON.stringify([...m.trail.entries.values()]) + JSON.stringify(await m.store.getMany([created.id]));
    expect(stored).not.toContain(`secret-${created.id}-value`);
  });
});

describe('approval rules on memory ports', () => {
  it('refuses self-approval and outsiders, counts an approver once, and needs distinct approvers for 2-of-N', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { core } = m;
    const { request: r } = await core.requestAccess({ actor: person('carol'), resource: 'two-keys', duration: '5m', reason: 'rotate keys' });
    expect(r.status === 'pending' && r.waitingOn).toEqual(['dave', 'erin']);
    await expect(core.approve(person('carol'), r.id)).rejects.toThrow(/own request/);
    await expect(core.approve(person('alice'), r.id)).rejects.toThrow(/not an approver/);
    await core.approve(person('dave'), r.id);
    await expect(core.approve(person('dave'), r.id)).rejects.toMatchObject({ code: 'REQUEST.ALREADY_APPROVED_BY_YOU' });
    const half = await m.get(r.id);
    expect(half.status).toBe('pending');
    expect(half.status === 'pending' && half.waitingOn).toEqual(['erin']);
    expect((await m.store.listWaitingOn('dave')).map((x) => x.id)).toEqual([]);
    expect((await m.store.listWaitingOn('erin')).map((x) => x.id)).toEqual([r.id]);
    await core.approve(person('erin'), r.id);
    await m.scheduler.runDue();
    expect(await m.status(r.id)).toBe('active');
    await expect(core.approve(person('bob'), r.id)).rejects.toThrow(/not an approver/);
    expect((await m.get(r.id)).approvals.map((a) => a.person)).toEqual(['dave', 'erin']);
    expect((await m.auditTypes(r.id)).slice(0, 6)).toEqual(['request.created', 'approve.refused', 'approve.refused', 'request.approval_added', 'request.approved', 'grant.issuing']);
  });

  it('settles hundreds of concurrent approve / deny calls to one outcome with one audit event per real change', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { core } = m;
    const { request: r } = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '5m', reason: 'race' });
    const calls = Array.from({ length: 300 }, (_, i) =>
      i % 3 === 1 ? core.deny(person(i % 2 ? 'bob' : 'carol'), r.id, 'no') : core.approve(person(i % 2 ? 'bob' : 'carol'), r.id),
    );
    const results = await Promise.allSettled(calls);
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    for (const result of results) if (result.status === 'rejected') expect(String(result.reason)).toMatch(/already (approved|denied)|cannot be/);
    const final = await m.get(r.id);
    const decisions = (await m.auditTypes(r.id)).filter((t) => t === 'request.approved' || t === 'request.denied');
    expect(decisions).toEqual([final.status === 'denied' ? 'request.denied' : 'request.approved']);
    await m.scheduler.runDue();
    expect(m.issuer.issueCalls).toBe(final.status === 'denied' ? 0 : 1);
    expect(await m.store.verifyAudit()).toMatchObject({ ok: true });
  });

  it('auto-approves within the rule and issues without a human; a longer request needs one', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: auto } = await m.core.requestAccess({ actor: person('alice'), resource: 'auto', duration: '10m', reason: '' });
    expect(auto).toMatchObject({ status: 'approved', autoApprovedBy: 0, approvalsRequired: 0 });
    expect(jobsOf(m, auto.id)).toEqual(['issue@0', 'notify:card@0', 'notify:dm:received@0']);
    await m.scheduler.runDue();
    expect(await m.status(auto.id)).toBe('active');
    expect((await m.auditTypes(auto.id)).slice(0, 3)).toEqual(['request.auto_approved', 'grant.issuing', 'grant.issued']);
    const { request: manual } = await m.core.requestAccess({ actor: person('alice'), resource: 'auto', duration: '45m', reason: '' });
    expect(manual.status).toBe('pending');
    // Another requester is not covered by the rule at any duration.
    expect((await m.core.requestAccess({ actor: person('dave'), resource: 'auto', duration: '5m', reason: '' })).request.status).toBe('pending');
  });

  it('refuses what policy forbids before anything is stored', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    await expect(m.core.requestAccess({ actor: person('alice'), resource: 'two-keys', duration: '5m', reason: '' })).rejects.toMatchObject({ code: 'POLICY.REASON_REQUIRED' });
    await expect(m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '9h', reason: '' })).rejects.toMatchObject({ code: 'POLICY.DURATION_OUT_OF_RANGE' });
    await expect(m.core.requestAccess({ actor: person('alice'), resource: 'nope', duration: '1h', reason: '' })).rejects.toMatchObject({ code: 'POLICY.UNKNOWN_RESOURCE' });
    expect(m.scheduler.pending()).toEqual([]);
    expect(await m.store.verifyAudit()).toMatchObject({ ok: true, events: 0 });
  });
});
