import type { CommandOutcome, ExtendOutcome, RequestOutcome } from '../domain/command-outcome.js';
import { formatDuration } from '../domain/duration.js';
import { formatTimestamp } from '../domain/timestamp.js';

/**
 * The private answer to the person who ran a command, typed or clicked, on every platform. Each
 * sentence is written here once; adapters only escape and format it.
 */
export function commandReply(outcome: CommandOutcome): string {
  const { request } = outcome;
  const id = request.id;
  switch (outcome.kind) {
    case 'requested':
      return `${id}: requested ${about(outcome)}; waiting for ${outcome.approvalsNeeded} approval(s). You will get a DM when it is decided.`;
    case 'auto_approved':
      return `${id}: ${about(outcome)} was approved by policy; access is being issued and will arrive by DM.`;
    case 'approved':
      return `You approved ${id}; access is being issued to ${request.requester}.`;
    case 'extension_approved':
      return `You approved the extension of ${id}; ${endsAt(outcome.endsAt)}.`;
    case 'approval_added':
      return `You approved ${id}; it needs ${outcome.stillNeeded} more approval(s).`;
    case 'denied':
      return `You denied ${id}.`;
    case 'extension_denied':
      return `You denied the extension of ${id}.`;
    case 'cancelled':
      return `${id} is cancelled.`;
    case 'released':
      return `${id}: your access is being revoked now.`;
    case 'revoke_started':
      return `${id}: access of ${request.requester} is being revoked now.`;
    case 'revoke_resolved':
      return `${id} is closed as revoked.`;
    case 'extension_requested':
      return `${id}: extension of ${formatDuration(outcome.durationMs)} requested; approvers have been asked.`;
    case 'extended':
      return `${id} extended; ${endsAt(outcome.endsAt)}.`;
  }
}

/**
 * The lines of a Teams card that answers a form. The card already names the request, and messages
 * arrive in the same chat, so these say "here" where `commandReply` says "by DM".
 */
export function formReplyLines(outcome: RequestOutcome | ExtendOutcome): string[] {
  switch (outcome.kind) {
    case 'requested':
      return [`${outcome.request.id}: requested ${about(outcome)}.`, `Waiting for ${outcome.approvalsNeeded} approval(s); you will get a message here when it is decided.`];
    case 'auto_approved':
      return [`${outcome.request.id}: ${about(outcome)} was approved by policy.`, 'The access is being issued and will arrive here.'];
    case 'extension_requested':
      return [`Extension of ${formatDuration(outcome.durationMs)} requested; the approvers have been asked.`];
    case 'extended':
      return [commandReply(outcome)];
  }
}

function about(outcome: RequestOutcome): string {
  return `${outcome.request.resource} for ${formatDuration(outcome.request.durationMs)}`;
}

function endsAt(end: number | undefined): string {
  return `it now ends at ${end === undefined ? 'later' : formatTimestamp(end)}`;
}
