import type { AccessRequest } from '../domain/access-request.js';
import { buildDirectMessage, revokeFailedNotice, revokeRecoveredNotice, secretTooLargeText, unreachableNotice } from '../messages/direct-messages.js';
import { buildCard, type CardView, type ChannelNotice } from '../messages/views.js';
import { eligibleApprovers, membersOf } from '../policy/evaluate-policy.js';
import type { IssuedSecret } from '../ports/issuer.js';
import type { Notifier, SecretMeasure } from '../ports/notifier.js';
import { NotifyError } from '../ports/notifier.js';
import type { Notification } from '../ports/scheduler.js';
import { personIdentity, resourceOf, type CoreDeps } from './core-context.js';
import { resourceNamed } from '../policy/policy-lookup.js';

/** The channel a platform posts a resource's cards in; the console has a single shared one. */
function channelFor(deps: CoreDeps, request: AccessRequest, notifier: Notifier): string | undefined {
  if (notifier.platform === 'console') return 'approvals';
  const channel = resourceOf(deps, request)?.channel as Record<string, string | undefined> | undefined;
  return channel?.[notifier.platform];
}

/**
 * Delivers one notification from the notify queue. Renders from the request's current state, so a
 * late or repeated card update always shows the truth. Throws NotifyError to be retried.
 */
export async function deliverNotification(deps: CoreDeps, notification: Notification): Promise<void> {
  const request = await deps.requests.get(notification.requestId);
  if (!request) return;
  switch (notification.kind) {
    case 'card':
      return deliverCard(deps, request);
    case 'dm':
      return deliverDirect(deps, request, notification.person, notification.message, notification.sealedSecret);
    case 'notice':
      return deliverNotice(deps, request, notification.notice, notification.detail);
  }
}

/** The approval card of a request as everybody sees it now (adapters add per-viewer actions). */
export function cardOf(deps: CoreDeps, request: AccessRequest): CardView {
  const policy = deps.policy();
  const resource = resourceNamed(policy, request.resource);
  return buildCard(request, resource?.description ?? '', resource ? eligibleApprovers(policy, resource, request.requester, request.pipeline) : []);
}

async function deliverCard(deps: CoreDeps, request: AccessRequest): Promise<void> {
  const card = cardOf(deps, request);
  const refs = await deps.state.messageRefs(request.id);
  for (const notifier of deps.notifiers) {
    const channel = channelFor(deps, request, notifier);
    if (!channel) continue;
    const ref = refs.find((r) => r.platform === notifier.platform && r.channel === channel);
    if (ref) {
      await notifier.updateCard(ref, card);
      continue;
    }
    // One card per request and channel, even when two card jobs race: only the claimer posts.
    const claim = `post-card:${request.id}:${notifier.platform}:${channel}`;
    if (!(await deps.state.claimOnce(claim, 10 * 60_000))) {
      throw new NotifyError(`card for ${request.id} is being posted by another job`, true, { retryAfterMs: 500 });
    }
    let posted;
    try {
      posted = await notifier.postCard(channel, card);
    } catch (error) {
      // Nothing was posted: let the retry post it.
      await deps.state.releaseClaim(claim);
      throw error;
    }
    await deps.state.saveMessageRef(request.id, posted);
  }
}

/** The notifier that delivers a DM to `personName` about `request`: the one it came from, else the first that knows them. */
export function directNotifierFor(deps: CoreDeps, request: AccessRequest, personName: string): Notifier | undefined {
  const person = personIdentity(deps.policy(), personName);
  const candidates = deps.notifiers.filter((n) => n.knows(person));
  return candidates.find((n) => n.platform === request.via) ?? candidates[0];
}

/**
 * Why a secret cannot reach the requester whole, or undefined when it can. Checked when the issuer
 * answers, before the grant counts as active: a chat message that cannot carry it would cut it.
 */
export function undeliverableSecret(deps: CoreDeps, request: AccessRequest, secret: IssuedSecret): { error: string; measure: SecretMeasure } | undefined {
  const measure = directNotifierFor(deps, request, request.requester)?.measureSecret?.(secret);
  if (!measure || measure.bytes <= measure.maxBytes) return undefined;
  return { error: secretTooLargeText(new TextEncoder().encode(secret.value).length, measure), measure };
}

async function deliverDirect(
  deps: CoreDeps,
  request: AccessRequest,
  personName: string,
  kind: Parameters<typeof buildDirectMessage>[0],
  sealedSecret: string | undefined,
): Promise<void> {
  // A reminder or "still waiting" message about something already over is noise: skip it.
  if (kind === 'expiring' && request.status !== 'active') return;
  if (kind === 'reannounce' && request.status !== 'pending') return;
  // A "received" delivered late, after a person decided (a retry, a busy queue), would tell of a state
  // that is gone: the decision's own DM says what happened.
  if (kind === 'received' && request.approvalsRequired > 0 && request.status !== 'pending') return;
  const person = personIdentity(deps.policy(), personName);
  const preferred = directNotifierFor(deps, request, personName);
  if (!preferred) {
    deps.log.warn({ requestId: request.id, person: personName, kind }, 'no chat platform can reach this person; direct message not sent');
    await deps.audit.appendAudit({
      type: 'notify.unreachable',
      requestId: request.id,
      actor: { kind: 'system' },
      data: { person: personName, message: kind },
    });
    // Nobody is silently skipped: the approvers' channel hears about it.
    await deps.scheduler.notify({ kind: 'notice', requestId: request.id, notice: 'unreachable', detail: `${personName}: ${kind}` });
    return;
  }
  const secret = sealedSecret ? (JSON.parse(deps.secretBox.open(sealedSecret)) as IssuedSecret) : undefined;
  await preferred.sendDirect(person, buildDirectMessage(kind, request, secret));
}

async function deliverNotice(
  deps: CoreDeps,
  request: AccessRequest,
  notice: 'revoke_failed' | 'revoke_recovered' | 'unreachable',
  detail: string | undefined,
): Promise<void> {
  const policy = deps.policy();
  const resource = resourceNamed(policy, request.resource);
  const message: ChannelNotice =
    notice === 'revoke_recovered'
      ? revokeRecoveredNotice(request)
      : notice === 'unreachable'
        ? unreachableNotice(request, detail ?? 'someone')
        : revokeFailedNotice(request);
  for (const notifier of deps.notifiers) {
    const channel = channelFor(deps, request, notifier);
    if (channel) await notifier.postNotice(channel, message);
  }
  if (notice === 'revoke_failed') {
    const approvers = new Set([...(resource ? eligibleApprovers(policy, resource, request.requester, request.pipeline) : []), ...membersOf(policy, policy.admins)]);
    for (const person of approvers) await deps.scheduler.notify({ kind: 'dm', requestId: request.id, person, message: 'revoke_failed' });
  }
}
