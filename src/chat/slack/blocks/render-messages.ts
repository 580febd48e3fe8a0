import type { ActionView, CardView, ChannelNotice, DirectMessage, Tone } from '../../../core/messages/views.js';
import { ACTION_IDS } from '../slack-ids.js';
import {
  LIMITS,
  actions,
  button,
  capBlocks,
  context,
  escapeText,
  fit,
  header,
  markdown,
  mention,
  plain,
  section,
  type KnownBlock,
} from './block-kit.js';

/** A message ready for chat.postMessage / chat.update: blocks plus the notification fallback text. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** Looks up a policy person's Slack user id, for mentions. */
export type SlackIdOf = (person: string) => string | undefined;

const TONE_EMOJI: Record<Tone, string> = {
  waiting: ':hourglass_flowing_sand:',
  good: ':white_check_mark:',
  bad: ':no_entry:',
  alarm: ':rotating_light:',
  neutral: ':information_source:',
};

export function renderButtons(views: readonly ActionView[]): KnownBlock[] {
  if (views.length === 0) return [];
  return [
    actions(
      views.map((view) =>
        button({ actionId: ACTION_IDS[view.id], label: view.label, value: view.requestId, ...(view.style ? { style: view.style } : {}) }),
      ),
    ),
  ];
}

/**
 * The approval card: requester (a mention), resource and description, duration, reason, approvals
 * (N of M, who), status, and buttons only while the request is live. Every piece of user or policy
 * text is escaped; user text sits in plain_text objects, which Slack never formats.
 */
export function renderCard(card: CardView, slackIdOf: SlackIdOf): SlackMessage {
  const facts = [
    `*Requester:* ${mention(slackIdOf(card.requester), card.requester)}`,
    `*Resource:* ${fit(card.resource, 200)}${card.resourceDescription ? ` (${fit(card.resourceDescription, 1000)})` : ''}`,
    `*Duration:* ${fit(card.duration, 100)}`,
    `*Approvals:* ${fit(card.approvals, 1000)}`,
  ].join('\n');
  const blocks: KnownBlock[] = [
    header(card.title),
    section(markdown(facts)),
    section(markdown('*Reason:*')),
    section(plain(card.reason.trim() === '' ? '(none given)' : card.reason)),
    section(plain(`${TONE_EMOJI[card.tone]} ${card.status}`)),
    ...renderButtons(card.actions),
    context(markdown(`${escapeText(card.requestId)} · jitbot`)),
  ];
  return { text: fit(card.title, LIMITS.fallbackText), blocks: capBlocks(blocks, LIMITS.messageBlocks) };
}

// A secret longer than one section is split over several rather than cut: it must arrive whole.
const SECRET_CHUNK = LIMITS.sectionText - 10;
const MAX_SECRET_SECTIONS = LIMITS.messageBlocks - 12;

/**
 * The most of a DM a secret may take, escaped as sent. Slack documents no single size limit for a
 * message of blocks; this one is kept far inside what the block limits allow (38 sections of 2990
 * characters) and is the same as Teams', so a credential either arrives whole on both or fails on both.
 */
export const MAX_SECRET_BYTES = 28 * 1024;

/** A secret as it goes into the DM's code blocks: escaped, and never closing the block early. */
export function secretAsSent(value: string): string {
  return escapeText(value).replace(/```/g, '`\u200b``');
}

/** Thrown when a secret would not fit whole: it is never cut. */
export class SecretTooLargeError extends Error {
  override readonly name = 'SecretTooLargeError';
}

/** A DM: title, lines, the issued secret (in this DM only, in a code block) and buttons. */
export function renderDirectMessage(message: DirectMessage): SlackMessage {
  const blocks: KnownBlock[] = [header(message.title)];
  if (message.lines.length > 0) blocks.push(section(plain(message.lines.join('\n'))));
  if (message.secret) {
    blocks.push(section(markdown(`*${fit(message.secret.label, 200)}* (shown only here):`)));
    const escaped = secretAsSent(message.secret.value);
    const chunks: string[] = [];
    for (let at = 0; at < escaped.length; ) {
      if (chunks.length === MAX_SECRET_SECTIONS) throw new SecretTooLargeError(`the secret of ${message.requestId} does not fit in one Slack message`);
      // Never cut through an entity.
      let end = Math.min(escaped.length, at + SECRET_CHUNK);
      const amp = escaped.lastIndexOf('&', end);
      if (end < escaped.length && amp > at && escaped.indexOf(';', amp) >= end) end = amp;
      chunks.push(escaped.slice(at, end));
      at = end;
    }
    for (const chunk of chunks) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${chunk}\`\`\``, verbatim: true } });
  }
  blocks.push(...renderButtons(message.actions));
  if (message.secret && blocks.length > LIMITS.messageBlocks) throw new SecretTooLargeError(`the secret of ${message.requestId} does not fit in one Slack message`);
  return { text: fit(message.title, LIMITS.fallbackText), blocks: capBlocks(blocks, LIMITS.messageBlocks) };
}

/** A one-off channel notice (a revocation failing, or recovered). */
export function renderNotice(notice: ChannelNotice): SlackMessage {
  const blocks: KnownBlock[] = [header(`${notice.tone === 'alarm' ? ':rotating_light: ' : ''}${notice.title}`)];
  if (notice.lines.length > 0) blocks.push(section(plain(notice.lines.join('\n'))));
  return { text: fit(notice.title, LIMITS.fallbackText), blocks };
}

/** Text for an ephemeral reply or a response_url message: escaped, bounded. */
export function replyText(text: string): string {
  return fit(text, 3900);
}
