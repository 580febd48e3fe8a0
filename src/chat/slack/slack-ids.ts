import type { ActionView } from '../../core/messages/views.js';

/** The `action_id` of each button; the button's `value` is the request id. */
export const ACTION_IDS = {
  approve: 'jit_approve',
  deny: 'jit_deny',
  cancel: 'jit_cancel',
  release: 'jit_release',
  extend: 'jit_extend',
} as const satisfies Record<ActionView['id'], string>;

/** The request form's resource select: choosing one re-renders the form with that resource's limits. */
export const RESOURCE_SELECT_ACTION = 'jit_form_resource';

/** `callback_id`s of jitbot's modals. */
export const CALLBACK_IDS = {
  requestForm: 'jit_request_form',
  denyForm: 'jit_deny_form',
  extendForm: 'jit_extend_form',
  notice: 'jit_notice',
} as const;

/** Block ids of modal inputs (the duration block id carries the resource so a new choice resets its value). */
export const BLOCK_IDS = {
  resource: 'resource',
  durationPrefix: 'duration',
  reason: 'reason',
} as const;

/** The input element ids inside those blocks. */
export const INPUT_IDS = {
  resource: RESOURCE_SELECT_ACTION,
  duration: 'jit_duration',
  reason: 'jit_reason',
} as const;
