import type { App } from '@slack/bolt';
import { ACTION_IDS } from '../slack-ids.js';
import { registerCommandButton } from './button-command.js';
import type { SlackDeps } from './interaction.js';

/** "Release now" on the active or expiring-soon DM, or the Home tab: the requester ends their access now. */
export function registerReleaseClicked(app: App, deps: SlackDeps): void {
  registerCommandButton(app, deps, ACTION_IDS.release, 'release');
}
