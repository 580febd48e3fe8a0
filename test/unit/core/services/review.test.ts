import { describe, expect, it } from 'vitest';
import { MINUTE, fixturePolicy, jobsOf, memoryCore, person } from '../../../support/memory-core.js';

describe('review on memory ports', () => {
  it('denies with a reason: the requester hears why, timeout and re-announcement are cancelled, nothing is issued', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    await m.scheduler.runDue();
    await expect(m.core.deny(person('bob'), r.id, '  ')).rejects.toMatchObject({ code: 'INPUT.BAD_REASON' });
    await expect(m.core.deny(person('alice'), r.id, 'mine')).rejects.toMatchObject({ code: 'POLICY.SELF_APPROVAL' });
    const { request: denied } = await m.core.deny(person('bob'), r.id, 'not during the freeze');
    expect(denied).toMatchObject({ status: 'denied', deniedBy: 'bob', denyReason: 'not during the freeze' });
    expect(jobsOf(m, r.id)).toEqual(['notify:dm:denied@0', 'notify:card@0']);
    await m.scheduler.runDue();
    expect(m.notifier.dmsTo('alice', 'denied')[0]?.message.lines.join(' ')).toContain('not during the freeze');
    expect(m.notifier.lastCard(r.id)).toMatchObject({ tone: 'bad', actions: [] });
    expect(m.issuer.issueCalls).toBe(0);
    expect(await m.store.listWaitingOn('bob')).toEqual([]);
    expect(await m.auditTypes(r.id)).toEqual(['request.created', 'deny.refused', 'request.denied']);
  });

  it('refuses stale decisions: approve or deny after a decision, a cancel or a time-out says what happened', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { core } = m;
    const { request: denied } = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    await core.deny(person('bob'), denied.id, 'no');
    await expect(core.approve(person('carol'), denied.id)).rejects.toThrow(`${denied.id} is already denied by bob, so it cannot be approved now.`);

    const { request: approved } = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    await core.approve(person('bob'), approved.id);
    await expect(core.deny(person('carol'), approved.id, 'too late')).rejects.toMatchObject({ code: 'REQUEST.ALREADY_DECIDED' });
    await expect(core.approve(person('carol'), approved.id)).rejects.toThrow(/already approved by bob/);

    const { request: cancelled } = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    await core.cancel(person('alice'), cancelled.id);
    await expect(core.approve(person('bob'), cancelled.id)).rejects.toThrow(/cancelled/);

    await expect(core.approve(person('bob'), 'JIT-999')).rejects.toMatchObject({ code: 'REQUEST.NOT_FOUND' });
    await m.scheduler.runDue();
    expect(m.issuer.issueCalls).toBe(1);
  });

  it('times out an undecided request: closed, requester told, card updated, later clicks refused', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    await m.scheduler.advance(30 * MINUTE - 1000);
    expect(await m.status(r.id)).toBe('pending');
    await m.scheduler.advance(1000);
    expect(await m.status(r.id)).toBe('timed_out');
    expect(m.notifier.dmsTo('alice', 'timed_out')).toHaveLength(1);
    expect(m.notifier.lastCard(r.id)?.title).toBe(`${r.id}: timed out`);
    expect(await m.scheduler.hasJob('timeout', r.id)).toBe(false);
    expect(jobsOf(m, r.id)).toEqual([]);
    await expect(m.core.approve(person('bob'), r.id)).rejects.toThrow(/nobody decided in time/);
    expect((await m.auditTypes(r.id)).filter((t) => t !== 'request.reannounced')).toEqual(['request.created', 'request.timed_out']);
  });

  it('re-announces an undecided request to its approvers at doubling intervals, never to the requester, and stops once decided', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'waiting' });
    await m.scheduler.advance(10 * MINUTE);
    expect(m.notifier.dmsTo('bob', 'reannounce')).toHaveLength(1);
    expect(m.notifier.dmsTo('carol', 'reannounce')).toHaveLength(1);
    // Round 1 ran at 10 min; round 2 would wait 10 min × 2¹, to the 30 min timeout itself: none.
    expect(jobsOf(m, r.id)).toEqual([`timeout@${20 * MINUTE}`]);

    const policy = fixturePolicy();
    m.setPolicy({ ...policy, settings: { ...policy.settings, reannounceAfter: 2 * MINUTE } });
    const { request: q } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'waiting' });
    await m.scheduler.advance(2 * MINUTE);
    // Each round waits twice as long as the one before: 2 min, then 4, then 8.
    expect(jobsOf(m, q.id)).toEqual([`reannounce@${4 * MINUTE}`, `timeout@${28 * MINUTE}`]);
    await m.scheduler.advance(4 * MINUTE);
    expect(jobsOf(m, q.id)).toEqual([`reannounce@${8 * MINUTE}`, `timeout@${24 * MINUTE}`]);
    const rounds = (await m.store.auditOf(q.id)).filter((e) => e.type === 'request.reannounced').map((e) => e.data.round);
    expect(rounds).toEqual([1, 2]);
    expect(m.notifier.dmsTo('alice', 'reannounce')).toHaveLength(0);
    await m.core.approve(person('carol'), q.id);
    expect(m.scheduler.job(`reannounce-${q.id}`)).toBeUndefined();
    const before = m.notifier.dmsTo('bob', 'reannounce').length;
    await m.scheduler.advance(60 * MINUTE);
    expect(m.notifier.dmsTo('bob', 'reannounce')).toHaveLength(before);
  });

  it('a re-announcement only goes to approvers who have not approved yet', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('carol'), resource: 'two-keys', duration: '1h', reason: 'rotate' });
    await m.core.approve(person('dave'), r.id);
    await m.scheduler.advance(10 * MINUTE);
    expect(m.notifier.dmsTo('erin', 'reannounce')).toHaveLength(1);
    expect(m.notifier.dmsTo('dave', 'reannounce')).toHaveLength(0);
  });
});
