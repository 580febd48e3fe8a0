import { describe, expect, it } from 'vitest';
import { REQUEST_STATUSES, type AccessRequest, type RequestStatus } from '../../../../src/core/domain/access-request.js';
import { isJitError } from '../../../../src/core/domain/errors.js';
import { LIFECYCLE_EVENT_TYPES, applyEvent, type LifecycleEvent, type LifecycleEventType } from '../../../../src/core/domain/lifecycle.js';

const T = 1_700_000_000_000;
const common = {
  id: 'JIT-1',
  resource: 'deploy',
  requester: 'alice',
  durationMs: 60_000,
  reason: 'INC-1',
  createdAt: T,
  version: 3,
  via: 'console',
  approvalsRequired: 1,
  approvals: [] as AccessRequest['approvals'],
};
const granted = { ...common, approvals: [{ person: 'bob', at: T, via: 'console' }], decidedAt: T, window: { start: T, end: T + 60_000 }, receipt: { summary: 's', details: {}, revokeState: {} }, extensions: [] };
const ending = { ...granted, endReason: 'expired' as const, endedBy: { kind: 'system' as const }, endRequestedAt: T, revokeAttempts: 0 };

/** One request in every state. */
const SAMPLES: Record<RequestStatus, AccessRequest> = {
  pending: { ...common, status: 'pending', timeoutAt: T + 1000 },
  approved: { ...common, status: 'approved', decidedAt: T },
  issuing: { ...common, status: 'issuing', decidedAt: T, issueAttempts: 1 },
  active: { ...granted, status: 'active' },
  revoking: { ...ending, status: 'revoking' },
  revoke_failed: { ...ending, status: 'revoke_failed', failingSince: T, revokeAttempts: 5 },
  expired: { ...ending, status: 'expired', endedAt: T },
  released: { ...ending, endReason: 'released', status: 'released', endedAt: T },
  revoked: { ...ending, endReason: 'revoked', status: 'revoked', endedAt: T },
  denied: { ...common, status: 'denied', decidedAt: T, deniedBy: 'bob', denyReason: 'no' },
  cancelled: { ...common, status: 'cancelled', cancelledAt: T },
  timed_out: { ...common, status: 'timed_out', timedOutAt: T },
  failed: { ...common, status: 'failed', decidedAt: T, failedAt: T, error: 'boom' },
};

const EVENTS: Record<LifecycleEventType, LifecycleEvent> = {
  approve: { type: 'approve', person: 'bob', via: 'slack', at: T + 5 },
  deny: { type: 'deny', person: 'bob', reason: 'no', at: T + 5 },
  cancel: { type: 'cancel', at: T + 5 },
  time_out: { type: 'time_out', at: T + 5 },
  start_issue: { type: 'start_issue', at: T + 5 },
  issued: { type: 'issued', at: T + 5, window: { start: T + 5, end: T + 60_005 }, receipt: { summary: 'ok', details: {}, revokeState: {} } },
  issue_failed: { type: 'issue_failed', at: T + 5, error: 'nope' },
  end: { type: 'end', at: T + 5, reason: 'released', by: { kind: 'system' } },
  revoke_attempt_failed: { type: 'revoke_attempt_failed', at: T + 5, error: 'down', markFailed: false },
  revoke_succeeded: { type: 'revoke_succeeded', at: T + 5 },
  resolve: { type: 'resolve', at: T + 5, by: { kind: 'operator', osUser: 'root' } },
  request_extension: { type: 'request_extension', at: T + 5, durationMs: 30_000, reason: 'more', autoApproved: false },
  approve_extension: { type: 'approve_extension', person: 'carol', via: 'slack', at: T + 5 },
  deny_extension: { type: 'deny_extension', person: 'carol', at: T + 5 },
};

// The whole table: for each (state, event), the resulting state, or the error code.
const TABLE: Record<RequestStatus, Partial<Record<LifecycleEventType, RequestStatus>>> = {
  pending: { approve: 'approved', deny: 'denied', cancel: 'cancelled', time_out: 'timed_out' },
  approved: { start_issue: 'issuing', issue_failed: 'failed' },
  issuing: { start_issue: 'issuing', issued: 'active', issue_failed: 'failed' },
  active: { end: 'revoking', request_extension: 'active' },
  revoking: { revoke_attempt_failed: 'revoking', revoke_succeeded: 'expired' },
  revoke_failed: { revoke_attempt_failed: 'revoke_failed', revoke_succeeded: 'expired', resolve: 'revoked' },
  expired: {},
  released: {},
  revoked: {},
  denied: {},
  cancelled: {},
  timed_out: {},
  failed: {},
};

