import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { parseRequestId } from '../../../core/domain/access-request.js';
import { notApplicableMessage } from '../../../core/domain/lifecycle.js';
import { renderDenyForm } from '../blocks/render-views.js';
import { ACTION_IDS } from '../slack-ids.js';
import { failureText, formContextOf, identify, openFormOrSayCommand, reply, replyTargetOf, type InteractionBody, type SlackDeps } from './interaction.js';

/**
 * Deny asks for a reason: the click opens a small modal (views.open, inside the trigger's 3 seconds).
 * A click that could not succeed (stale card, not an approver, own request) is answered at once instead.
 */
export function registerDenyClicked(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTION_IDS.deny }, async ({ ack, body, action }) => {
    await ack();
    const target = replyTargetOf(body as InteractionBody);
    const who = identify(deps.core, target.slackUserId);
    if ('refusal' in who) return reply(deps, target, who.refusal);
    const id = parseRequestId(action.value ?? '');
    if (!id) return reply(deps, target, 'That button does not name a request; use /jit list.');
    try {
      const request = await deps.core.findRequest(id);
      if (!request) return reply(deps, target, `There is no request ${id}.`);
      const live = request.status === 'pending' || (request.status === 'active' && request.pendingExtension !== undefined);
      if (!live) return reply(deps, target, notApplicableMessage(request, 'deny'));
      deps.core.checkMayDecide(who.actor.person, request);
      await openFormOrSayCommand(deps, target, renderDenyForm(request, id, formContextOf(target, body as InteractionBody)), `/jit deny ${id} <reason>`, 'deny');
    } catch (error) {
      return reply(deps, target, failureText(error, deps.log));
    }
  });
}
