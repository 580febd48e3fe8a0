import type { AccessRequest, Actor, EndReason, IssueReceipt, RequestIn, RequestStatus, Window } from './access-request.js';
import { describeActor } from './access-request.js';
import { JitError } from './errors.js';
import { formatTimestamp } from './timestamp.js';

/**
 * Everything that can happen to a request. Each event is applied by `applyEvent`, a pure function:
 * (request, event) → the next request, or a JitError that says why the event does not apply.
 * Who may cause an event (requester, approver, admin) is policy's business, checked before this.
 */
export type LifecycleEvent =
  | { type: 'approve'; person: string; via: string; at: number }
  | { type: 'deny'; person: string; reason: string; at: number }
  | { type: 'cancel'; at: number }
  | { type: 'time_out'; at: number }
  | { type: 'start_issue'; at: number }
  | { type: 'issued'; at: number; window: Window; receipt: IssueReceipt }
  | { type: 'issue_failed'; at: number; error: string; receipt?: IssueReceipt }
  | { type: 'end'; at: number; reason: EndReason; by: Actor; note?: string }
  | { type: 'revoke_attempt_failed'; at: number; error: string; markFailed: boolean }
  | { type: 'revoke_succeeded'; at: number }
  | { type: 'resolve'; at: number; by: Actor; note?: string }
  | { type: 'request_extension'; at: number; durationMs: number; reason: string; autoApproved: boolean }
  | { type: 'approve_extension'; person: string; via: string; at: number }
  | { type: 'deny_extension'; person: string; at: number };

export type LifecycleEventType = LifecycleEvent['type'];

export const LIFECYCLE_EVENT_TYPES = [
  'approve',
  'deny',
  'cancel',
  'time_out',
  'start_issue',
  'issued',
  'issue_failed',
  'end',
  'revoke_attempt_failed',
  'revoke_succeeded',
  'resolve',
  'request_extension',
  'approve_extension',
  'deny_extension',
] as const satisfies readonly LifecycleEventType[];

/** Applies one event. Never mutates its input; the version is bumped by the store, not here. */
export function applyEvent(request: AccessRequest, event: LifecycleEvent): AccessRequest {
  switch (event.type) {
    case 'approve': {
      const r = expect(request, event, ['pending']);
      if (event.person === r.requester) {
        throw new JitError('POLICY.SELF_APPROVAL', `You cannot approve your own request ${r.id}.`);
      }
      if (r.approvals.some((a) => a.person === event.person)) {
        throw new JitError('REQUEST.ALREADY_APPROVED_BY_YOU', `You have already approved ${r.id}; it needs ${remaining(r)} more.`);
      }
      const approvals = [...r.approvals, { person: event.person, at: event.at, via: event.via }];
      if (approvals.length >= r.approvalsRequired) {
        const { timeoutAt: _timeoutAt, ...rest } = r;
        return { ...rest, approvals, status: 'approved', decidedAt: event.at };
      }
      return { ...r, approvals };
    }
    case 'deny': {
      const r = expect(request, event, ['pending']);
      if (event.person === r.requester) {
        throw new JitError('POLICY.SELF_APPROVAL', `You cannot review your own request ${r.id}; use /jit cancel ${r.id}.`);
      }
      const { timeoutAt: _timeoutAt, ...rest } = r;
      return { ...rest, status: 'denied', decidedAt: event.at, deniedBy: event.person, denyReason: event.reason };
    }
    case 'cancel': {
      const r = expect(request, event, ['pending']);
      const { timeoutAt: _timeoutAt, ...rest } = r;
      return { ...rest, status: 'cancelled', cancelledAt: event.at };
    }
    case 'time_out': {
      const r = expect(request, event, ['pending']);
      const { timeoutAt: _timeoutAt, ...rest } = r;
      return { ...rest, status: 'timed_out', timedOutAt: event.at };
    }
    case 'start_issue': {
      const r = expect(request, event, ['approved', 'issuing']);
      // A second start means the first attempt was interrupted (crash, stall): count it, stay issuing.
      return { ...r, status: 'issuing', issueAttempts: r.status === 'issuing' ? r.issueAttempts + 1 : 1 };
    }
    case 'issued': {
      const r = expect(request, event, ['issuing']);
      const { issueAttempts: _attempts, ...rest } = r;
      return {
        ...rest,
        status: 'active',
        window: event.window,
        receipt: event.receipt,
        extensions: [],
      };
    }
    case 'issue_failed': {
      const r = expect(request, event, ['approved', 'issuing']);
      const { issueAttempts: _attempts, ...rest } = r as RequestIn<'issuing'>;
      return { ...rest, status: 'failed', failedAt: event.at, error: event.error, ...(event.receipt ? { undeliveredReceipt: event.receipt } : {}) };
    }
    case 'end': {
      const r = expect(request, event, ['active']);
      const { pendingExtension: _dropped, ...rest } = r;
      return {
        ...rest,
        status: 'revoking',
        endReason: event.reason,
        endedBy: event.by,
        endRequestedAt: event.at,
        revokeAttempts: 0,
        ...(event.note ? { revokeReason: event.note } : {}),
      };
    }
    case 'revoke_attempt_failed': {
      const r = expect(request, event, ['revoking', 'revoke_failed']);
      const counted = { revokeAttempts: r.revokeAttempts + 1, lastRevokeError: event.error };
      if (r.status === 'revoke_failed') return { ...r, ...counted };
      if (event.markFailed) return { ...r, ...counted, status: 'revoke_failed', failingSince: event.at };
      return { ...r, ...counted };
    }
    case 'revoke_succeeded': {
      const r = expect(request, event, ['revoking', 'revoke_failed']);
      const { failingSince: _f, ...rest } = r as RequestIn<'revoke_failed'>;
      return { ...rest, status: r.endReason, endedAt: event.at };
    }
    case 'resolve': {
      const r = expect(request, event, ['revoke_failed']);
      const { failingSince: _f, ...rest } = r;
      return { ...rest, status: 'revoked', endedAt: event.at, resolvedBy: event.by, ...(event.note ? { revokeReason: event.note } : {}) };
    }
    case 'request_extension': {
      const r = expect(request, event, ['active']);
      if (r.pendingExtension) {
        throw new JitError('REQUEST.INVALID_TRANSITION', `${r.id} already has an extension waiting for approval.`);
      }
      if (event.autoApproved) {
        return {
          ...r,
          window: { start: r.window.start, end: r.window.end + event.durationMs },
          extensions: [...r.extensions, { durationMs: event.durationMs, at: event.at, approvedBy: [] }],
        };
      }
      return {
        ...r,
        pendingExtension: { durationMs: event.durationMs, reason: event.reason, requestedAt: event.at, approvals: [] },
      };
    }
    case 'approve_extension': {
      const r = expectExtension(request, event);
      const ext = r.pendingExtension;
      if (event.person === r.requester) {
        throw new JitError('POLICY.SELF_APPROVAL', `You cannot approve your own extension of ${r.id}.`);
      }
      if (ext.approvals.some((a) => a.person === event.person)) {
        throw new JitError('REQUEST.ALREADY_APPROVED_BY_YOU', `You have already approved the extension of ${r.id}.`);
      }
      const approvals = [...ext.approvals, { person: event.person, at: event.at, via: event.via }];
      if (approvals.length >= r.approvalsRequired) {
        const { pendingExtension: _done, ...rest } = r;
        return {
          ...rest,
          window: { start: r.window.start, end: r.window.end + ext.durationMs },
          extensions: [...r.extensions, { durationMs: ext.durationMs, at: event.at, approvedBy: approvals.map((a) => a.person) }],
        };
      }
      return { ...r, pendingExtension: { ...ext, approvals } };
    }
    case 'deny_extension': {
      const r = expectExtension(request, event);
      if (event.person === r.requester) {
        throw new JitError('POLICY.SELF_APPROVAL', `You cannot review your own extension of ${r.id}.`);
      }
      const { pendingExtension: _denied, ...rest } = r;
      return rest;
    }
  }
}

