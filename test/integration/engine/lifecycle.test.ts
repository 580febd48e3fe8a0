import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { person, startEngine, testPolicy, waitFor, type Engine } from '../../support/engine.js';
import { timing } from '../../support/timing.js';

describe('grant lifecycle on BullMQ and Redis', () => {
  let engine: Engine;
  beforeEach(async () => {
    engine = await startEngine();
  });
  afterEach(async () => engine.stop());

  it('request → approve → issued once → reminder → revoked at the end, with DMs, card updates and a valid audit chain', async () => {
    const { core, store } = engine.app;
    const { request: created } = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '2s', reason: 'INC-7' });
    expect(created.status).toBe('pending');
    await waitFor('card posted', () => engine.notifier.lastCard(created.id));
    expect(engine.notifier.lastCard(created.id)?.actions.map((a) => a.id)).toEqual(['approve', 'deny']);

    await core.approve(person('bob'), created.id);
    const active = await waitFor('grant active', async () => {
      const r = await store.get(created.id);
      return r?.status === 'active' ? r : undefined;
    });
    expect(engine.issuer.credentials.get(created.id)?.issueCalls).toBe(1);
    const activeDm = await waitFor('active DM', () => engine.notifier.dmsTo('alice', 'active')[0]);
    expect(activeDm.message.secret?.value).toBe(`secret-${created.id}-value`);
    await waitFor('expiring DM', () => engine.notifier.dmsTo('alice', 'expiring')[0], 5000);

    const ended = await waitFor('grant expired', async () => {
      const r = await store.get(created.id);
      return r?.status === 'expired' ? r : undefined;
    });
    expect(ended.status).toBe('expired');
    const record = engine.issuer.credentials.get(created.id)!;
    expect(record.revokedAt).toBeDefined();
    const lateMs = record.revokedAt! - (active.status === 'active' ? active.window.end : 0);
    expect(lateMs).toBeGreaterThanOrEqual(0);
    timing('lifecycle: revoked after the end', lateMs, 2000);
    await waitFor('ended DM', () => engine.notifier.dmsTo('alice', 'ended')[0]);
    await waitFor('card shows the end', () => engine.notifier.lastCard(created.id)?.status.startsWith('Ended: expired'));

    const audit = (await store.auditOf(created.id)).map((e) => e.type);
    expect(audit).toEqual(['request.created', 'request.approved', 'grant.issuing', 'grant.issued', 'grant.expiring', 'grant.revoked']);
    expect(await store.verifyAudit()).toMatchObject({ ok: true });
    // The secret went to the DM only: it is nowhere in Redis.
    const keys = await engine.app.redis.commands.keys(`${engine.prefix}*`);
    for (const key of keys) {
      const dump = await engine.app.redis.commands.dump(key);
      expect(dump?.includes(`secret-${created.id}-value`) ?? false).toBe(false);
    }
  });

  it('refuses self-approval and outsiders, counts an approver once, and needs distinct approvers for 2-of-N', async () => {
    const { core, store } = engine.app;
    const { request: r } = await core.requestAccess({ actor: person('carol'), resource: 'two-keys', duration: '5m', reason: 'rotate keys' });
    await expect(core.approve(person('carol'), r.id)).rejects.toThrow(/own request/);
    await expect(core.approve(person('alice'), r.id)).rejects.toThrow(/not an approver/);
    await core.approve(person('dave'), r.id);
    await expect(core.approve(person('dave'), r.id)).rejects.toThrow(/already approved/);
    expect((await store.get(r.id))?.status).toBe('pending');
    await core.approve(person('erin'), r.id);
    await waitFor('active', async () => (await store.get(r.id))?.status === 'active');
    await expect(core.approve(person('bob'), r.id)).rejects.toThrow(/not an approver/);
    const types = (await store.auditOf(r.id)).map((e) => e.type);
    expect(types.slice(0, 6)).toEqual(['request.created', 'approve.refused', 'approve.refused', 'request.approval_added', 'request.approved', 'grant.issuing']);
  });

  it('settles 1,000 concurrent approve / deny / approve-again calls to one outcome with one audit event per real change', async () => {
    const { core, store } = engine.app;
    const { request: r } = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '5m', reason: 'race' });
    const calls = Array.from({ length: 1000 }, (_, i) =>
      i % 3 === 1 ? core.deny(person(i % 2 ? 'bob' : 'carol'), r.id, 'no') : core.approve(person(i % 2 ? 'bob' : 'carol'), r.id),
    );
    const results = await Promise.allSettled(calls);
    const succeeded = results.filter((x) => x.status === 'fulfilled').length;
    expect(succeeded).toBe(1);
    const final = await store.get(r.id);
    const decisions = (await store.auditOf(r.id)).filter((e) => e.type === 'request.approved' || e.type === 'request.denied');
    expect(decisions).toHaveLength(1);
    expect(decisions[0]!.type).toBe(final?.status === 'denied' ? 'request.denied' : 'request.approved');
    for (const result of results) if (result.status === 'rejected') expect(String(result.reason)).toMatch(/already (approved|denied)|cannot be/);
    if (final?.status !== 'denied') {
      await waitFor('issued', async () => (await store.get(r.id))?.status === 'active');
      expect(engine.issuer.issueCalls).toBe(1);
    }
    // Verified once the issue job has written its events: a verify racing an append can read the
    // stream before the event and the chain's head after it.
    expect(await store.verifyAudit()).toMatchObject({ ok: true });
  });

  it('auto-approves within the rule, and a longer request needs a human', async () => {
    const { core, store } = engine.app;
    const { request: auto } = await core.requestAccess({ actor: person('alice'), resource: 'auto', duration: '10m', reason: '' });
    expect(auto.status).toBe('approved');
    expect(auto.autoApprovedBy).toBe(0);
    await waitFor('active', async () => (await store.get(auto.id))?.status === 'active');
    const { request: manual } = await core.requestAccess({ actor: person('alice'), resource: 'auto', duration: '45m', reason: '' });
    expect(manual.status).toBe('pending');
  });

  it('cancel, deny with reason, release now, and time out', async () => {
    const { core, store } = engine.app;
    const { request: a } = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '5m', reason: 'x' });
    await expect(core.cancel(person('bob'), a.id)).rejects.toThrow(/Only alice/);
    expect((await core.cancel(person('alice'), a.id)).request.status).toBe('cancelled');
    await expect(core.approve(person('bob'), a.id)).rejects.toThrow(/cancelled/);

    const { request: b } = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '5m', reason: 'x' });
    await expect(core.deny(person('bob'), b.id, '  ')).rejects.toThrow(/A reason is required to deny/);
    expect((await core.deny(person('bob'), b.id, 'not during the freeze')).request.status).toBe('denied');
    await waitFor('denied DM', () => engine.notifier.dmsTo('alice', 'denied')[0]?.message.lines.join(' ').includes('not during the freeze'));

    const { request: c } = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '30m', reason: 'x' });
    await core.approve(person('carol'), c.id);
    await waitFor('active', async () => (await store.get(c.id))?.status === 'active');
    await expect(core.release(person('bob'), c.id)).rejects.toThrow(/Only alice/);
    await core.release(person('alice'), c.id);
    await waitFor('released', async () => (await store.get(c.id))?.status === 'released');
    expect(engine.issuer.credentials.get(c.id)?.revokedAt).toBeDefined();
    await waitFor('the one revoke job finished and removed', async () => !(await engine.app.scheduler.hasJob('revoke', c.id)));
  });

  it('extends a grant by moving its one revoke job, within the policy limits', async () => {
    const { core, store } = engine.app;
    const { request: r } = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '3s', reason: 'x' });
    await core.approve(person('bob'), r.id);
    const active = await waitFor('active', async () => {
      const x = await store.get(r.id);
      return x?.status === 'active' ? x : undefined;
    });
    const { request: extended } = await core.extend(person('alice'), r.id, '2s', 'need more');
    expect(extended.status === 'active' && extended.pendingExtension).toBeTruthy();
    await expect(core.approve(person('alice'), r.id)).rejects.toThrow(/own/);
    const { request: approved } = await core.approve(person('carol'), r.id);
    expect(approved.status === 'active' && approved.window.end).toBe(active.window.end + 2000);
    const revokeJobs = (await engine.app.scheduler.queues.revoke.getJobs(['delayed', 'waiting', 'active'])).filter((j) => j.data.requestId === r.id);
    expect(revokeJobs).toHaveLength(1);
    const ended = await waitFor('expired after the extension', async () => {
      const x = await store.get(r.id);
      return x?.status === 'expired' ? x : undefined;
    }, 10_000);
    const revokedAt = engine.issuer.credentials.get(r.id)!.revokedAt!;
    expect(revokedAt).toBeGreaterThanOrEqual(active.window.end + 2000);
    expect(ended.status).toBe('expired');
    expect(engine.issuer.credentials.get(r.id)!.revokeCalls).toBe(1);
    await expect(core.extend(person('alice'), r.id, '1m', 'again')).rejects.toThrow(/cannot be extended|is over/);
  });

  it('re-announces an undecided request to its approvers at doubling intervals, and stops once it is decided', async () => {
    const quick = await startEngine({
      policy: testPolicy({ settings: { approvalTimeout: '30s', reminderBefore: '1s', minDuration: '1s', reannounceAfter: '1s' } }),
    });
    try {
      const { core, store } = quick.app;
      const { request: r } = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '5m', reason: 'waiting' });
      await waitFor('two rounds of reminders', () => quick.notifier.dmsTo('bob', 'reannounce').length >= 2, 8000);
      const rounds = (await store.auditOf(r.id)).filter((x) => x.type === 'request.reannounced').map((x) => x.data.round);
      expect(rounds.slice(0, 2)).toEqual([1, 2]);
      expect(quick.notifier.dmsTo('alice', 'reannounce')).toHaveLength(0); // never to the requester
      await core.approve(person('carol'), r.id);
      expect(await quick.app.scheduler.queues.lifecycle.getJob(`reannounce-${r.id}`)).toBeUndefined();
      const after = quick.notifier.dmsTo('bob', 'reannounce').length;
      await new Promise((resolve) => setTimeout(resolve, 4500));
      expect(quick.notifier.dmsTo('bob', 'reannounce')).toHaveLength(after);
    } finally {
      await quick.stop();
    }
  });
});
