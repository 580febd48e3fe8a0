import type { App } from '@slack/bolt';
import { ACTION_IDS } from '../slack-ids.js';
import { registerCommandButton } from './button-command.js';
import type { SlackDeps } from './interaction.js';

/** Approve on a card, a "still waiting" DM or the Home tab; checked at click time against the current policy. */
export function registerApproveClicked(app: App, deps: SlackDeps): void {
  registerCommandButton(app, deps, ACTION_IDS.approve, 'approve');
}
