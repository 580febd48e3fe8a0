import type { types } from '@slack/bolt';

export type KnownBlock = types.KnownBlock;
export type PlainText = types.PlainTextElement;
export type Mrkdwn = types.MrkdwnElement;
export type Button = types.Button;

/**
 * Slack's documented Block Kit limits (docs.slack.dev/reference/block-kit/…): every renderer stays
 * inside them, so Slack never answers `invalid_blocks` or `msg_too_long` because of what a user typed.
 */
export const LIMITS = {
  /** Blocks in one message; modals and the Home tab allow 100. */
  messageBlocks: 50,
  viewBlocks: 100,
  /** Text of a section block, and of any text object. */
  sectionText: 3000,
  /** One section field (at most 10 fields). */
  fieldText: 2000,
  headerText: 150,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  actionsElements: 25,
  contextElements: 10,
  /** Modal title, submit and close labels. */
  viewTitle: 24,
  privateMetadata: 3000,
  inputLabel: 2000,
  inputHint: 2000,
  placeholder: 150,
  inputMaxLength: 3000,
  selectOptions: 100,
  optionText: 75,
  optionDescription: 75,
  optionValue: 150,
  /** The top-level `text` of a message (the notification fallback); Slack truncates at 40 000. */
  fallbackText: 3000,
} as const;

export const TRUNCATED = '… (truncated)';

// C0/C1 controls except tab and newline, bidi overrides and isolates, the BOM: they hide or reorder
// text in a reader's view. The core strips them from reasons already; other text (issuer errors,
// policy descriptions) passes through here too.
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFEFF]/g;

/**
 * Makes text inert for Slack: `&`, `<` and `>` become entities, so `<!channel>`, `<@U…>` and
 * `<https://evil|x>` are shown as typed and never ping or link (api.slack.com "Escaping text").
 */
export function escapeText(text: string): string {
  return text.replace(HIDDEN, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escapes `text` and bounds the result to `max` UTF-16 units (what Slack counts is never more than
 * that), cutting only between code points and never inside an entity; "… (truncated)" marks a cut.
 */
export function fit(text: string, max: number): string {
  const escaped = escapeText(text);
  if (escaped.length <= max) return escaped;
  const budget = max - TRUNCATED.length;
  let out = '';
  for (const char of text.replace(HIDDEN, '')) {
    const piece = escapeText(char);
    if (out.length + piece.length > budget) break;
    out += piece;
  }
  return out + TRUNCATED;
}

/** Bounds text that is already safe mrkdwn (escaped pieces in a fixed template), cutting cleanly. */
export function bound(safe: string, max: number): string {
  if (safe.length <= max) return safe;
  let out = '';
  const budget = max - TRUNCATED.length;
  // Cut before an entity or a mention rather than through it.
  for (const token of safe.match(/&[a-z]+;|<[^>]*>|[\s\S]/gu) ?? []) {
    if (out.length + token.length > budget) break;
    out += token;
  }
  return out + TRUNCATED;
}

/** A plain_text object from raw text: escaped, bounded, never empty. Never parsed for formatting or mentions. */
export function plain(text: string, max: number = LIMITS.sectionText): PlainText {
  const value = fit(text, max);
  return { type: 'plain_text', text: value === '' ? ' ' : value, emoji: true };
}

/** A mrkdwn object from text the caller built from escaped pieces; `verbatim` stops auto-linking and mention parsing. */
export function markdown(safe: string, max: number = LIMITS.sectionText): Mrkdwn {
  const value = bound(safe, max);
  return { type: 'mrkdwn', text: value === '' ? ' ' : value, verbatim: true };
}

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,20}$/;

/** `<@U…>` for a valid Slack user id, otherwise the escaped name: the only mention jitbot ever writes. */
export function mention(slackId: string | undefined, fallbackName: string): string {
  return slackId !== undefined && SLACK_USER_ID.test(slackId) ? `<@${slackId}>` : escapeText(fallbackName);
}

export function header(text: string): KnownBlock {
  return { type: 'header', text: plain(text, LIMITS.headerText) };
}

export function section(text: PlainText | Mrkdwn, blockId?: string): KnownBlock {
  return { type: 'section', text, ...(blockId ? { block_id: blockId.slice(0, LIMITS.blockId) } : {}) };
}

export function context(text: PlainText | Mrkdwn): KnownBlock {
  return { type: 'context', elements: [text] };
}

export const divider: KnownBlock = { type: 'divider' };

export interface ButtonSpec {
  actionId: string;
  label: string;
  value: string;
  style?: 'primary' | 'danger';
}

export function button(spec: ButtonSpec): Button {
  return {
    type: 'button',
    action_id: spec.actionId.slice(0, LIMITS.actionId),
    text: plain(spec.label, LIMITS.buttonText),
    // A value is an id jitbot made; bound it anyway, a cut value simply fails to parse later.
    value: spec.value.slice(0, LIMITS.buttonValue),
    ...(spec.style ? { style: spec.style } : {}),
  };
}

export function actions(buttons: Button[], blockId?: string): KnownBlock {
  return { type: 'actions', elements: buttons.slice(0, LIMITS.actionsElements), ...(blockId ? { block_id: blockId.slice(0, LIMITS.blockId) } : {}) };
}

/** Keeps a message within the block budget; the last block says that some were left out. */
export function capBlocks(blocks: KnownBlock[], max: number): KnownBlock[] {
  if (blocks.length <= max) return blocks;
  return [...blocks.slice(0, max - 1), context(plain(`${blocks.length - max + 1} more part(s) left out to stay within Slack's limits.`))];
}
