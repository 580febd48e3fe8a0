import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { parseRequestId } from '../../../core/domain/access-request.js';
import { commandReply } from '../../../core/messages/command-replies.js';
import { failureText, fromHome, identify, reply, replyTargetOf, type InteractionBody, type SlackDeps } from './interaction.js';

/**
 * A button that does exactly what a typed command does (`/jit approve JIT-42`): acknowledge at once,
 * then run the same typed command as the clicker and answer privately with its rendered outcome, or
 * why not ("JIT-42 is already denied by bob, so it cannot be approved now.").
 */
export function registerCommandButton(app: App, deps: SlackDeps, actionId: string, verb: 'approve' | 'cancel' | 'release'): void {
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: actionId }, async ({ ack, body, action }) => {
    await ack();
    const target = replyTargetOf(body as InteractionBody);
    const who = identify(deps.core, target.slackUserId);
    if ('refusal' in who) return reply(deps, target, who.refusal);
    const id = parseRequestId(action.value ?? '');
    if (!id) return reply(deps, target, 'That button does not name a request; use /jit list.');
    try {
      await reply(deps, target, commandReply(await deps.core[verb](who.actor, id)));
    } catch (error) {
      await reply(deps, target, failureText(error, deps.log));
    }
    if (fromHome(body as InteractionBody)) deps.home.refresh([target.slackUserId]);
  });
}
