import type { App } from '@slack/bolt';
import { parseRequestId } from '../../../core/domain/access-request.js';
import { commandReply } from '../../../core/messages/command-replies.js';
import { normalizeReason } from '../../../core/domain/reason.js';
import { decodeContext, inputError } from '../blocks/render-views.js';
import { BLOCK_IDS, CALLBACK_IDS, INPUT_IDS } from '../slack-ids.js';
import { failureText, identify, reply, type SlackDeps } from './interaction.js';

/** The deny modal's submit: the reason is checked inline, then the denial runs after the ack. */
export function registerDenyFormSubmitted(app: App, deps: SlackDeps): void {
  app.view(CALLBACK_IDS.denyForm, async ({ ack, body, view }) => {
    const context = decodeContext(view.private_metadata);
    const slackUserId = body.user.id;
    const target = { slackUserId, ...(context.responseUrl ? { responseUrl: context.responseUrl } : {}) };
    const who = identify(deps.core, slackUserId);
    const id = parseRequestId(context.requestId ?? '');
    if ('refusal' in who || !id) {
      await ack();
      return reply(deps, target, 'refusal' in who ? who.refusal : 'This form lost track of its request; use /jit deny <id> <reason>.');
    }
    let reason: string;
    try {
      reason = normalizeReason(view.state.values[BLOCK_IDS.reason]?.[INPUT_IDS.reason]?.value ?? '');
    } catch (error) {
      return ack({ response_action: 'errors', errors: { [BLOCK_IDS.reason]: inputError(failureText(error, deps.log)) } });
    }
    if (!reason) return ack({ response_action: 'errors', errors: { [BLOCK_IDS.reason]: 'Say why, so the requester knows.' } });
    await ack();
    try {
      await reply(deps, target, commandReply(await deps.core.deny(who.actor, id, reason)));
    } catch (error) {
      await reply(deps, target, failureText(error, deps.log));
    }
    if (context.fromHome) deps.home.refresh([slackUserId]);
  });
}
