import type { AccessRequest, RequestId } from '../domain/access-request.js';
import { isJitError } from '../domain/errors.js';
import { checkMayApprove, eligibleApprovers, isAdmin } from '../policy/evaluate-policy.js';
import type { Policy } from '../policy/policy-schema.js';
import { resourceNamed } from '../policy/policy-lookup.js';
import type { CoreDeps } from './core-context.js';

/** The commands that take a request id (and the console's `/wait`). */
export type TargetVerb = 'approve' | 'deny' | 'cancel' | 'release' | 'extend' | 'revoke' | 'audit' | 'wait';

const LOOK_BACK = 50;

/**
 * The ids a command would act on for this person now, newest first: what tab completion offers.
 * Candidates are the person's own requests, what waits on them, the ids the adapter has shown
 * (`seen`), and for an admin the grants holding access; each is checked against the request as it is
 * stored, so an id that does not exist or that the command would refuse is never offered.
 */
export async function commandTargets(deps: CoreDeps, person: string, verb: TargetVerb, seen: readonly string[]): Promise<RequestId[]> {
  const policy = deps.policy();
  const admin = isAdmin(policy, person);
  const lists = await Promise.all([
    deps.requests.listByRequester(person, LOOK_BACK),
    deps.requests.listWaitingOn(person),
    deps.requests.getMany(seen.filter((id) => /^JIT-\d{1,12}$/.test(id))),
    ...(admin && (verb === 'revoke' || verb === 'audit')
      ? [deps.requests.listByStatus('active', LOOK_BACK), deps.requests.listByStatus('revoke_failed', LOOK_BACK)]
      : []),
  ]);
  const byId = new Map<RequestId, AccessRequest>();
  for (const request of lists.flat()) byId.set(request.id, request);
  return [...byId.values()]
    .filter((request) => appliesTo(policy, person, admin, verb, request))
    .map((request) => request.id)
    .sort((a, b) => Number(b.slice(4)) - Number(a.slice(4)));
}

function appliesTo(policy: Policy, person: string, admin: boolean, verb: TargetVerb, request: AccessRequest): boolean {
  const own = request.requester === person;
  switch (verb) {
    case 'approve':
    case 'deny': {
      const extension = request.status === 'active' ? request.pendingExtension : undefined;
      if (request.status !== 'pending' && !extension) return false;
      if (verb === 'approve' && (extension ?? request).approvals.some((a) => a.person === person)) return false;
      return mayReview(policy, person, request, verb);
    }
    case 'cancel':
      return own && request.status === 'pending';
    case 'release':
      return own && request.status === 'active';
    case 'extend':
      return own && request.status === 'active' && !request.pendingExtension;
    case 'revoke':
      return admin && (request.status === 'active' || request.status === 'revoke_failed');
    case 'audit':
      return mayReadHistory(policy, person, request);
    case 'wait':
      return true;
  }
}

function mayReview(policy: Policy, person: string, request: AccessRequest, action: 'approve' | 'deny'): boolean {
  try {
    checkMayApprove(policy, request.resource, person, request.requester, { context: request.pipeline, action });
    return true;
  } catch (error) {
    if (isJitError(error)) return false;
    throw error;
  }
}

/** Who may read a request's history (`/jit audit`): its requester, the approvers of its resource, and admins. */
export function mayReadHistory(policy: Policy, person: string, request: AccessRequest): boolean {
  const resource = resourceNamed(policy, request.resource);
  return (
    request.requester === person ||
    isAdmin(policy, person) ||
    (resource !== undefined && eligibleApprovers(policy, resource, request.requester).includes(person))
  );
}