describe('request lifecycle: every (state, event) pair', () => {
  const cases = REQUEST_STATUSES.flatMap((status) => LIFECYCLE_EVENT_TYPES.map((event) => [status, event] as const));
  it('covers all 13 × 14 pairs', () => expect(cases).toHaveLength(13 * 14));

  it.each(cases)('%s + %s', (status, eventType) => {
    const before = SAMPLES[status];
    const frozen = JSON.stringify(before);
    const expected = TABLE[status][eventType];
    // Extension approval and denial need a pending extension: tested separately below.
    if (expected === undefined) {
      let error: unknown;
      try {
        applyEvent(before, EVENTS[eventType]);
      } catch (e) {
        error = e;
      }
      expect(isJitError(error)).toBe(true);
      expect(['REQUEST.ALREADY_DECIDED', 'REQUEST.INVALID_TRANSITION']).toContain((error as { code: string }).code);
      expect((error as Error).message).toContain('JIT-1');
    } else {
      const after = applyEvent(before, EVENTS[eventType]);
      expect(after.status).toBe(expected);
      expect(after.version).toBe(before.version); // the store bumps versions, not the domain
    }
    expect(JSON.stringify(before)).toBe(frozen); // pure: the input is never mutated
  });
});

describe('rules the transitions enforce', () => {
  it('nobody approves their own request, and an approver counts once', () => {
    const pending = { ...SAMPLES.pending, approvalsRequired: 2 } as AccessRequest;
    expect(() => applyEvent(pending, { ...EVENTS.approve, person: 'alice' } as LifecycleEvent)).toThrow(/own request/);
    const once = applyEvent(pending, EVENTS.approve);
    expect(once.status).toBe('pending');
    expect(() => applyEvent(once, EVENTS.approve)).toThrow(/already approved/);
    const twice = applyEvent(once, { ...EVENTS.approve, person: 'carol' } as LifecycleEvent);
    expect(twice.status).toBe('approved');
    expect(twice.approvals.map((a) => a.person)).toEqual(['bob', 'carol']);
  });

  it('a decided request cannot be decided again, and the message names who decided', () => {
    expect(() => applyEvent(SAMPLES.denied, EVENTS.approve)).toThrow(/already denied by bob/);
    expect(() => applyEvent(SAMPLES.approved, EVENTS.deny)).toThrow(/already approved by/);
  });

  it('an extension needs distinct approvers other than the requester, then moves the end', () => {
    const asked = applyEvent(SAMPLES.active, EVENTS.request_extension);
    expect(asked.status === 'active' && asked.pendingExtension?.durationMs).toBe(30_000);
    expect(() => applyEvent(asked, EVENTS.request_extension)).toThrow(/already has an extension/);
    expect(() => applyEvent(asked, { ...EVENTS.approve_extension, person: 'alice' } as LifecycleEvent)).toThrow(/own extension/);
    const done = applyEvent(asked, EVENTS.approve_extension);
    expect(done.status === 'active' && done.window.end).toBe(T + 90_000);
    expect(done.status === 'active' && done.pendingExtension).toBeUndefined();
    const denied = applyEvent(asked, EVENTS.deny_extension);
    expect(denied.status === 'active' && denied.window.end).toBe(T + 60_000);
    expect(() => applyEvent(SAMPLES.active, EVENTS.approve_extension)).toThrow(/no extension waiting/);
    const auto = applyEvent(SAMPLES.active, { ...EVENTS.request_extension, autoApproved: true } as LifecycleEvent);
    expect(auto.status === 'active' && auto.window.end).toBe(T + 90_000);
  });

  it('a revoke that keeps failing becomes revoke_failed only when told, and keeps counting', () => {
    const once = applyEvent(SAMPLES.revoking, EVENTS.revoke_attempt_failed);
    expect(once.status).toBe('revoking');
    const marked = applyEvent(once, { ...EVENTS.revoke_attempt_failed, markFailed: true } as LifecycleEvent);
    expect(marked.status).toBe('revoke_failed');
    expect('revokeAttempts' in marked && marked.revokeAttempts).toBe(2);
    const ended = applyEvent(marked, EVENTS.revoke_succeeded);
    expect(ended.status).toBe('expired');
  });

  it('a release ends as released, an admin revoke as revoked', () => {
    const released = applyEvent(applyEvent(SAMPLES.active, EVENTS.end), EVENTS.revoke_succeeded);
    expect(released.status).toBe('released');
    const revoked = applyEvent(applyEvent(SAMPLES.active, { ...EVENTS.end, reason: 'revoked' } as LifecycleEvent), EVENTS.revoke_succeeded);
    expect(revoked.status).toBe('revoked');
  });
});