/** Approvals still missing before a pending request is approved. */
export function remaining(request: { approvals: unknown[]; approvalsRequired: number }): number {
  return Math.max(0, request.approvalsRequired - request.approvals.length);
}

function expect<S extends RequestStatus>(request: AccessRequest, event: LifecycleEvent, allowed: readonly S[]): RequestIn<S> {
  if ((allowed as readonly RequestStatus[]).includes(request.status)) return request as RequestIn<S>;
  throw new JitError(
    request.status === 'pending' ? 'REQUEST.INVALID_TRANSITION' : 'REQUEST.ALREADY_DECIDED',
    notApplicableMessage(request, event.type),
    { details: { status: request.status, event: event.type } },
  );
}

function expectExtension(request: AccessRequest, event: LifecycleEvent): RequestIn<'active'> & { pendingExtension: NonNullable<RequestIn<'active'>['pendingExtension']> } {
  const r = expect(request, event, ['active']);
  if (!r.pendingExtension) {
    throw new JitError('REQUEST.INVALID_TRANSITION', `${r.id} has no extension waiting for approval.`);
  }
  return r as RequestIn<'active'> & { pendingExtension: NonNullable<RequestIn<'active'>['pendingExtension']> };
}

/** "already decided by …" and friends: the sentence shown for a stale click or a wrong command. */
export function notApplicableMessage(request: AccessRequest, eventType: LifecycleEventType): string {
  const what = eventType.replace(/_/g, ' ');
  return `${request.id} is ${describeStatus(request)}, so it cannot be ${pastTense(what)} now.`;
}

/** One phrase for a request's state that names who decided it where that is known. */
export function describeStatus(request: AccessRequest): string {
  switch (request.status) {
    case 'pending':
      return `waiting for approval (${request.approvals.length} of ${request.approvalsRequired})`;
    case 'approved':
    case 'issuing':
      return `already approved by ${approvers(request)} and being issued`;
    case 'active':
      return `already approved by ${approvers(request)} and active until ${formatTimestamp(request.window.end)}`;
    case 'revoking':
      return `ending (${request.endReason})`;
    case 'revoke_failed':
      return 'ending, but its revocation is failing and being retried';
    case 'expired':
      return 'over (expired)';
    case 'released':
      return 'over (released)';
    case 'revoked':
      return `over (revoked by ${describeActor(request.resolvedBy ?? request.endedBy)})`;
    case 'denied':
      return `already denied by ${request.deniedBy}`;
    case 'cancelled':
      return 'cancelled';
    case 'timed_out':
      return 'closed: nobody decided in time';
    case 'failed':
      return 'failed: the access could not be issued';
  }
}

function approvers(request: AccessRequest): string {
  if (request.autoApprovedBy !== undefined && request.approvals.length === 0) return 'policy (auto-approval)';
  return request.approvals.map((a) => a.person).join(', ') || 'policy';
}

function pastTense(what: string): string {
  const table: Record<string, string> = {
    approve: 'approved',
    deny: 'denied',
    cancel: 'cancelled',
    'time out': 'timed out',
    'start issue': 'issued',
    issued: 'marked issued',
    'issue failed': 'marked failed',
    end: 'ended',
    'revoke attempt failed': 'revoked',
    'revoke succeeded': 'revoked',
    resolve: 'resolved',
    'request extension': 'extended',
    'approve extension': 'extended',
    'deny extension': 'refused an extension',
  };
  return table[what] ?? what;
}
