import { describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../../../src/core/domain/access-request.js';
import type { AuditEvent } from '../../../../src/core/domain/audit-event.js';
import { applyEvent } from '../../../../src/core/domain/lifecycle.js';
import { formatTimestamp } from '../../../../src/core/domain/timestamp.js';
import { auditLine } from '../../../../src/core/messages/audit-text.js';
import { buildDirectMessage } from '../../../../src/core/messages/direct-messages.js';
import { buildCard } from '../../../../src/core/messages/views.js';

const T = Date.UTC(2026, 11, 4, 19, 49, 5, 123);
const common = {
  id: 'JIT-7',
  resource: 'deploy',
  requester: 'alice',
  durationMs: 600_000,
  reason: 'INC-1',
  createdAt: T,
  version: 3,
  via: 'console',
  approvalsRequired: 1,
  approvals: [] as AccessRequest['approvals'],
};
const active: AccessRequest = {
  ...common,
  status: 'active',
  approvals: [{ person: 'bob', at: T, via: 'console' }],
  decidedAt: T,
  window: { start: T, end: T + 600_000 },
  receipt: { summary: 's', details: {}, revokeState: {} },
  extensions: [],
};

describe('timestamps', () => {
  it('one format, to the second, in UTC, from epoch milliseconds or an ISO string', () => {
    expect(formatTimestamp(T)).toBe('2026-12-04 19:49:05 UTC');
    expect(formatTimestamp(new Date(T).toISOString())).toBe('2026-12-04 19:49:05 UTC');
    expect(formatTimestamp('not a time')).toBe('not a time');
  });

  it('cards and DMs use it', () => {
    expect(buildCard(active, '', []).status).toBe('Approved by bob. Active until 2026-12-04 19:59:05 UTC.');
    expect(buildDirectMessage('active', active).lines).toContain('It ends at 2026-12-04 19:59:05 UTC.');
  });
});

describe('the "received" DM', () => {
  it('is rendered as the request was made, whatever its state now', () => {
    const pending: AccessRequest = { ...common, status: 'pending', timeoutAt: T + 60_000 };
    expect(buildDirectMessage('received', pending).lines).toEqual(['Your request for deploy for 10m is waiting for 1 approval(s).']);
    // A request a person approved or denied never was "approved by policy".
    for (const decided of [active, applyEvent(pending, { type: 'deny', person: 'bob', reason: 'no', at: T })]) {
      expect(buildDirectMessage('received', decided).lines.join(' ')).not.toContain('approved by policy');
    }
    const auto: AccessRequest = { ...active, approvals: [], approvalsRequired: 0, autoApprovedBy: 0 };
    expect(buildDirectMessage('received', auto).lines).toEqual(['Your request for deploy for 10m was approved by policy; issuing access now.']);
  });
});

describe('an admin revoke reason', () => {
  const revoking = applyEvent(active, { type: 'end', at: T + 1000, reason: 'revoked', by: { kind: 'person', person: 'carol', via: 'slack' }, note: 'left the team' });
  const revoked = applyEvent(revoking, { type: 'revoke_succeeded', at: T + 2000 });

  it('is kept on the request and shown on the card and in the ended DM', () => {
    expect(revoked).toMatchObject({ status: 'revoked', revokeReason: 'left the team' });
    expect(buildCard(revoking, '', []).status).toBe('Ending (revoked by carol); revoking access… Reason: left the team');
    expect(buildCard(revoked, '', []).status).toBe('Ended: revoked by carol at 2026-12-04 19:49:07 UTC. Reason: left the team');
    expect(buildDirectMessage('ended', revoked).lines).toEqual(['Your access to deploy has ended (revoked by carol). Reason: left the team']);
  });

  it('is absent when none was given, and never shown for a release', () => {
    const plain = applyEvent(applyEvent(active, { type: 'end', at: T, reason: 'revoked', by: { kind: 'system' } }), { type: 'revoke_succeeded', at: T });
    expect(buildDirectMessage('ended', plain).lines).toEqual(['Your access to deploy has ended (revoked by jitbot).']);
    const released = applyEvent(applyEvent(active, { type: 'end', at: T, reason: 'released', by: { kind: 'person', person: 'alice', via: 'slack' } }), { type: 'revoke_succeeded', at: T });
    expect(buildDirectMessage('ended', released).lines).toEqual(['Your access to deploy has ended (released by alice).']);
  });

  it('also when an admin closes a failing revocation', () => {
    const failing = { ...revoking, endReason: 'revoked', status: 'revoke_failed', failingSince: T } as AccessRequest;
    const resolved = applyEvent(failing, { type: 'resolve', at: T + 3000, by: { kind: 'person', person: 'bob', via: 'slack' }, note: 'removed by hand' });
    expect(resolved).toMatchObject({ status: 'revoked', revokeReason: 'removed by hand' });
  });
});

describe('/jit audit lines', () => {
  const event = (type: string, data: Record<string, unknown>): AuditEvent => ({
    seq: 4,
    at: new Date(T).toISOString(),
    type,
    requestId: 'JIT-7',
    actor: { kind: 'system' },
    data,
    prev: '0',
    hash: '1',
  });

  it('show moments as timestamps and lengths of time as durations, never epoch milliseconds', () => {
    const line = auditLine(event('grant.issued', { issuer: 'tokens', windowStart: T, windowEnd: T + 600_000, summary: 'ok', ms: 12 }));
    expect(line).toBe('#4 2026-12-04 19:49:05 UTC grant.issued by jitbot (issuer=tokens, windowStart=2026-12-04 19:49:05 UTC, windowEnd=2026-12-04 19:59:05 UTC, summary=ok, took=12ms)');
    expect(auditLine(event('request.created', { resource: 'deploy', durationMs: 720_000, approvalsRequired: 1 }))).toContain('(resource=deploy, duration=12m, approvalsRequired=1)');
    expect(auditLine(event('grant.expiring', { lateMs: 2500 }))).toContain('(late=3s)');
    expect(auditLine(event('grant.extended_at_issuer', { windowEnd: T }))).not.toMatch(/\d{13}/);
    // Counts named like moments stay numbers.
    expect(auditLine(event('x', { attempt: 2, startedAt: 5 }))).toContain('(attempt=2, startedAt=5)');
  });
});
