import type { App, BlockAction, StaticSelectAction } from '@slack/bolt';
import { decodeContext, renderRequestForm } from '../blocks/render-views.js';
import { RESOURCE_SELECT_ACTION } from '../slack-ids.js';
import { slackErrorCode } from '../slack-web-client.js';
import { identify, type SlackDeps } from './interaction.js';

/** Choosing a resource in the request form re-renders it (views.update) with that resource's default duration and reason rules. */
export function registerResourceChanged(app: App, deps: SlackDeps): void {
  app.action<BlockAction<StaticSelectAction>>({ type: 'block_actions', action_id: RESOURCE_SELECT_ACTION }, async ({ ack, body, action }) => {
    await ack();
    const view = body.view;
    if (!view?.id) return;
    const who = identify(deps.core, body.user.id);
    if ('refusal' in who) return;
    const choices = deps.core.resourceChoices(who.actor.person);
    const selected = action.selected_option?.value;
    try {
      await deps.client.views.update({
        view_id: view.id,
        hash: view.hash,
        view: renderRequestForm(choices, selected, decodeContext(view.private_metadata)),
      });
    } catch (error) {
      // hash_conflict: the person changed the form meanwhile; their newer choice triggers its own update.
      deps.log.debug({ error: slackErrorCode(error) }, 'request form not re-rendered');
    }
  });
}
