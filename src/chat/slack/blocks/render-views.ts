import type { types } from '@slack/bolt';
import type { AccessRequest } from '../../../core/domain/access-request.js';
import { formatDuration } from '../../../core/domain/duration.js';
import { describeStatus } from '../../../core/domain/lifecycle.js';
import { formatTimestamp } from '../../../core/domain/timestamp.js';
import { approveAction, cancelAction, denyAction, extendAction, releaseAction } from '../../../core/messages/views.js';
import type { ResourceChoice } from '../../../core/services/handle-command.js';
import { BLOCK_IDS, CALLBACK_IDS, INPUT_IDS } from '../slack-ids.js';
import { LIMITS, capBlocks, context, divider, header, markdown, plain, section, type KnownBlock } from './block-kit.js';
import { renderButtons } from './render-messages.js';

export type ModalView = types.ModalView;
export type HomeView = types.HomeView;

const when = formatTimestamp;

/** What the Home tab shows one person. */
export interface HomeContent {
  /** Unset: the Slack user is not in the policy; the tab says how to get added. */
  person?: string;
  slackUserId: string;
  mine: AccessRequest[];
  waitingOnMe: AccessRequest[];
}

// Each list is bounded so the whole tab stays under Slack's 100 blocks.
const MAX_PER_LIST = 12;

