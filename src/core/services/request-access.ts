import type { AccessRequest, Actor } from '../domain/access-request.js';
import { JitError } from '../domain/errors.js';
import { normalizeReason } from '../domain/reason.js';
import {
  approvalsNeeded,
  autoApprovalRule,
  checkDuration,
  checkReason,
  eligibleApprovers,
  resourceForRequest,
} from '../policy/evaluate-policy.js';
import type { CoreDeps } from './core-context.js';

export interface RequestAccessInput {
  actor: Actor & { kind: 'person' };
  resource: string;
  duration: string | undefined;
  reason: string;
}

/**
 * A person asks for a resource: policy checks, then one atomic write of the request and its audit
 * event, then the jobs (timeout and re-announcement, or issuing when auto-approved) and messages.
 */
export async function requestAccess(deps: CoreDeps, input: RequestAccessInput): Promise<AccessRequest> {
  const policy = deps.policy();
  const requester = input.actor.person;
  const resource = resourceForRequest(policy, requester, input.resource);
  const durationMs = checkDuration(policy, input.resource, resource, input.duration);
  const reason = normalizeReason(input.reason);
  checkReason(input.resource, resource, reason);
  if (!deps.issuer(resource.issuer)) {
    throw new JitError('POLICY.INVALID', `${input.resource} uses issuer "${resource.issuer}", which is not running. Ask an admin.`);
  }

  const now = deps.clock.now();
  const autoRule = autoApprovalRule(policy, resource, requester, durationMs);
  const required = approvalsNeeded(resource, autoRule !== undefined);
  const approvers = eligibleApprovers(policy, resource, requester);
  const id = await deps.store.nextId();
  const common = {
    id,
    resource: input.resource,
    requester,
    durationMs,
    reason,
    createdAt: now,
    version: 0,
    via: input.actor.via,
    approvalsRequired: required,
    approvals: [],
    ...(autoRule !== undefined ? { autoApprovedBy: autoRule } : {}),
  };
  const request: AccessRequest =
    required === 0
      ? { ...common, status: 'approved', decidedAt: now }
      : { ...common, status: 'pending', timeoutAt: now + policy.settings.approvalTimeout, waitingOn: approvers };

  const stored = await deps.store.create(request, {
    type: required === 0 ? 'request.auto_approved' : 'request.created',
    requestId: id,
    actor: input.actor,
    data: {
      resource: input.resource,
      durationMs,
      reason,
      approvalsRequired: required,
      ...(autoRule !== undefined ? { autoApproveRule: autoRule } : {}),
    },
  });

  if (stored.status === 'pending') {
    await deps.scheduler.timeoutAt(id, stored.timeoutAt);
    await deps.scheduler.reannounceAt(id, now + policy.settings.reannounceAfter, 1);
  } else {
    await deps.scheduler.issue(id);
  }
  await deps.scheduler.notify({ kind: 'card', requestId: id });
  await deps.scheduler.notify({ kind: 'dm', requestId: id, person: requester, message: 'received' });
  deps.log.info({ requestId: id, resource: input.resource, requester, status: stored.status }, 'request created');
  return stored;
}
