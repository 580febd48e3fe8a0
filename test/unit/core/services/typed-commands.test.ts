import { describe, expect, it } from 'vitest';
import { commandReply } from '../../../../src/core/messages/command-replies.js';
import { fixturePolicy, HOUR, memoryCore, MINUTE, person, type MemoryCore } from '../../../support/memory-core.js';

/** An active grant of alice's on `resource`, approved by everyone in `approvers` (none: auto-approved). */
async function activeGrant(m: MemoryCore, resource = 'deploy', approvers = ['bob'], duration = '1h') {
  const { request } = await m.core.requestAccess({ actor: person('alice'), resource, duration, reason: 'INC-7' });
  for (const approver of approvers) await m.core.approve(person(approver), request.id);
  await m.scheduler.runDue();
  const active = await m.get(request.id);
  if (active.status !== 'active') throw new Error(`${request.id} is ${active.status}`);
  return active;
}

describe('typed commands return outcomes, never sentences', () => {
  it('request: waiting for approvals, or approved by a rule', async () => {
    const m = memoryCore();
    const asked = await m.core.requestAccess({ actor: person('alice'), resource: 'two-keys', duration: '1h', reason: 'INC-7' });
    expect(asked).toMatchObject({ kind: 'requested', approvalsNeeded: 2, request: { id: 'JIT-1', status: 'pending' } });
    const auto = await m.core.requestAccess({ actor: person('alice'), resource: 'auto', duration: '10m', reason: '' });
    expect(auto).toMatchObject({ kind: 'auto_approved', request: { id: 'JIT-2', status: 'approved' } });
  });

  it('approve: an approval added with what is still needed, then approved', async () => {
    const m = memoryCore();
    const { request } = await m.core.requestAccess({ actor: person('alice'), resource: 'two-keys', duration: '1h', reason: 'INC-7' });
    expect(await m.core.approve(person('carol'), request.id)).toMatchObject({ kind: 'approval_added', extension: false, stillNeeded: 1, request: { status: 'pending' } });
    expect(await m.core.approve(person('dave'), request.id)).toMatchObject({ kind: 'approved', request: { status: 'approved', requester: 'alice' } });
  });

  it('deny: a request, or the extension of a grant', async () => {
    const m = memoryCore();
    const { request } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    expect(await m.core.deny(person('bob'), request.id, 'not now')).toMatchObject({ kind: 'denied', request: { status: 'denied', deniedBy: 'bob' } });
    const active = await activeGrant(m);
    await m.core.extend(person('alice'), active.id, '30m', 'more');
    expect(await m.core.deny(person('bob'), active.id, 'enough')).toMatchObject({ kind: 'extension_denied', request: { status: 'active' } });
  });

  it('extend: requested (waits for approvers), approved with the new end, or extended at once', async () => {
    const m = memoryCore();
    const active = await activeGrant(m);
    const asked = await m.core.extend(person('alice'), active.id, '30m', 'more');
    expect(asked).toMatchObject({ kind: 'extension_requested', durationMs: 30 * MINUTE, request: { status: 'active' } });
    const approved = await m.core.approve(person('carol'), active.id);
    expect(approved).toMatchObject({ kind: 'extension_approved', endsAt: active.window.end + 30 * MINUTE, request: { status: 'active' } });
    expect(approved.request).not.toHaveProperty('pendingExtension');

    const auto = await activeGrant(m, 'auto', [], '10m');
    const extended = await m.core.extend(person('alice'), auto.id, '10m', 'a bit more');
    expect(extended).toMatchObject({ kind: 'extended', endsAt: auto.window.end + 10 * MINUTE });
  });

  it('approve: an extension that needs two approvals says one is still needed', async () => {
    const policy = fixturePolicy();
    policy.resources['two-keys']!.extensions = { max: 1, maxTotal: 2 * HOUR };
    const m = memoryCore({ policy });
    const active = await activeGrant(m, 'two-keys', ['carol', 'dave']);
    await m.core.extend(person('alice'), active.id, '30m', 'more');
    expect(await m.core.approve(person('carol'), active.id)).toMatchObject({ kind: 'approval_added', extension: true, stillNeeded: 1 });
    expect(await m.core.approve(person('erin'), active.id)).toMatchObject({ kind: 'extension_approved', endsAt: active.window.end + 30 * MINUTE });
  });

  it('cancel, release and revoke: what ended, and how', async () => {
    const m = memoryCore();
    const { request } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    expect(await m.core.cancel(person('alice'), request.id)).toMatchObject({ kind: 'cancelled', request: { status: 'cancelled' } });
    const mine = await activeGrant(m);
    expect(await m.core.release(person('alice'), mine.id)).toMatchObject({ kind: 'released', request: { status: 'revoking' } });
    const theirs = await activeGrant(m);
    expect(await m.core.revoke(person('bob'), theirs.id, 'left the team')).toMatchObject({ kind: 'revoke_started', request: { status: 'revoking' } });
    const stuck = await activeGrant(m);
    m.issuer.failRevokes = 1000;
    await m.scheduler.advanceTo(stuck.window.end + 10_000);
    expect(await m.status(stuck.id)).toBe('revoke_failed');
    expect(await m.core.revoke(person('carol'), stuck.id, 'removed by hand')).toMatchObject({ kind: 'revoke_resolved', request: { status: 'revoked' } });
  });

  it('a refusal is still a JitError, not an outcome', async () => {
    const m = memoryCore();
    const { request } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    await expect(m.core.approve(person('alice'), request.id)).rejects.toMatchObject({ code: 'POLICY.SELF_APPROVAL' });
    await expect(m.core.cancel(person('bob'), request.id)).rejects.toMatchObject({ code: 'POLICY.NOT_OWNER' });
  });
});

describe('handleCommand is parse + the same typed command + the same renderer', () => {
  it('answers a typed verb with the sentence of the outcome a click would get', async () => {
    const m = memoryCore();
    const alice = await m.core.handleCommand(person('alice'), 'request two-keys 1h INC-7');
    expect(alice).toMatchObject({ ok: true, text: 'JIT-1: requested two-keys for 1h; waiting for 2 approval(s). You will get a DM when it is decided.' });
    const typed = await m.core.handleCommand(person('carol'), 'approve JIT-1');
    expect(typed).toMatchObject({ ok: true, text: 'You approved JIT-1; it needs 1 more approval(s).', request: { id: 'JIT-1' } });
    expect(commandReply(await m.core.approve(person('dave'), 'JIT-1'))).toBe('You approved JIT-1; access is being issued to alice.');
    expect(await m.core.handleCommand(person('erin'), 'approve JIT-1')).toMatchObject({ ok: false, text: expect.stringContaining('JIT-1 is already approved') });
  });

  it('counts a person’s command once, typed or clicked; a pipeline’s or an operator’s not at all', async () => {
    const counted: string[] = [];
    const m = memoryCore({ observer: { commandHandled: (command, outcome) => void counted.push(`${command}:${outcome}`) } });
    await m.core.handleCommand(person('alice'), 'request deploy 1h x');
    await m.core.approve(person('bob'), 'JIT-1');
    await m.core.handleCommand(person('bob'), 'approve JIT-1');
    await m.core.handleCommand(person('bob'), 'aprove JIT-1');
    await m.core.handleCommand(person('bob'), 'list');
    await m.scheduler.runDue();
    await m.core.revoke({ kind: 'operator', osUser: 'root' }, 'JIT-1', 'incident');
    expect(counted).toEqual(['request:ok', 'approve:ok', 'approve:refused', 'unparsed:refused', 'list:ok']);
  });
});
