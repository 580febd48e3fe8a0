import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { parseRequestId } from '../../../core/domain/access-request.js';
import { notApplicableMessage } from '../../../core/domain/lifecycle.js';
import { checkMayApprove } from '../../../core/policy/evaluate-policy.js';
import { renderDenyForm } from '../blocks/render-views.js';
import { ACTION_IDS } from '../slack-ids.js';
import { slackErrorCode } from '../slack-web-client.js';
import { failureText, fromHome, identify, reply, replyTargetOf, type InteractionBody, type SlackDeps } from './interaction.js';

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
      const request = await deps.core.deps.store.get(id);
      if (!request) return reply(deps, target, `There is no request ${id}.`);
      const live = request.status === 'pending' || (request.status === 'active' && request.pendingExtension !== undefined);
      if (!live) return reply(deps, target, notApplicableMessage(request, 'deny'));
      checkMayApprove(deps.core.deps.policy(), request.resource, who.actor.person, request.requester);
      const { triggerId, ...rest } = target;
      if (!triggerId) return reply(deps, rest, `Use /jit deny ${id} <reason>.`);
      await deps.client.views.open({
        trigger_id: triggerId,
        view: renderDenyForm(request, id, { ...(target.responseUrl ? { responseUrl: target.responseUrl } : {}), ...(fromHome(body as InteractionBody) ? { fromHome: true } : {}) }),
      });
    } catch (error) {
      if (slackErrorCode(error) !== 'unknown') {
        deps.log.warn({ error: slackErrorCode(error) }, 'could not open the deny form');
        return reply(deps, { ...target, triggerId: '' }, `Slack did not open the form in time; type /jit deny ${id} <reason> instead.`);
      }
      return reply(deps, target, failureText(error, deps.log));
    }
  });
}
