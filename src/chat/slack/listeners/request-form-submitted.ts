import type { App } from '@slack/bolt';
import { commandReply } from '../../../core/messages/command-replies.js';
import { decodeContext, inputError } from '../blocks/render-views.js';
import { BLOCK_IDS, CALLBACK_IDS, INPUT_IDS } from '../slack-ids.js';
import { failureText, identify, reply, type SlackDeps } from './interaction.js';

/**
 * The request form's submit. The policy's checks run before the ack, so a wrong choice, duration or
 * reason is shown inline under its field (`response_action: errors`) with the sentence a typed command
 * would get; they are pure and take microseconds. The request itself is made after the ack.
 */
export function registerRequestFormSubmitted(app: App, deps: SlackDeps): void {
  app.view(CALLBACK_IDS.requestForm, async ({ ack, body, view }) => {
    const context = decodeContext(view.private_metadata);
    const slackUserId = body.user.id;
    const target = { slackUserId, ...(context.responseUrl ? { responseUrl: context.responseUrl } : {}) };
    const who = identify(deps.core, slackUserId);
    if ('refusal' in who) return ack({ response_action: 'errors', errors: { [BLOCK_IDS.resource]: inputError(who.refusal) } });

    const values = view.state.values;
    const resource = values[BLOCK_IDS.resource]?.[INPUT_IDS.resource]?.selected_option?.value ?? '';
    const durationBlock = Object.keys(values).find((id) => id.startsWith(`${BLOCK_IDS.durationPrefix}:`)) ?? `${BLOCK_IDS.durationPrefix}:`;
    const duration = (values[durationBlock]?.[INPUT_IDS.duration]?.value ?? '').trim();
    const reasonText = values[BLOCK_IDS.reason]?.[INPUT_IDS.reason]?.value ?? '';

    const errors: Record<string, string> = {};
    if (!resource) {
      errors[BLOCK_IDS.resource] = 'Choose a resource.';
    } else {
      const problems = deps.core.validateRequestForm(who.actor.person, { resource, duration, reason: reasonText });
      const blocks = { resource: BLOCK_IDS.resource, duration: durationBlock, reason: BLOCK_IDS.reason };
      for (const [field, problem] of Object.entries(problems)) errors[blocks[field as keyof typeof blocks]] = inputError(problem.message);
    }
    if (Object.keys(errors).length > 0) return ack({ response_action: 'errors', errors });
    await ack();

    try {
      await reply(deps, target, commandReply(await deps.core.requestAccess({ actor: who.actor, resource, duration: duration || undefined, reason: reasonText })));
    } catch (error) {
      await reply(deps, target, failureText(error, deps.log));
    }
    deps.home.refresh([slackUserId]);
  });
}
