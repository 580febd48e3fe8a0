import { describe, expect, it } from 'vitest';
import type { IssueReceipt } from '../../../../src/core/domain/access-request.js';
import type { GrantContext, IssueResult } from '../../../../src/core/ports/issuer.js';
import { FakeIssuer } from '../../../fakes/fake-issuer.js';
import { HOUR, MINUTE, jobsOf, memoryCore, person, type MemoryCore } from '../../../support/memory-core.js';

/** An active deploy grant of alice's, one hour from now. */
async function activeGrant(m: MemoryCore, resource = 'deploy', duration = '1h') {
  const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource, duration, reason: 'x' });
  if (r.status === 'pending') await m.core.approve(person('bob'), r.id);
  await m.scheduler.runDue();
  const active = await m.get(r.id);
  if (active.status !== 'active') throw new Error(`${r.id} is ${active.status}`);
  return active;
}

describe('extensions on memory ports', () => {
  it('an approved extension moves the one revoke job and the reminder to the new end', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const active = await activeGrant(m);
    const { request: asked } = await m.core.extend(person('alice'), active.id, '30m', 'need more');
    expect(asked.status === 'active' && asked.pendingExtension).toMatchObject({ durationMs: 30 * MINUTE, reason: 'need more' });
    expect((await m.store.listWaitingOn('carol')).map((r) => r.id)).toEqual([active.id]);
    expect(jobsOf(m, active.id)).toEqual(['notify:card@0', `remind@${HOUR - 5 * MINUTE}`, `revoke@${HOUR}`]);
    await m.scheduler.runDue();
    await expect(m.core.approve(person('alice'), active.id)).rejects.toMatchObject({ code: 'POLICY.SELF_APPROVAL' });
    const { request: approved } = await m.core.approve(person('carol'), active.id);
    expect(approved.status === 'active' && approved.window.end).toBe(active.window.end + 30 * MINUTE);
    expect(jobsOf(m, active.id)).toEqual(['notify:dm:extension_approved@0', 'notify:card@0', `remind@${HOUR + 25 * MINUTE}`, `revoke@${HOUR + 30 * MINUTE}`]);
    await m.scheduler.runDue();
    expect(m.notifier.dmsTo('alice', 'extension_approved')).toHaveLength(1);

    await m.scheduler.advanceTo(active.window.end);
    expect(await m.status(active.id)).toBe('active');
    expect(m.issuer.revokeCalls).toBe(0);
    await m.scheduler.advanceTo(active.window.end + 30 * MINUTE);
    expect(await m.status(active.id)).toBe('expired');
    expect(m.issuer.credentials.get(active.id)?.revokeCalls).toBe(1);
    expect(m.notifier.dmsTo('alice', 'expiring')).toHaveLength(1);
    expect(await m.auditTypes(active.id)).toEqual([
      'request.created',
      'request.approved',
      'grant.issuing',
      'grant.issued',
      'extension.requested',
      'approve.refused',
      'extension.approved',
      'grant.expiring',
      'grant.revoked',
    ]);
    await expect(m.core.extend(person('alice'), active.id, '1m', 'again')).rejects.toThrow(/is over/);
  });

  it('a denied extension leaves the end and the revoke job as they were, and tells the requester', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const active = await activeGrant(m);
    await m.core.extend(person('alice'), active.id, '30m', 'please');
    await m.scheduler.runDue();
    const { request: denied } = await m.core.deny(person('bob'), active.id, 'not today');
    expect(denied.status === 'active' && denied.pendingExtension).toBeUndefined();
    expect(denied.status === 'active' && denied.window.end).toBe(active.window.end);
    expect(jobsOf(m, active.id)).toEqual(['notify:dm:extension_denied@0', 'notify:card@0', `remind@${HOUR - 5 * MINUTE}`, `revoke@${HOUR}`]);
    await m.scheduler.runDue();
    expect(m.notifier.dmsTo('alice', 'extension_denied')).toHaveLength(1);
    expect(await m.store.listWaitingOn('bob')).toEqual([]);
    // Denying an extension is not the end of the grant: another may be asked for.
    expect((await m.core.extend(person('alice'), active.id, '10m', 'smaller')).request.status).toBe('active');
  });

  it('holds extensions to the policy: count, total, duration text, one at a time, the owner only', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const active = await activeGrant(m);
    const { core } = m;
    await expect(core.extend(person('bob'), active.id, '10m', 'x')).rejects.toMatchObject({ code: 'POLICY.NOT_OWNER' });
    await expect(core.extend(person('alice'), active.id, '3h', 'x')).rejects.toMatchObject({ code: 'POLICY.DURATION_OUT_OF_RANGE' });
    await expect(core.extend(person('alice'), active.id, 'soon', 'x')).rejects.toMatchObject({ code: 'INPUT.BAD_DURATION' });
    await core.extend(person('alice'), active.id, '1h', 'first');
    await expect(core.extend(person('alice'), active.id, '10m', 'x')).rejects.toThrow(/already has an extension waiting/);
    await core.approve(person('bob'), active.id);
    await expect(core.extend(person('alice'), active.id, '90m', 'x')).rejects.toThrow(/may be extended by up to 1h\./);
    await core.extend(person('alice'), active.id, '1h', 'second');
    await core.approve(person('carol'), active.id);
    await expect(core.extend(person('alice'), active.id, '1m', 'third')).rejects.toMatchObject({ code: 'POLICY.EXTENSION_LIMIT' });
    const grant = await m.get(active.id);
    expect(grant.status === 'active' && grant.extensions.map((e) => e.approvedBy)).toEqual([['bob'], ['carol']]);
  });

  it('a grant that needed no approval extends at once; one a human approved asks the approvers again', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const auto = await activeGrant(m, 'auto', '10m');
    const { request: extended } = await m.core.extend(person('alice'), auto.id, '30m', 'a bit more');
    expect(extended.status === 'active' && [extended.window.end, extended.pendingExtension]).toEqual([auto.window.end + 30 * MINUTE, undefined]);
    expect(m.scheduler.job(`revoke-${auto.id}`)?.dueAt).toBe(auto.window.end + 30 * MINUTE);
    expect((await m.auditTypes(auto.id)).at(-1)).toBe('extension.auto_approved');

    const manual = await activeGrant(m, 'auto', '45m');
    const { request: asked } = await m.core.extend(person('alice'), manual.id, '10m', 'more');
    expect(asked.status === 'active' && asked.pendingExtension?.durationMs).toBe(10 * MINUTE);
    expect(m.scheduler.job(`revoke-${manual.id}`)?.dueAt).toBe(manual.window.end);
    expect((await m.auditTypes(manual.id)).at(-1)).toBe('extension.requested');
  });

  it('an issuer whose credential carries its own expiry renews it, and the new secret goes by DM', async () => {
    expect.hasAssertions();
    class RenewingIssuer extends FakeIssuer {
      renewed: number[] = [];
      async extend(grant: GrantContext, receipt: IssueReceipt): Promise<IssueResult> {
        this.renewed.push(grant.window.end);
        return { receipt: { ...receipt, summary: `renewed until ${grant.window.end}` }, secret: { label: 'token', value: 'renewed-secret' } };
      }
    }
    const issuer = new RenewingIssuer();
    const m = memoryCore({ issuer });
    const active = await activeGrant(m);
    await m.core.extend(person('alice'), active.id, '30m', 'more');
    await m.core.approve(person('bob'), active.id);
    expect(jobsOf(m, active.id)).toContain('extend@0');
    await m.scheduler.runDue();
    expect(issuer.renewed).toEqual([active.window.end + 30 * MINUTE]);
    expect(m.notifier.dmsTo('alice', 'extension_approved')[0]?.message.secret?.value).toBe('renewed-secret');
    expect((await m.get(active.id)).status === 'active' && (await m.get(active.id))).toMatchObject({ receipt: { summary: `renewed until ${active.window.end + 30 * MINUTE}` } });
    expect(await m.auditTypes(active.id)).toContain('grant.extended_at_issuer');
  });
});
