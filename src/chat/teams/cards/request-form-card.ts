import { formatDuration } from '../../../core/domain/duration.js';
import type { ResourceChoice } from '../../../core/services/handle-command.js';
import { card, execute, notice, text, type AdaptiveCard, type CardElement } from './adaptive-card.js';
import { clip } from './card-text.js';
import { DURATION_PATTERN } from './message-cards.js';

/** What the person had entered, to keep it when the form comes back with an error. */
export interface RequestFormValues {
  resource?: string;
  duration?: string;
  reason?: string;
}

/** Teams shows at most this many choices comfortably; the policy rarely has more for one person. */
const MAX_CHOICES = 100;

/**
 * The request form (`request` or `/jit` with no arguments): only the resources this person may request,
 * a duration (empty means the resource's default), and a reason. Client-side validation mirrors the
 * server's; the server checks everything again and sends the form back with the error.
 */
export function requestFormCard(choices: readonly ResourceChoice[], values: RequestFormValues = {}, error?: string): AdaptiveCard {
  const shown = choices.slice(0, MAX_CHOICES);
  const only = shown.length === 1 ? shown[0] : undefined;
  const chosen = shown.find((c) => c.name === values.resource) ?? only;
  const needReason = shown.filter((c) => c.reason === 'required').map((c) => c.name);
  const body: CardElement[] = [text('Request access', { weight: 'Bolder', size: 'Medium' })];
  if (error) body.push(notice(error, 'attention'));
  body.push({
    type: 'Input.ChoiceSet',
    id: 'resource',
    label: 'Resource',
    style: 'compact',
    isRequired: true,
    errorMessage: 'Choose a resource.',
    choices: shown.map((c) => ({
      title: clip(`${c.name}${c.description ? `: ${c.description}` : ''} (${formatDuration(c.minMs)} to ${formatDuration(c.maxMs)}, default ${formatDuration(c.defaultMs)})`, 200),
      value: c.name,
    })),
    ...(chosen ? { value: chosen.name } : {}),
  });
  body.push({
    type: 'Input.Text',
    id: 'duration',
    label: chosen ? `Duration (default ${formatDuration(chosen.defaultMs)})` : 'Duration (empty: the resource\'s default)',
    placeholder: 'e.g. 30m, 1h, 1h30m',
    regex: DURATION_PATTERN,
    maxLength: 20,
    errorMessage: 'A duration like 30m, 1h or 1h30m.',
    value: values.duration ?? (chosen ? formatDuration(chosen.defaultMs) : ''),
  });
  body.push({
    type: 'Input.Text',
    id: 'reason',
    label: needReason.length === 0 ? 'Reason (optional)' : needReason.length === shown.length ? 'Reason' : `Reason (required for ${clip(needReason.join(', '), 150)})`,
    isMultiline: true,
    maxLength: 3000,
    placeholder: 'e.g. fixing INC-7',
    ...(needReason.length === shown.length && shown.length > 0 ? { isRequired: true, errorMessage: 'Give a reason.' } : {}),
    ...(values.reason ? { value: values.reason } : {}),
  });
  const tickets = shown.filter((c) => c.ticket).map((c) => `${c.name}: ${c.ticket}`);
  if (tickets.length) body.push(text(`The reason must name a ticket for ${tickets.join('; ')}.`, { subtle: true, max: 400 }));
  return card(body, [execute('Request', { jitbot: 1, verb: 'requestSubmit' }, { style: 'positive', inputs: 'auto' })]);
}
