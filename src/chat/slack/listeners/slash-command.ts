import type { App } from '@slack/bolt';
import { renderRequestForm } from '../blocks/render-views.js';
import { slackErrorCode } from '../slack-web-client.js';
import { failureText, identify, reply, type SlackDeps } from './interaction.js';

/**
 * `/jit …`: the whole grammar goes to the core; every answer is ephemeral (response_url). `/jit` alone
 * opens the request form with views.open, first thing after the ack, inside the trigger's 3 seconds.
 * Any command name routes here, so a workspace may install the app as `/jit-staging` too.
 */
export function registerSlashCommand(app: App, deps: SlackDeps): void {
  app.command(/^\/.+/, async ({ ack, command }) => {
    await ack();
    const target = { slackUserId: command.user_id, ...(command.response_url ? { responseUrl: command.response_url } : {}) };
    const who = identify(deps.core, command.user_id);
    if ('refusal' in who) return reply(deps, target, who.refusal);
    try {
      const result = await deps.core.handleCommand(who.actor, command.text ?? '');
      if (!result.form) return reply(deps, target, result.text);
      const only = result.form.length === 1 ? result.form[0]?.name : undefined;
      try {
        await deps.client.views.open({
          trigger_id: command.trigger_id,
          view: renderRequestForm(result.form, only, { ...(command.response_url ? { responseUrl: command.response_url } : {}) }),
        });
      } catch (error) {
        deps.log.warn({ error: slackErrorCode(error) }, 'could not open the request form');
        await reply(deps, target, 'Slack did not open the request form in time. Try /jit again, or type /jit request <resource> <duration> <reason> (/jit resources lists what you may request).');
      }
    } catch (error) {
      await reply(deps, target, failureText(error, deps.log));
    }
  });
}
