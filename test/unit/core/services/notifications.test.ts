import { describe, expect, it } from 'vitest';
import { NotifyError } from '../../../../src/core/ports/notifier.js';
import { HOUR, MINUTE, memoryCore, person, type MemoryCore } from '../../../support/memory-core.js';

/** The notifications waiting for a request, as `card` or `dm:<message>→<person>` or `notice:<kind>`. */
function queued(m: MemoryCore, id: string): string[] {
  return m.scheduler
    .pending()
    .filter((j) => j.queue === 'notify' && j.data.requestId === id)
    .map((j) => (j.name === 'dm' ? `dm:${String(j.data.message)}→${String(j.data.person)}` : j.name === 'notice' ? `notice:${String(j.data.notice)}` : 'card'));
}

describe('notifications on memory ports', () => {
  it('schedules the right card updates and DMs at each step of a lifecycle', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    expect(queued(m, r.id)).toEqual(['card', 'dm:received→alice']);
    await m.scheduler.runDue();
    await m.core.approve(person('bob'), r.id);
    expect(queued(m, r.id)).toEqual(['card']);
    await m.scheduler.runDue();
    // The issue job ran in that pass too and queued its own messages, which ran as well.
    expect(m.notifier.dmsTo('alice', 'active')).toHaveLength(1);
    expect(m.notifier.dmsTo('bob')).toHaveLength(0);
    await m.scheduler.advance(HOUR - 5 * MINUTE);
    expect(m.notifier.dmsTo('alice', 'expiring')).toHaveLength(1);
    await m.scheduler.advance(5 * MINUTE);
    expect(m.notifier.dmsTo('alice').map((d) => d.message.kind)).toEqual(['received', 'active', 'expiring', 'ended']);
    // One card per channel, posted once and then updated in place. Each card job renders the state
    // at delivery: the approval's update runs after the issue job queued before it, so it shows "active".
    const cards = m.notifier.cards.get(r.id) ?? [];
    expect(cards.map((c) => c.title)).toEqual([`${r.id}: alice requests deploy`, `${r.id}: active`, `${r.id}: active`, `${r.id}: ended`]);
    expect(await m.store.messageRefs(r.id)).toEqual([{ platform: 'console', channel: 'approvals', messageId: 'm1' }]);
  });

  it('the secret of an active grant waits sealed in its DM job, and only the DM shows it', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'auto', duration: '10m', reason: '' });
    // Run the issue step by hand, to look at the DM job it queues before it is delivered.
    await m.core.jobs.issue(r.id, { made: 0 });
    const job = m.scheduler.pending().find((j) => j.data.message === 'active');
    expect(typeof job?.data.sealedSecret).toBe('string');
    expect(JSON.stringify(job?.data)).not.toContain(`secret-${r.id}-value`);
    await m.scheduler.runDue();
    expect(m.issuer.issueCalls).toBe(1);
    expect(m.notifier.dmsTo('alice', 'active')[0]?.message.secret).toEqual({ label: 'password', value: `secret-${r.id}-value` });
  });

  it('a DM that cannot be delivered now is retried with backoff, not lost', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    m.notifier.failNextDms = 3;
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    await m.scheduler.runDue();
    expect(m.notifier.dmsTo('alice', 'received')).toHaveLength(0);
    expect(m.scheduler.pending().find((j) => j.data.message === 'received')).toMatchObject({ attemptsMade: 1, dueAt: m.clock.now() + 1000 });
    await m.scheduler.advance(1000 + 2000 + 4000);
    expect(m.notifier.dmsTo('alice', 'received').map((d) => d.message.requestId)).toEqual([r.id]);
    expect(m.notifier.failNextDms).toBe(0);
  });

  it('a DM failing on every attempt is given up after 10 and recorded in the trail', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    m.notifier.failNextDms = 1000;
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    // Ten attempts with backoff capped at a minute take about 4 minutes: stop before the first re-announcement.
    await m.scheduler.advance(9 * MINUTE);
    expect(m.notifier.failNextDms).toBe(1000 - 10);
    const failed = (await m.store.auditOf(r.id)).filter((e) => e.type === 'notify.failed');
    expect(failed.map((e) => e.data.kind)).toEqual(['dm']);
  });

  it('a DM that can never be delivered is dropped at once, without retries', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    let calls = 0;
    m.notifier.sendDirect = async () => {
      calls++;
      throw new NotifyError('the person never installed the app (test)', false);
    };
    await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    await m.scheduler.runDue();
    expect(calls).toBe(1);
    expect(m.scheduler.pending().filter((j) => j.queue === 'notify')).toEqual([]);
  });

  it('a person no chat platform can reach is reported in the approvers\' channel and the trail, not skipped silently', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    m.notifier.knows = () => false;
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    await m.scheduler.runDue();
    const notice = m.notifier.notices.find((n) => n.requestId === r.id);
    expect(notice?.title).toBe('jitbot cannot reach alice');
    expect(notice?.lines.join(' ')).toContain('"received" message');
    expect(await m.auditTypes(r.id)).toContain('notify.unreachable');
  });

  it('a card being posted by another job waits and retries instead of posting twice', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    const claim = `post-card:${r.id}:console:approvals`;
    expect(await m.store.claimOnce(claim, 10 * MINUTE)).toBe(true);
    await m.scheduler.runDue();
    expect(m.notifier.cards.get(r.id)).toBeUndefined();
    const card = m.scheduler.pending().find((j) => j.queue === 'notify' && j.name === 'card');
    expect(card).toMatchObject({ attemptsMade: 1, dueAt: m.clock.now() + 500 });
    await m.store.releaseClaim(claim);
    await m.scheduler.advance(500);
    expect(m.notifier.cards.get(r.id)).toHaveLength(1);
    expect(await m.store.messageRefs(r.id)).toHaveLength(1);
  });

  it('a reminder about a grant that already ended is not sent', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    await m.core.approve(person('bob'), r.id);
    await m.scheduler.runDue();
    await m.scheduler.notify({ kind: 'dm', requestId: r.id, person: 'alice', message: 'expiring' });
    await m.core.release(person('alice'), r.id);
    await m.scheduler.advance(2 * HOUR);
    expect(m.notifier.dmsTo('alice', 'expiring')).toHaveLength(0);
    expect(m.notifier.dmsTo('alice', 'ended')).toHaveLength(1);
  });
});
