import type { AccessRequest, Actor, RequestId } from '../domain/access-request.js';
import type { CancelOutcome, ExtendOutcome, ReleaseOutcome, RevokeOutcome } from '../domain/command-outcome.js';
import { JitError } from '../domain/errors.js';
import { formatDuration, parseDuration } from '../domain/duration.js';
import { applyEvent, notApplicableMessage } from '../domain/lifecycle.js';
import { normalizeReason } from '../domain/reason.js';
import { autoApprovalRule, extensionLimits, isAdmin } from '../policy/evaluate-policy.js';
import { actorPerson, actorRequester, mutate, personIdentity, resourceOf, type CoreDeps } from './core-context.js';
import { applyExtension, withWaiting } from './review-request.js';

/** The requester withdraws a pending request. */
export async function cancelRequest(deps: CoreDeps, actor: Actor, id: RequestId): Promise<CancelOutcome> {
  const { after } = await mutate(deps, id, (current) => {
    requireOwner(actor, current, 'cancel');
    return { after: withWaiting(deps, applyEvent(current, { type: 'cancel', at: deps.clock.now() })), audit: { type: 'request.cancelled', actor, data: {} } };
  });
  await deps.scheduler.cancelTimeout(id);
  await deps.scheduler.cancelReannounce(id);
  await deps.scheduler.notify({ kind: 'card', requestId: id });
  return { kind: 'cancelled', request: after };
}

/** The requester ends their access now. */
export async function releaseAccess(deps: CoreDeps, actor: Actor, id: RequestId): Promise<ReleaseOutcome> {
  const request = await endAccess(deps, actor, id, 'released', '', (current) => requireOwner(actor, current, 'release'));
  return { kind: 'released', request };
}

/**
 * An admin (or an operator at the CLI) ends someone's access now; for a grant whose revocation keeps
 * failing, this is also how an admin resolves it after removing the access by hand.
 */
export async function revokeAccess(deps: CoreDeps, actor: Actor, id: RequestId, reasonText: string): Promise<RevokeOutcome> {
  const reason = normalizeReason(reasonText);
  if (actor.kind === 'pipeline') {
    throw new JitError('POLICY.NOT_ADMIN', `A pipeline cannot revoke access; it may release its own (${id}).`);
  }
  const person = actorPerson(actor);
  if (person !== undefined && !isAdmin(deps.policy(), person)) {
    throw new JitError('POLICY.NOT_ADMIN', `Only admins may revoke someone's access. To end your own, use /jit release ${id}.`);
  }
  const current = await deps.requests.get(id);
  if (current?.status === 'revoke_failed') {
    const { after } = await mutate(deps, id, (c) => ({
      after: applyEvent(c, { type: 'resolve', at: deps.clock.now(), by: actor, ...(reason ? { note: reason } : {}) }),
      audit: { type: 'grant.revoke_resolved', actor, data: { reason, note: 'closed by an admin; the access may need removing by hand' } },
    }));
    await deps.scheduler.notify({ kind: 'card', requestId: id });
    await deps.scheduler.notify({ kind: 'dm', requestId: id, person: after.requester, message: 'ended' });
    return { kind: 'revoke_resolved', request: after };
  }
  return { kind: 'revoke_started', request: await endAccess(deps, actor, id, 'revoked', reason, () => {}) };
}

async function endAccess(
  deps: CoreDeps,
  actor: Actor,
  id: RequestId,
  reason: 'released' | 'revoked',
  why: string,
  check: (current: AccessRequest) => void,
): Promise<AccessRequest> {
  const { after } = await mutate(deps, id, (current) => {
    check(current);
    return {
      after: withWaiting(deps, applyEvent(current, { type: 'end', reason, by: actor, at: deps.clock.now(), ...(why ? { note: why } : {}) })),
      audit: { type: reason === 'released' ? 'grant.released' : 'grant.revoke_requested', actor, data: why ? { reason: why } : {} },
    };
  });
  // The grant's one revoke job moves to now; it does the issuer call, with retries.
  await deps.scheduler.revokeAt(id, deps.clock.now());
  await deps.scheduler.cancelReminder(id);
  await deps.scheduler.notify({ kind: 'card', requestId: id });
  return after;
}

/** The requester asks for more time on an active grant: same approvers, limited count and total. */
export async function extendAccess(deps: CoreDeps, actor: Actor & { kind: 'person' }, id: RequestId, durationText: string, reasonText: string): Promise<ExtendOutcome> {
  const reason = normalizeReason(reasonText);
  const policy = deps.policy();
  const { after } = await mutate(deps, id, (current) => {
    requireOwner(actor, current, 'extend');
    if (current.status !== 'active') {
      throw new JitError('REQUEST.ALREADY_DECIDED', notApplicableMessage(current, 'request_extension'));
    }
    const resource = resourceOf(deps, current);
    if (!resource) throw new JitError('POLICY.UNKNOWN_RESOURCE', `${current.resource} is no longer in the policy; it cannot be extended.`);
    const limits = extensionLimits(resource);
    const usedMs = current.extensions.reduce((sum, e) => sum + e.durationMs, 0);
    const leftMs = limits.maxTotalMs - usedMs;
    if (current.extensions.length >= limits.max || leftMs <= 0) {
      throw new JitError('POLICY.EXTENSION_LIMIT', `${id} cannot be extended again (at most ${limits.max} extensions, ${formatDuration(limits.maxTotalMs)} in all). Request it anew when it ends.`);
    }
    let durationMs: number;
    try {
      durationMs = parseDuration(durationText);
    } catch (error) {
      throw new JitError('INPUT.BAD_DURATION', `${(error as Error).message} ${id} may be extended by up to ${formatDuration(leftMs)}.`);
    }
    if (durationMs > leftMs) {
      throw new JitError('POLICY.DURATION_OUT_OF_RANGE', `${formatDuration(durationMs)} is too long: ${id} may be extended by up to ${formatDuration(leftMs)}.`);
    }
    // The same rules as the request: no approvers needed if none were, or if an auto-approval rule covers the new total.
    const totalMs = current.window.end - current.window.start + durationMs;
    const problem = deps.issuer(resource.issuer)?.checkRequest?.(resource.params, personIdentity(policy, current.requester), totalMs);
    if (problem) throw new JitError('POLICY.DURATION_OUT_OF_RANGE', `${id} cannot be extended by ${formatDuration(durationMs)}: ${problem}.`);
    const selfApproving = current.approvalsRequired === 0 || autoApprovalRule(policy, resource, current.requester, totalMs) !== undefined;
    const next = applyEvent(current, { type: 'request_extension', at: deps.clock.now(), durationMs, reason, autoApproved: selfApproving });
    return {
      after: withWaiting(deps, next),
      audit: { type: selfApproving ? 'extension.auto_approved' : 'extension.requested', actor, data: { durationMs, reason } },
    };
  });
  if (after.status === 'active' && !after.pendingExtension) await applyExtension(deps, after);
  await deps.scheduler.notify({ kind: 'card', requestId: id });
  if (after.status === 'active' && after.pendingExtension) return { kind: 'extension_requested', request: after, durationMs: after.pendingExtension.durationMs };
  return { kind: 'extended', request: after, endsAt: after.status === 'active' ? after.window.end : undefined };
}

function requireOwner(actor: Actor, request: AccessRequest, verb: string): void {
  // Operators and jitbot itself act on anyone's request; people and pipelines only on their own.
  const person = actorRequester(actor);
  if (person !== undefined && person !== request.requester) {
    throw new JitError('POLICY.NOT_OWNER', `Only ${request.requester}, who asked for ${request.id}, may ${verb} it.`);
  }
}
