import type { App } from '@slack/bolt';
import { ACTION_IDS } from '../slack-ids.js';
import { registerCommandButton } from './button-command.js';
import type { SlackDeps } from './interaction.js';

/** Cancel on the "request received" DM or the Home tab: the requester withdraws a pending request. */
export function registerCancelClicked(app: App, deps: SlackDeps): void {
  registerCommandButton(app, deps, ACTION_IDS.cancel, 'cancel');
}
