import type { AccessRequest } from '../domain/access-request.js';
import { formatDuration } from '../domain/duration.js';
import { remaining } from '../domain/lifecycle.js';
import type { IssuedSecret } from '../ports/issuer.js';
import type { DirectMessageKind } from '../ports/scheduler.js';
import {
  approveAction,
  cancelAction,
  denyAction,
  endPhrase,
  extendAction,
  pipelineRunView,
  releaseAction,
  revokeReasonText,
  when,
  type ChannelNotice,
  type DirectMessage,
} from './views.js';

// The direct messages and channel notices; the cards, and the shapes both share, are in views.ts.

/** A DM of the given kind about a request in its current state. */
export function buildDirectMessage(kind: DirectMessageKind, request: AccessRequest, secret?: IssuedSecret): DirectMessage {
  const id = request.id;
  const about = `${request.resource} for ${formatDuration(request.durationMs)}`;
  const msg = (title: string, lines: string[], actions: DirectMessage['actions'] = []): DirectMessage => ({
    kind,
    requestId: id,
    title,
    lines,
    actions,
    ...(secret ? { secret } : {}),
  });
  switch (kind) {
    case 'received':
      // Said as it was when the request was made: no approvals needed means the policy approved it. A
      // late delivery after a person decided is dropped before this (see deliverNotification).
      return request.approvalsRequired === 0
        ? msg(`${id} received`, [`Your request for ${about} was approved by policy; issuing access now.`])
        : msg(`${id} received`, [`Your request for ${about} is waiting for ${remaining(request)} approval(s).`], [cancelAction(id)]);
    case 'active': {
      const lines = [`Your access to ${request.resource} is active.`];
      if ('window' in request) lines.push(`It ends at ${when(request.window.end)}.`);
      if ('receipt' in request) {
        lines.push(request.receipt.summary);
        for (const [k, v] of Object.entries(request.receipt.details)) lines.push(`${k}: ${v}`);
      }
      if (secret) lines.push('The secret below is shown only here, once. jitbot does not keep it.');
      return msg(`${id} approved and active`, lines, [releaseAction(id)]);
    }
    case 'denied':
      return msg(`${id} denied`, [
        `Your request for ${about} was denied${request.status === 'denied' ? ` by ${request.deniedBy}: ${request.denyReason}` : '.'}`,
      ]);
    case 'expiring':
      return msg(
        `${id} expires soon`,
        [`Your access to ${request.resource} ends at ${'window' in request ? when(request.window.end) : 'soon'}.`, 'Extend it, or release it now if you are done.'],
        [extendAction(id), releaseAction(id)],
      );
    case 'ended':
      return msg(`${id} ended`, [
        `Your access to ${request.resource} has ended (${'endReason' in request ? endPhrase(request) : 'ended'}).${'endReason' in request ? revokeReasonText(request) : ''}`,
      ]);
    case 'failed':
      return msg(`${id} failed`, [
        `Your request for ${about} was approved, but the access could not be issued: ${request.status === 'failed' ? request.error : 'unknown error'}.`,
        'Anything partly created is being removed. Try again, or ask an admin.',
      ]);
    case 'timed_out':
      return msg(`${id} timed out`, [`Nobody decided on your request for ${about} in time. You can ask again.`]);
    case 'reannounce':
      return msg(
        `${id} still waits for you`,
        [`${request.requester} asked for ${about}: "${request.reason}".`, ...(request.pipeline ? [pipelineRunView(request.pipeline).summary] : [])],
        [approveAction(id), denyAction(id)],
      );
    case 'revoke_failed':
      return msg(`${id}: revocation failing`, [
        `Access of ${request.requester} to ${request.resource} should have ended but revoking it keeps failing` +
          ('lastRevokeError' in request && request.lastRevokeError ? ` (${request.lastRevokeError})` : '') +
          '.',
        `jitbot keeps retrying. Check the target system; an admin can close it with /jit revoke ${id} once it is removed by hand.`,
      ]);
    case 'extension_approved':
      return msg(`${id} extended`, [
        `Your access to ${request.resource} now ends at ${'window' in request ? when(request.window.end) : 'later'}.`,
      ]);
    case 'extension_denied':
      return msg(`${id} extension denied`, [`Your extension of ${request.resource} was not approved; the access ends as planned.`]);
  }
}

export function revokeFailedNotice(request: AccessRequest): ChannelNotice {
  return {
    requestId: request.id,
    tone: 'alarm',
    title: `Revocation of ${request.id} is failing`,
    lines: buildDirectMessage('revoke_failed', request).lines,
  };
}

export function revokeRecoveredNotice(request: AccessRequest): ChannelNotice {
  return {
    requestId: request.id,
    tone: 'good',
    title: `Revocation of ${request.id} succeeded`,
    lines: [`The access of ${request.requester} to ${request.resource} is now removed.`],
  };
}

/** `detail` is "<person>: <message kind>" as the notification job recorded it. */
export function unreachableNotice(request: AccessRequest, detail: string): ChannelNotice {
  const [person = detail, kind = 'a message'] = detail.split(': ');
  return {
    requestId: request.id,
    tone: 'alarm',
    title: `jitbot cannot reach ${person}`,
    lines: [
      `The "${kind.replace(/_/g, ' ')}" message about ${request.id} (${request.resource}) could not be delivered to ${person} on any chat platform.`,
      `Add their ids under people.${person} in the policy, or ask them to open a chat with jitbot once.`,
    ],
  };
}

/** Why a grant failed when its credential is too large for one chat message (the requester's DM says it). */
export function secretTooLargeText(secretBytes: number, limit: { maxBytes: number; platform: string }): string {
  const kb = (bytes: number): string => `${Math.max(1, Math.ceil(bytes / 1024))} KB`;
  return `the credential is ${kb(secretBytes)}, more than ${limit.platform} can deliver whole in one message (${kb(limit.maxBytes)}); it was not sent and is being revoked. Ask an admin to have the issuer return a smaller credential`;
}
