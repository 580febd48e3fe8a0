import type { App } from '@slack/bolt';
import { registerAppHomeOpened } from './app-home-opened.js';
import { registerApproveClicked } from './approve-clicked.js';
import { registerCancelClicked } from './cancel-clicked.js';
import { registerDenyClicked } from './deny-clicked.js';
import { registerDenyFormSubmitted } from './deny-form-submitted.js';
import { registerExtendClicked } from './extend-clicked.js';
import { registerExtendFormSubmitted } from './extend-form-submitted.js';
import type { SlackDeps } from './interaction.js';
import { registerReleaseClicked } from './release-clicked.js';
import { registerRequestFormSubmitted } from './request-form-submitted.js';
import { registerResourceChanged } from './request-form-resource-changed.js';
import { registerSlashCommand } from './slash-command.js';

/** Every Slack interaction jitbot answers, one listener (and file) each. */
export function registerListeners(app: App, deps: SlackDeps): void {
  registerSlashCommand(app, deps);
  registerResourceChanged(app, deps);
  registerRequestFormSubmitted(app, deps);
  registerApproveClicked(app, deps);
  registerDenyClicked(app, deps);
  registerDenyFormSubmitted(app, deps);
  registerCancelClicked(app, deps);
  registerReleaseClicked(app, deps);
  registerExtendClicked(app, deps);
  registerExtendFormSubmitted(app, deps);
  registerAppHomeOpened(app, deps);
}
