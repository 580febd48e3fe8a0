import type { ActionView, CardView } from '../../../core/messages/views.js';
import { MAX_USER_TEXT } from './card-text.js';
import { card, execute, notice, text, toneColor, type AdaptiveCard, type CardElement } from './adaptive-card.js';
import { escapeCardText } from './card-text.js';

/** A message to the one person who sees this view of the card (never shown to others). */
export interface ViewerNotice {
  text: string;
  kind: 'good' | 'attention' | 'warning' | 'accent';
}

export interface ApprovalCardOptions {
  /** The buttons this viewer may use: none on the base card everyone sees. */
  actions?: readonly ActionView[];
  notice?: ViewerNotice;
  /**
   * Bot Framework user ids (`29:…`) of the approvers whose Teams clients fetch their own view through
   * `refresh` (at most 60). Omitted once nothing is left to decide.
   */
  refreshUserIds?: readonly string[];
  /** Show the deny form: a reason input and a confirm button instead of Approve/Deny. */
  denyForm?: { reason?: string; error?: string };
}

/** Teams shows per-user views for at most 60 users of one card. */
export const MAX_REFRESH_USERS = 60;

/**
 * The approval card of one request (Adaptive Card 1.5). The base card, posted to the channel and
 * updated at every change, has no buttons; approvers' clients refresh it into their own view with
 * Approve and Deny (Universal Actions user-specific views), so others only ever see the status.
 */
export function approvalCard(view: CardView, options: ApprovalCardOptions = {}): AdaptiveCard {
  const body: CardElement[] = [];
  if (options.notice) body.push(notice(options.notice.text, options.notice.kind));
  body.push(text(view.title, { weight: 'Bolder', size: 'Medium', color: toneColor(view.tone) }));
  body.push({
    type: 'FactSet',
    facts: [
      { title: 'Requester', value: escapeCardText(view.requester, 100) },
      { title: 'Resource', value: escapeCardText(view.resourceDescription ? `${view.resource}: ${view.resourceDescription}` : view.resource, 300) },
      { title: 'Duration', value: escapeCardText(view.duration, 50) },
      { title: 'Reason', value: view.reason ? escapeCardText(view.reason, MAX_USER_TEXT) : '(none given)' },
      { title: 'Approvals', value: escapeCardText(view.approvals, 300) },
    ],
  });
  body.push(text(view.status, { color: toneColor(view.tone) }));

  const live = view.actions.length > 0;
  const actions: CardElement[] = [];
  if (options.denyForm) {
    if (options.denyForm.error) body.push(notice(options.denyForm.error, 'attention'));
    body.push({
      type: 'Input.Text',
      id: 'reason',
      label: `Why deny ${view.requestId}? ${view.requester} will see this.`,
      isMultiline: true,
      isRequired: true,
      maxLength: 3000,
      errorMessage: 'Say why, so the requester knows.',
      placeholder: 'e.g. not during the release freeze',
      ...(options.denyForm.reason ? { value: options.denyForm.reason } : {}),
    });
    actions.push(execute(`Deny ${view.requestId}`, { jitbot: 1, verb: 'denySubmit', requestId: view.requestId }, { style: 'destructive', inputs: 'auto' }));
    actions.push(execute('Back', { jitbot: 1, verb: 'refresh', requestId: view.requestId }));
  } else {
    for (const action of options.actions ?? []) actions.push(actionButton(view.requestId, action));
    if (live && actions.length === 0 && !options.notice) {
      body.push(
        text(`Approvers see Approve and Deny here (or choose Refresh in this card's menu, or send "approve ${view.requestId}" to jitbot).`, {
          subtle: true,
        }),
      );
    }
  }
  const userIds = (options.refreshUserIds ?? []).slice(0, MAX_REFRESH_USERS);
  const refresh =
    live && userIds.length > 0
      ? { action: { type: 'Action.Execute', title: 'Refresh', verb: 'refresh', data: { jitbot: 1, verb: 'refresh', requestId: view.requestId } }, userIds: [...userIds] }
      : undefined;
  return card(body, actions, refresh);
}

/** The Action.Execute for one of the core's actions (Deny and Extend open a form first). */
export function actionButton(requestId: string, action: ActionView): CardElement {
  const data = { jitbot: 1 as const, requestId };
  switch (action.id) {
    case 'approve':
      return execute(action.label, { ...data, verb: 'approve' }, { style: 'positive' });
    case 'deny':
      return execute(action.label, { ...data, verb: 'deny' }, { style: 'destructive' });
    case 'release':
      return execute(action.label, { ...data, verb: 'release' }, { style: 'destructive' });
    case 'extend':
      return execute(action.label, { ...data, verb: 'extend' }, { style: 'positive' });
    case 'cancel':
      return execute(action.label, { ...data, verb: 'cancel' });
  }
}