/** The App Home tab: my active grants (Release / Extend), my pending requests (Cancel), requests waiting on me (Approve / Deny). */
export function renderHome(content: HomeContent): HomeView {
  const blocks: KnownBlock[] = [header('jitbot: just-in-time access')];
  if (content.person === undefined) {
    blocks.push(
      section(
        plain(`jitbot does not know you yet. Ask an admin to add your Slack user id ${content.slackUserId} under people in the jitbot policy.`),
      ),
    );
    return { type: 'home', blocks };
  }
  blocks.push(section(markdown('Type `/jit` to request access, `/jit help` for every command. This tab refreshes when something changes.')));

  const active = content.mine.filter((r) => r.status === 'active' || r.status === 'revoking' || r.status === 'revoke_failed');
  const pending = content.mine.filter((r) => r.status === 'pending' || r.status === 'approved' || r.status === 'issuing');
  const list = (title: string, items: AccessRequest[], empty: string, render: (r: AccessRequest) => KnownBlock[]): void => {
    blocks.push(divider, header(title));
    if (items.length === 0) {
      blocks.push(context(plain(empty)));
      return;
    }
    for (const request of items.slice(0, MAX_PER_LIST)) blocks.push(...render(request));
    if (items.length > MAX_PER_LIST) blocks.push(context(plain(`… and ${items.length - MAX_PER_LIST} more: /jit list shows them all.`)));
  };

  list('Your active access', active, 'No active access.', (r) => [
    section(plain(`${r.id} · ${r.resource} · ${r.status === 'active' ? `until ${when(r.window.end)}` : describeStatus(r)}`)),
    ...(r.status === 'active' && !r.pendingExtension ? renderButtons([extendAction(r.id), releaseAction(r.id)]) : []),
    ...(r.status === 'active' && r.pendingExtension ? renderButtons([releaseAction(r.id)]) : []),
  ]);
  list('Your pending requests', pending, 'Nothing pending.', (r) => [
    section(plain(`${r.id} · ${r.resource} for ${formatDuration(r.durationMs)} · ${describeStatus(r)}`)),
    ...(r.status === 'pending' ? renderButtons([cancelAction(r.id)]) : []),
  ]);
  list('Waiting on you', content.waitingOnMe, 'Nothing waits on you.', (r) => [
    section(
      plain(
        r.status === 'active' && r.pendingExtension
          ? `${r.id} · ${r.requester} asks to extend ${r.resource} by ${formatDuration(r.pendingExtension.durationMs)}: ${oneLine(r.pendingExtension.reason)}`
          : `${r.id} · ${r.requester} asks for ${r.resource} for ${formatDuration(r.durationMs)}: ${oneLine(r.reason)}`,
        600,
      ),
    ),
    ...renderButtons([approveAction(r.id), denyAction(r.id)]),
  ]);
  return { type: 'home', blocks: capBlocks(blocks, LIMITS.viewBlocks) };
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat === '' ? '(no reason given)' : flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

function title(text: string): types.PlainTextElement {
  return plain(text, LIMITS.viewTitle);
}

/** What jitbot keeps in a modal's private_metadata: where to answer, and what the modal is about. */
export interface ModalContext {
  /** The request a deny / extend modal is about. */
  requestId?: string;
  /** The interaction's response_url (up to 5 uses in 30 minutes): replies go there, ephemeral. */
  responseUrl?: string;
  /** The modal was opened from the Home tab: refresh it afterwards. */
  fromHome?: boolean;
}

export function encodeContext(context: ModalContext): string {
  const text = JSON.stringify(context);
  // A response_url is ~120 characters; drop it rather than exceed the limit.
  return text.length <= LIMITS.privateMetadata ? text : JSON.stringify({ requestId: context.requestId, fromHome: context.fromHome });
}

export function decodeContext(text: string | undefined): ModalContext {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    return {
      ...(typeof value.requestId === 'string' ? { requestId: value.requestId } : {}),
      ...(typeof value.responseUrl === 'string' && /^https?:\/\//.test(value.responseUrl) ? { responseUrl: value.responseUrl } : {}),
      ...(value.fromHome === true ? { fromHome: true } : {}),
    };
  } catch {
    return {};
  }
}

function limitsText(choice: ResourceChoice): string {
  return `${formatDuration(choice.minMs)} to ${formatDuration(choice.maxMs)}, default ${formatDuration(choice.defaultMs)}`;
}

function reasonHint(choice: ResourceChoice | undefined): string {
  if (!choice) return 'Some resources require a reason; some require a ticket in it.';
  const base = choice.reason === 'required' ? `${choice.name} requires a reason.` : `A reason is optional for ${choice.name}.`;
  return choice.ticket ? `${base} It must contain a ticket matching ${choice.ticket}, e.g. INC-7.` : base;
}

/** The block id of the duration input: it names the resource so choosing another resets the value to its default. */
export function durationBlockId(resource: string | undefined): string {
  return `${BLOCK_IDS.durationPrefix}:${resource ?? ''}`.slice(0, LIMITS.blockId);
}

/**
 * The request form behind `/jit`: a select of what this person may request (with descriptions and
 * limits), the duration with the resource's default, and the reason with its rules.
 */
export function renderRequestForm(choices: ResourceChoice[], selected: string | undefined, metadata: ModalContext): ModalView {
  const options = choices.slice(0, LIMITS.selectOptions).map((choice) => ({
    text: plain(choice.name, LIMITS.optionText),
    value: choice.name.slice(0, LIMITS.optionValue),
    description: plain(`${choice.description ? `${choice.description} · ` : ''}${limitsText(choice)}`, LIMITS.optionDescription),
  }));
  const chosen = choices.find((c) => c.name === selected);
  const initial = chosen ? options.find((o) => o.value === chosen.name) : undefined;
  const blocks: KnownBlock[] = [
    {
      type: 'input',
      block_id: BLOCK_IDS.resource,
      dispatch_action: true,
      label: plain('Resource', LIMITS.inputLabel),
      element: {
        type: 'static_select',
        action_id: INPUT_IDS.resource,
        placeholder: plain('Choose what you need', LIMITS.placeholder),
        options,
        ...(initial ? { initial_option: initial } : {}),
      },
      ...(chosen ? { hint: plain(`${chosen.description ? `${chosen.description}. ` : ''}Allowed: ${limitsText(chosen)}.`, LIMITS.inputHint) } : {}),
    },
    {
      type: 'input',
      block_id: durationBlockId(chosen?.name),
      optional: true,
      label: plain('Duration', LIMITS.inputLabel),
      element: {
        type: 'plain_text_input',
        action_id: INPUT_IDS.duration,
        placeholder: plain('e.g. 30m, 1h, 1h30m', LIMITS.placeholder),
        max_length: 40,
        ...(chosen ? { initial_value: formatDuration(chosen.defaultMs) } : {}),
      },
      hint: plain(chosen ? `${limitsText(chosen)}. Empty means the default.` : 'Empty means the resource’s default.', LIMITS.inputHint),
    },
    {
      type: 'input',
      block_id: BLOCK_IDS.reason,
      optional: chosen?.reason !== 'required',
      label: plain('Reason', LIMITS.inputLabel),
      element: {
        type: 'plain_text_input',
        action_id: INPUT_IDS.reason,
        multiline: true,
        max_length: LIMITS.inputMaxLength,
        placeholder: plain(chosen?.ticket ? 'e.g. fixing INC-7' : 'Why do you need it?', LIMITS.placeholder),
      },
      hint: plain(reasonHint(chosen), LIMITS.inputHint),
    },
  ];
  if (choices.length > LIMITS.selectOptions) {
    blocks.push(context(plain(`Only the first ${LIMITS.selectOptions} resources are listed; /jit request <resource> <duration> <reason> works for all.`)));
  }
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.requestForm,
    title: title('Request access'),
    submit: title('Request'),
    close: title('Cancel'),
    private_metadata: encodeContext(metadata),
    blocks,
  };
}

