import { describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../../../src/core/domain/access-request.js';
import { applyEvent } from '../../../../src/core/domain/lifecycle.js';
import { HOUR, MINUTE, memoryCore, person, type MemoryCore } from '../../../support/memory-core.js';

async function activeGrant(m: MemoryCore, duration = '1h') {
  const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration, reason: 'x' });
  await m.core.approve(person('bob'), r.id);
  await m.scheduler.runDue();
  const active = await m.get(r.id);
  if (active.status !== 'active') throw new Error(`${r.id} is ${active.status}`);
  return active;
}

const NOTHING = { missingRevokeJobs: 0, missingIssueJobs: 0, missingTimeoutJobs: 0 };

describe('reconciliation on memory ports', () => {
  it('finds nothing to repair when every job is in place, and repairing twice adds nothing', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    await activeGrant(m);
    await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'pending' });
    expect(await m.core.jobs.reconcile()).toMatchObject({ scope: 'full', checkedGrants: 1, overdueRevokes: 0, ...NOTHING });
    const jobs = m.scheduler.pending().length;
    await m.core.jobs.reconcile();
    expect(m.scheduler.pending()).toHaveLength(jobs);
  });

  it('a grant whose end passed with no revoke job is revoked at once', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const active = await activeGrant(m);
    expect(m.scheduler.lose(`revoke-${active.id}`)).toBe(true);
    await m.scheduler.advance(HOUR + MINUTE);
    expect(await m.status(active.id)).toBe('active');
    expect(await m.core.jobs.reconcile({ scope: 'due', horizonMs: MINUTE })).toMatchObject({ scope: 'due', checkedGrants: 1, overdueRevokes: 1, missingRevokeJobs: 1 });
    expect(m.scheduler.job(`revoke-${active.id}`)?.dueAt).toBe(m.clock.now());
    await m.scheduler.runDue();
    expect(await m.status(active.id)).toBe('expired');
    expect(m.issuer.credentials.get(active.id)?.revokeCalls).toBe(1);
  });

  it('a grant not yet at its end gets its revoke job back at the end; a due pass looks only at grants ending soon', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const soon = await activeGrant(m, '10m');
    const later = await activeGrant(m, '2h');
    m.scheduler.lose(`revoke-${soon.id}`);
    m.scheduler.lose(`revoke-${later.id}`);
    expect(await m.core.jobs.reconcile({ scope: 'due', horizonMs: 30 * MINUTE })).toMatchObject({ checkedGrants: 1, missingRevokeJobs: 1 });
    expect(m.scheduler.job(`revoke-${soon.id}`)?.dueAt).toBe(soon.window.end);
    expect(await m.scheduler.hasJob('revoke', later.id)).toBe(false);
    expect(await m.core.jobs.reconcile()).toMatchObject({ checkedGrants: 2, missingRevokeJobs: 1 });
    expect(m.scheduler.job(`revoke-${later.id}`)?.dueAt).toBe(later.window.end);
    await m.scheduler.advance(2 * HOUR);
    expect([await m.status(soon.id), await m.status(later.id)]).toEqual(['expired', 'expired']);
  });

  it('an approved request whose issue job was lost is issued', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    await m.core.approve(person('bob'), r.id);
    m.scheduler.lose(`issue-${r.id}`);
    await m.scheduler.advance(MINUTE);
    expect(await m.status(r.id)).toBe('approved');
    expect(await m.core.jobs.reconcile()).toMatchObject({ missingIssueJobs: 1 });
    await m.scheduler.runDue();
    expect(await m.status(r.id)).toBe('active');
    expect(m.issuer.issueCalls).toBe(1);
  });

  it('a crash right after the issuer answered: re-issued under the same grant id (one credential), active, revoked on time', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'crash' });
    const { request: approved } = await m.core.approve(person('bob'), r.id);
    // What the issue job had done when the process died: `issuing` recorded, the issuer called, nothing after.
    const issuing = await m.store.update(approved, applyEvent(approved, { type: 'start_issue', at: m.clock.now() }), {
      type: 'grant.issuing',
      requestId: r.id,
      actor: { kind: 'system' },
      data: { attempt: 1 },
    });
    await m.issuer.issue({ grantId: r.id, person: { name: 'alice' }, resource: 'deploy', params: {}, window: { start: m.clock.now(), end: m.clock.now() + HOUR }, reason: 'crash', approvers: ['bob'] });
    m.scheduler.lose(`issue-${r.id}`);
    expect(issuing.status).toBe('issuing');

    expect(await m.core.jobs.reconcile()).toMatchObject({ missingIssueJobs: 1 });
    await m.scheduler.runDue();
    const active = await m.get(r.id);
    expect(active.status).toBe('active');
    expect([...m.issuer.credentials.values()].filter((c) => c.grantId === r.id)).toHaveLength(1);
    expect(m.issuer.issueCalls).toBe(2);
    const types = await m.auditTypes(r.id);
    expect(types.filter((t) => t === 'grant.issuing')).toHaveLength(2);
    await m.scheduler.advance(HOUR);
    expect(await m.status(r.id)).toBe('expired');
    expect(m.issuer.credentials.get(r.id)?.revokeCalls).toBe(1);
    expect(await m.store.verifyAudit()).toMatchObject({ ok: true });
  });

  it('a crash in the middle of a revocation: the revoking grant is revoked at once, once', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const active = await activeGrant(m);
    m.issuer.failRevokes = 1;
    await m.scheduler.advance(HOUR);
    expect(await m.get(active.id)).toMatchObject({ status: 'revoking', revokeAttempts: 1 });
    m.scheduler.lose(`revoke-${active.id}`);
    expect(await m.core.jobs.reconcile()).toMatchObject({ overdueRevokes: 1, missingRevokeJobs: 1 });
    await m.scheduler.runDue();
    expect(await m.status(active.id)).toBe('expired');
    expect(m.issuer.credentials.get(active.id)?.revokeCalls).toBe(1);
  });

  it('a pending request whose timeout job was lost gets it back at its own time', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    m.scheduler.lose(`timeout-${r.id}`);
    expect(await m.core.jobs.reconcile()).toMatchObject({ missingTimeoutJobs: 1 });
    expect(m.scheduler.job(`timeout-${r.id}`)?.dueAt).toBe((r as AccessRequest & { status: 'pending' }).timeoutAt);
    await m.scheduler.advance(30 * MINUTE);
    expect(await m.status(r.id)).toBe('timed_out');
  });

  it('jobs not run while 1,000 grants pass their end (worker down): all revoked once when they run', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const endAt = m.clock.now() + MINUTE;
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const id = await m.store.nextId();
      const now = m.clock.now();
      const grant: AccessRequest = {
        id,
        resource: 'deploy',
        requester: 'alice',
        durationMs: endAt - now,
        reason: 'load',
        createdAt: now,
        version: 0,
        via: 'console',
        approvalsRequired: 1,
        approvals: [{ person: 'bob', at: now, via: 'console' }],
        status: 'active',
        decidedAt: now,
        window: { start: now, end: endAt },
        receipt: { summary: 'seeded', details: {}, revokeState: {} },
        extensions: [],
      };
      await m.store.create(grant, { type: 'grant.issued', requestId: id, actor: { kind: 'system' }, data: { seeded: true } });
      m.issuer.credentials.set(id, { grantId: id, person: 'alice', issuedAt: now, windowEnd: endAt, issueCalls: 1, revokeCalls: 0 });
      await m.scheduler.revokeAt(id, endAt);
      ids.push(id);
    }
    m.clock.advance(10 * MINUTE);
    expect(m.issuer.revokeEffects).toHaveLength(0);
    expect(await m.store.countHoldingAccess()).toBe(1000);
    await m.scheduler.runDue();
    expect(new Set(m.issuer.revokeEffects.map((x) => x.grantId)).size).toBe(1000);
    expect([...m.issuer.credentials.values()].every((c) => c.revokeCalls === 1)).toBe(true);
    expect(await m.store.countHoldingAccess()).toBe(0);
    expect((await m.store.getMany(ids)).every((r) => r.status === 'expired')).toBe(true);
  });
});
