import type { AccessRequest, Actor, RequestId } from '../domain/access-request.js';
import type { ApproveOutcome, DenyOutcome } from '../domain/command-outcome.js';
import { JitError, isJitError } from '../domain/errors.js';
import { applyEvent } from '../domain/lifecycle.js';
import { normalizeReason } from '../domain/reason.js';
import { checkMayApprove, eligibleApprovers } from '../policy/evaluate-policy.js';
import { mutate, type CoreDeps } from './core-context.js';
import { denyNeedsReason } from './parse-command.js';
import { resourceNamed } from '../policy/policy-lookup.js';

type PersonActor = Actor & { kind: 'person' };

/**
 * An approver approves a pending request (or an active grant's pending extension). Checked at click
 * time against the current policy by the person behind the stable platform id; the requester never
 * counts; an approver counts once; concurrent clicks settle on the stored state.
 */
export async function approveRequest(deps: CoreDeps, actor: PersonActor, id: RequestId): Promise<ApproveOutcome> {
  const { before, after } = await mutate(deps, id, (current) => {
    authorize(deps, actor, current, 'approve');
    const extension = current.status === 'active' && current.pendingExtension !== undefined;
    const next = applyEvent(current, {
      type: extension ? 'approve_extension' : 'approve',
      person: actor.person,
      via: actor.via,
      at: deps.clock.now(),
    });
    const approved = next.status === 'approved' || (extension && next.status === 'active' && !next.pendingExtension);
    return {
      after: withWaiting(deps, next),
      audit: {
        type: extension ? (approved ? 'extension.approved' : 'extension.approval_added') : approved ? 'request.approved' : 'request.approval_added',
        actor,
        data: { approvals: extension ? undefined : next.approvals.length, required: current.approvalsRequired },
      },
    };
  }).catch((error: unknown) => auditRefusal(deps, actor, id, 'approve', error));

  deps.observer?.approvalRecorded?.();
  if (after.status === 'approved') {
    await deps.scheduler.cancelTimeout(id);
    await deps.scheduler.cancelReannounce(id);
    await deps.scheduler.issue(id);
  } else if (before.status === 'active' && after.status === 'active' && before.pendingExtension && !after.pendingExtension) {
    await applyExtension(deps, after);
  }
  await deps.scheduler.notify({ kind: 'card', requestId: id });
  return approveOutcome(after);
}

function approveOutcome(request: AccessRequest): ApproveOutcome {
  if (request.status === 'approved') return { kind: 'approved', request };
  if (request.status === 'active' && !request.pendingExtension) return { kind: 'extension_approved', request, endsAt: request.window.end };
  const extension = request.status === 'active' && request.pendingExtension !== undefined;
  const given = request.status === 'active' && request.pendingExtension ? request.pendingExtension.approvals.length : request.approvals.length;
  return { kind: 'approval_added', request, extension, stillNeeded: Math.max(0, request.approvalsRequired - given) };
}

/** An approver denies a pending request (reason required) or an active grant's pending extension. */
export async function denyRequest(deps: CoreDeps, actor: PersonActor, id: RequestId, reasonText: string): Promise<DenyOutcome> {
  const reason = normalizeReason(reasonText);
  if (!reason) throw new JitError('INPUT.BAD_REASON', denyNeedsReason(id));
  const { after } = await mutate(deps, id, (current) => {
    authorize(deps, actor, current, 'deny');
    const extension = current.status === 'active' && current.pendingExtension !== undefined;
    const next = applyEvent(
      current,
      extension ? { type: 'deny_extension', person: actor.person, at: deps.clock.now() } : { type: 'deny', person: actor.person, reason, at: deps.clock.now() },
    );
    return {
      after: withWaiting(deps, next),
      audit: { type: extension ? 'extension.denied' : 'request.denied', actor, data: { reason } },
    };
  }).catch((error: unknown) => auditRefusal(deps, actor, id, 'deny', error));

  if (after.status === 'denied') {
    await deps.scheduler.cancelTimeout(id);
    await deps.scheduler.cancelReannounce(id);
    await deps.scheduler.notify({ kind: 'dm', requestId: id, person: after.requester, message: 'denied' });
  } else {
    await deps.scheduler.notify({ kind: 'dm', requestId: id, person: after.requester, message: 'extension_denied' });
  }
  await deps.scheduler.notify({ kind: 'card', requestId: id });
  return after.status === 'denied' ? { kind: 'denied', request: after } : { kind: 'extension_denied', request: after };
}

function authorize(deps: CoreDeps, actor: PersonActor, request: AccessRequest, action: 'approve' | 'deny'): void {
  checkMayApprove(deps.policy(), request.resource, actor.person, request.requester, { context: request.pipeline, action });
}

/** Recomputes who a request still waits on, from the current policy. */
export function withWaiting(deps: CoreDeps, request: AccessRequest): AccessRequest {
  const waiting = request.status === 'pending' || (request.status === 'active' && request.pendingExtension);
  if (!waiting) {
    const { waitingOn: _gone, ...rest } = request;
    return rest as AccessRequest;
  }
  const resource = resourceNamed(deps.policy(), request.resource);
  const already = new Set(
    request.status === 'active' && request.pendingExtension ? request.pendingExtension.approvals.map((a) => a.person) : request.approvals.map((a) => a.person),
  );
  const pool = resource ? eligibleApprovers(deps.policy(), resource, request.requester, request.pipeline) : [];
  return { ...request, waitingOn: pool.filter((p) => !already.has(p)) };
}

/**
 * An extension took effect: the one revoke job and the reminder move to the new end, and the issuer
 * hears about it when its credential carries its own expiry (it then sends the DM, with a new secret).
 */
export async function applyExtension(deps: CoreDeps, request: AccessRequest): Promise<void> {
  if (request.status !== 'active') return;
  await deps.scheduler.revokeAt(request.id, request.window.end);
  await scheduleReminder(deps, request);
  const resource = resourceNamed(deps.policy(), request.resource);
  if (resource && deps.issuer(resource.issuer)?.extend) {
    await deps.scheduler.extendAtIssuer(request.id, request.extensions.length);
  } else {
    await deps.scheduler.notify({ kind: 'dm', requestId: request.id, person: request.requester, message: 'extension_approved' });
  }
}

export async function scheduleReminder(deps: CoreDeps, request: AccessRequest): Promise<void> {
  if (request.status !== 'active') return;
  const at = request.window.end - deps.policy().settings.reminderBefore;
  if (at > deps.clock.now()) await deps.scheduler.remindAt(request.id, at);
  else await deps.scheduler.cancelReminder(request.id);
}

// Self-approval and outsider attempts are security events: keep them in the trail, then refuse.
async function auditRefusal(deps: CoreDeps, actor: PersonActor, id: RequestId, action: string, error: unknown): Promise<never> {
  if (isJitError(error, 'POLICY.SELF_APPROVAL') || isJitError(error, 'POLICY.NOT_APPROVER')) {
    await deps.audit.appendAudit({ type: `${action}.refused`, requestId: id, actor, data: { code: error.code } });
  }
  throw error;
}