/** Deny asks for a reason, which the requester will see. */
export function renderDenyForm(request: AccessRequest | undefined, requestId: string, metadata: ModalContext): ModalView {
  const about = request
    ? request.status === 'active' && request.pendingExtension
      ? `${request.requester} asks to extend ${request.resource} by ${formatDuration(request.pendingExtension.durationMs)}.`
      : `${request.requester} asks for ${request.resource} for ${formatDuration(request.durationMs)}.`
    : `Request ${requestId}.`;
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.denyForm,
    title: title(`Deny ${requestId}`),
    submit: title('Deny'),
    close: title('Back'),
    private_metadata: encodeContext({ ...metadata, requestId }),
    blocks: [
      section(plain(`${about} The requester will see your reason.`)),
      {
        type: 'input',
        block_id: BLOCK_IDS.reason,
        label: plain('Reason', LIMITS.inputLabel),
        element: {
          type: 'plain_text_input',
          action_id: INPUT_IDS.reason,
          multiline: true,
          max_length: LIMITS.inputMaxLength,
          placeholder: plain('Why not?', LIMITS.placeholder),
        },
      },
    ],
  };
}

/** Extend asks for how much longer and why; the same approvers decide. */
export function renderExtendForm(request: AccessRequest | undefined, requestId: string, metadata: ModalContext): ModalView {
  const about = request?.status === 'active' ? `${request.resource} is yours until ${when(request.window.end)}.` : `Request ${requestId}.`;
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.extendForm,
    title: title(`Extend ${requestId}`),
    submit: title('Ask'),
    close: title('Back'),
    private_metadata: encodeContext({ ...metadata, requestId }),
    blocks: [
      section(plain(`${about} The same approvers decide an extension.`)),
      {
        type: 'input',
        block_id: durationBlockId(undefined),
        label: plain('How much longer', LIMITS.inputLabel),
        element: {
          type: 'plain_text_input',
          action_id: INPUT_IDS.duration,
          placeholder: plain('e.g. 15m, 30m, 1h', LIMITS.placeholder),
          max_length: 40,
        },
      },
      {
        type: 'input',
        block_id: BLOCK_IDS.reason,
        optional: true,
        label: plain('Reason', LIMITS.inputLabel),
        element: {
          type: 'plain_text_input',
          action_id: INPUT_IDS.reason,
          multiline: true,
          max_length: LIMITS.inputMaxLength,
        },
      },
    ],
  };
}

/** A small modal that only says something: how a click from the Home tab (no response_url) is answered. */
export function renderNoticeModal(text: string): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.notice,
    title: title('jitbot'),
    close: title('OK'),
    blocks: [section(plain(text))],
  };
}

/** An inline error under a modal input (view_submission `response_action: errors`). */
export function inputError(text: string): string {
  // The text is shown as plain text under the input; keep it short.
  return text.length > 300 ? `${text.slice(0, 297)}…` : text;
}

