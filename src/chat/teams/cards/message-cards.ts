import type { ChannelNotice, DirectMessage } from '../../../core/messages/views.js';
import { card, execute, notice, text, toneColor, verbatim, type AdaptiveCard, type CardElement } from './adaptive-card.js';
import { actionButton, type ViewerNotice } from './approval-card.js';

const DM_TONE: Record<DirectMessage['kind'], 'waiting' | 'good' | 'bad' | 'alarm' | 'neutral'> = {
  received: 'waiting',
  active: 'good',
  denied: 'bad',
  expiring: 'waiting',
  ended: 'neutral',
  failed: 'alarm',
  timed_out: 'neutral',
  reannounce: 'waiting',
  revoke_failed: 'alarm',
  extension_approved: 'good',
  extension_denied: 'bad',
};

/** A direct message (requester or approver) as a card; its buttons act on the request. */
export function directMessageCard(message: DirectMessage, options: { notice?: ViewerNotice } = {}): AdaptiveCard {
  const body: CardElement[] = [];
  if (options.notice) body.push(notice(options.notice.text, options.notice.kind));
  body.push(text(message.title, { weight: 'Bolder', size: 'Medium', color: toneColor(DM_TONE[message.kind]) }));
  for (const line of message.lines.slice(0, 30)) body.push(text(line));
  if (message.secret) {
    body.push(text(message.secret.label, { weight: 'Bolder' }));
    body.push(verbatim(message.secret.value));
  }
  const actions = message.actions.map((action) => actionButton(message.requestId, action));
  return card(body, actions);
}

/** The form behind a DM's Extend button: how much longer, and why. */
export function extendFormCard(requestId: string, options: { duration?: string; reason?: string; error?: string } = {}): AdaptiveCard {
  const body: CardElement[] = [text(`Extend ${requestId}`, { weight: 'Bolder', size: 'Medium' })];
  if (options.error) body.push(notice(options.error, 'attention'));
  body.push(
    {
      type: 'Input.Text',
      id: 'duration',
      label: 'How much longer (e.g. 30m, 1h)',
      isRequired: true,
      regex: DURATION_PATTERN,
      maxLength: 20,
      errorMessage: 'A duration like 30m, 1h or 1h30m.',
      ...(options.duration ? { value: options.duration } : {}),
    },
    { type: 'Input.Text', id: 'reason', label: 'Why', isMultiline: true, maxLength: 3000, ...(options.reason ? { value: options.reason } : {}) },
  );
  return card(body, [
    execute('Ask for more time', { jitbot: 1, verb: 'extendSubmit', requestId }, { style: 'positive', inputs: 'auto' }),
    execute('Back', { jitbot: 1, verb: 'refresh', requestId }),
  ]);
}

/** A one-off notice in an approvers' channel (a revocation failing, someone jitbot cannot reach). */
export function channelNoticeCard(value: ChannelNotice): AdaptiveCard {
  return card([text(value.title, { weight: 'Bolder', size: 'Medium', color: toneColor(value.tone) }), ...value.lines.slice(0, 30).map((line) => text(line))]);
}

/** jitbot's answer to something a person typed (only they see it): one block per line. */
export function replyCard(lines: string[], ok: boolean): AdaptiveCard {
  const [first = '', ...rest] = lines;
  return card([text(first, ok ? {} : { color: 'Attention', weight: 'Bolder' }), ...rest.slice(0, 60).map((line) => text(line))]);
}

/** Sent once when someone installs the app for themselves. */
export function welcomeCard(): AdaptiveCard {
  return card([
    text('jitbot: just-in-time access to CI/CD', { weight: 'Bolder', size: 'Medium' }),
    text('Ask for access to a resource for a while, with a reason; approvers decide in their channel; the access ends on time.'),
    text('Send "request" for the request form, "request <resource> <duration> <reason>" to ask directly, "list" for your requests, "help" for every command.'),
  ]);
}

/** A duration as typed: `45s`, `30m`, `2h`, `1d`, `1h30m` (the core checks the range). */
export const DURATION_PATTERN = '^\\s*(\\d{1,6}d)?(\\d{1,6}h)?(\\d{1,6}m)?(\\d{1,6}s)?\\s*$';
