import type { App } from '@slack/bolt';
import { slackErrorCode } from '../slack-web-client.js';
import type { SlackDeps } from './interaction.js';

/** `app_home_opened` (Bolt acknowledges events itself): publish the person's tab and remember to keep it fresh. */
export function registerAppHomeOpened(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    try {
      await deps.home.markOpened(event.user);
      await deps.home.publish(event.user);
    } catch (error) {
      deps.log.warn({ user: event.user, error: slackErrorCode(error), message: (error as Error).message }, 'could not publish the Slack App Home');
    }
  });
}
