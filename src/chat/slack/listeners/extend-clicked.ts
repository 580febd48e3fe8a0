import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { parseRequestId } from '../../../core/domain/access-request.js';
import { notApplicableMessage } from '../../../core/domain/lifecycle.js';
import { renderExtendForm } from '../blocks/render-views.js';
import { ACTION_IDS } from '../slack-ids.js';
import { failureText, formContextOf, identify, openFormOrSayCommand, reply, replyTargetOf, type InteractionBody, type SlackDeps } from './interaction.js';

/** Extend (on the expiring-soon DM or the Home tab) opens a modal asking how much longer and why. */
export function registerExtendClicked(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTION_IDS.extend }, async ({ ack, body, action }) => {
    await ack();
    const target = replyTargetOf(body as InteractionBody);
    const who = identify(deps.core, target.slackUserId);
    if ('refusal' in who) return reply(deps, target, who.refusal);
    const id = parseRequestId(action.value ?? '');
    if (!id) return reply(deps, target, 'That button does not name a request; use /jit list.');
    try {
      const request = await deps.core.findRequest(id);
      if (!request) return reply(deps, target, `There is no request ${id}.`);
      if (request.requester !== who.actor.person) return reply(deps, target, `Only ${request.requester}, who asked for ${id}, may extend it.`);
      if (request.status !== 'active') return reply(deps, target, notApplicableMessage(request, 'request_extension'));
      if (request.pendingExtension) return reply(deps, target, `${id} already has an extension waiting for approval.`);
      await openFormOrSayCommand(deps, target, renderExtendForm(request, id, formContextOf(target, body as InteractionBody)), `/jit extend ${id} <duration> <reason>`, 'extend');
    } catch (error) {
      return reply(deps, target, failureText(error, deps.log));
    }
  });
}
