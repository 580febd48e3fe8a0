import type { App } from '@slack/bolt';
import { parseRequestId } from '../../../core/domain/access-request.js';
import { parseDuration } from '../../../core/domain/duration.js';
import { normalizeReason } from '../../../core/domain/reason.js';
import { commandReply } from '../../../core/messages/command-replies.js';
import { decodeContext, durationBlockId, inputError } from '../blocks/render-views.js';
import { BLOCK_IDS, CALLBACK_IDS, INPUT_IDS } from '../slack-ids.js';
import { failureText, identify, reply, type SlackDeps } from './interaction.js';

/** The extend modal's submit: the duration is checked inline; the policy's limits are checked by the core after the ack. */
export function registerExtendFormSubmitted(app: App, deps: SlackDeps): void {
  app.view(CALLBACK_IDS.extendForm, async ({ ack, body, view }) => {
    const context = decodeContext(view.private_metadata);
    const slackUserId = body.user.id;
    const target = { slackUserId, ...(context.responseUrl ? { responseUrl: context.responseUrl } : {}) };
    const who = identify(deps.core, slackUserId);
    const id = parseRequestId(context.requestId ?? '');
    if ('refusal' in who || !id) {
      await ack();
      return reply(deps, target, 'refusal' in who ? who.refusal : 'This form lost track of its request; use /jit extend <id> <duration> <reason>.');
    }
    const durationBlock = durationBlockId(undefined);
    const duration = (view.state.values[durationBlock]?.[INPUT_IDS.duration]?.value ?? '').trim();
    let reason: string;
    try {
      parseDuration(duration);
      reason = normalizeReason(view.state.values[BLOCK_IDS.reason]?.[INPUT_IDS.reason]?.value ?? '');
    } catch (error) {
      const field = error instanceof Error && /reason/i.test(error.message) ? BLOCK_IDS.reason : durationBlock;
      return ack({ response_action: 'errors', errors: { [field]: inputError(failureText(error, deps.log)) } });
    }
    await ack();
    try {
      await reply(deps, target, commandReply(await deps.core.extend(who.actor, id, duration, reason)));
    } catch (error) {
      await reply(deps, target, failureText(error, deps.log));
    }
    if (context.fromHome) deps.home.refresh([slackUserId]);
  });
}
