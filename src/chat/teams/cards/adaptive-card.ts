import type { Tone } from '../../../core/messages/views.js';
import type { OutboundActivity } from '../teams-connection.js';
import { escapeCardText, MAX_LINE } from './card-text.js';

/** An Adaptive Card element or action, as JSON. */
export type CardElement = Record<string, unknown>;

/** An Adaptive Card (schema 1.5: Universal Actions with Action.Execute and `refresh`). */
export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: string;
  version: '1.5';
  body: CardElement[];
  actions?: CardElement[];
  refresh?: { action: CardElement; userIds?: string[] };
  msteams?: { width: 'Full' };
}

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/**
 * The data every jitbot card action carries. `verb` repeats Action.Execute's verb so the Action.Submit
 * fallback of old clients (a message whose `value` is this data) is understood the same way.
 */
export interface ActionData {
  jitbot: 1;
  verb: CardVerb;
  requestId?: string;
}

export const CARD_VERBS = ['refresh', 'approve', 'deny', 'denySubmit', 'cancel', 'release', 'extend', 'extendSubmit', 'requestSubmit'] as const;
export type CardVerb = (typeof CARD_VERBS)[number];

export function card(body: CardElement[], actions: CardElement[] = [], refresh?: AdaptiveCard['refresh']): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body,
    ...(actions.length ? { actions } : {}),
    ...(refresh ? { refresh } : {}),
    msteams: { width: 'Full' },
  };
}

/** A message activity carrying one card (and a plain-text summary for notifications and screen readers). */
export function cardMessage(content: AdaptiveCard, summary: string): OutboundActivity {
  return { type: 'message', summary: summary.slice(0, 200), attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content }] };
}

export function toneColor(tone: Tone): string {
  switch (tone) {
    case 'waiting':
      return 'Accent';
    case 'good':
      return 'Good';
    case 'bad':
    case 'alarm':
      return 'Attention';
    case 'neutral':
      return 'Default';
  }
}

/** A TextBlock of jitbot text that may quote user text: always escaped. */
export function text(value: string, options: { weight?: 'Bolder'; size?: 'Medium' | 'Large' | 'Small'; color?: string; subtle?: boolean; max?: number } = {}): CardElement {
  return {
    type: 'TextBlock',
    text: escapeCardText(value, options.max ?? MAX_LINE),
    wrap: true,
    ...(options.weight ? { weight: options.weight } : {}),
    ...(options.size ? { size: options.size } : {}),
    ...(options.color ? { color: options.color } : {}),
    ...(options.subtle ? { isSubtle: true } : {}),
  };
}

/** A highlighted box for a message addressed to the one person who sees this view. */
export function notice(message: string, kind: 'good' | 'attention' | 'warning' | 'accent'): CardElement {
  return {
    type: 'Container',
    style: kind === 'accent' ? 'emphasis' : kind,
    items: [text(message, { color: kind === 'accent' ? 'Accent' : kind === 'good' ? 'Good' : kind === 'warning' ? 'Warning' : 'Attention', weight: 'Bolder' })],
  };
}

/** Text shown exactly as is (a secret to copy): a RichTextBlock's TextRun is never read as Markdown. */
export function verbatim(value: string): CardElement {
  return { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: value, fontType: 'Monospace' }] };
}

/**
 * An Action.Execute (Universal Actions), with an Action.Submit fallback for clients that predate them.
 * `associatedInputs: 'auto'` sends (and validates) the card's inputs; 'none' sends only the data.
 */
export function execute(
  title: string,
  data: ActionData & Record<string, unknown>,
  options: { style?: 'positive' | 'destructive'; inputs?: 'auto' | 'none' } = {},
): CardElement {
  const common = { title, data, ...(options.style ? { style: options.style } : {}), associatedInputs: options.inputs ?? 'none' };
  return {
    type: 'Action.Execute',
    verb: data.verb,
    ...common,
    fallback: { type: 'Action.Submit', ...common },
  };
}
