import type { AccessRequest, RequestId } from '../domain/access-request.js';
import { cancelAction, extendAction, releaseAction, type ActionView, type CardView } from '../messages/views.js';
import { checkMayApprove } from '../policy/evaluate-policy.js';
import type { CoreDeps } from './core-context.js';
import { cardOf } from './deliver-notification.js';

/** A request as one person sees it: the card everybody sees, and the buttons that are theirs to press. */
export interface RequestForViewer {
  request: AccessRequest;
  card: CardView;
  /** Approve and Deny for an approver the request still waits on; Cancel, Extend, Release for the requester. */
  actions: ActionView[];
}

/** The stored request, or undefined: a plain read for adapters that only show what is there. */
export async function findRequest(deps: CoreDeps, id: RequestId): Promise<AccessRequest | undefined> {
  return deps.requests.get(id);
}

export async function requestForViewer(deps: CoreDeps, request: AccessRequest, person: string): Promise<RequestForViewer> {
  const card = await cardOf(deps, request);
  return { request, card, actions: viewerActions(request, card, person) };
}

export function viewerActions(request: AccessRequest, card: CardView, person: string): ActionView[] {
  const actions: ActionView[] = [];
  if (request.waitingOn?.includes(person)) actions.push(...card.actions);
  if (request.requester === person) {
    if (request.status === 'pending') actions.push(cancelAction(request.id));
    if (request.status === 'active' && !request.pendingExtension) actions.push(extendAction(request.id), releaseAction(request.id));
  }
  return actions;
}

/**
 * Throws the policy's refusal when `person` may not decide on `request` (not an approver, their own
 * request); adapters ask before they open a deny form, so that nobody types a reason in vain.
 */
export function checkMayDecide(deps: CoreDeps, person: string, request: AccessRequest): void {
  checkMayApprove(deps.policy(), request.resource, person, request.requester);
}
