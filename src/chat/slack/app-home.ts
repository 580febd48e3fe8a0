import type { AdapterState } from '../../core/ports/adapter-state.js';
import type { Logger } from '../../core/ports/logger.js';
import type { JitCore } from '../../core/services/create-core.js';
import { renderHome } from './blocks/render-views.js';
import { slackErrorCode, type WebClient } from './slack-web-client.js';

const OPENED = 'slack-home-opened';

/**
 * Publishes people's App Home tabs (views.publish): on `app_home_opened`, after their own clicks, and,
 * debounced, whenever a card or DM about them changes. Only people who have opened the tab at least
 * once are refreshed in the background, so a busy channel costs no calls for people who never look.
 */
export class HomePublisher {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    /** `state` remembers who has opened the tab; it is the adapter's, not core's. */
    private readonly options: { core: JitCore; state: Pick<AdapterState, 'putValue' | 'getValue'>; client: WebClient; log: Logger },
    private readonly debounceMs = 300,
  ) {}

  /** Remembers that this user looks at the tab, so later changes refresh it. */
  async markOpened(slackUserId: string): Promise<void> {
    await this.options.state.putValue(OPENED, slackUserId, String(Date.now()));
  }

  /** Renders and publishes one user's tab now. */
  async publish(slackUserId: string): Promise<void> {
    const { core, client } = this.options;
    let person: string | undefined;
    try {
      person = core.identify('slack', slackUserId).person;
    } catch {
      person = undefined;
    }
    const home = person ? await core.home(person) : undefined;
    await client.views.publish({
      user_id: slackUserId,
      view: renderHome({ ...(person ? { person } : {}), slackUserId, mine: home?.requests ?? [], waitingOnMe: home?.waitingOn ?? [] }),
    });
  }

  /** Refreshes these users' tabs shortly (coalescing bursts); failures are logged, never thrown. */
  refresh(slackUserIds: Iterable<string | undefined>): void {
    if (this.stopped) return;
    for (const id of new Set(slackUserIds)) {
      if (!id) continue;
      clearTimeout(this.timers.get(id));
      const timer = setTimeout(() => {
        this.timers.delete(id);
        void this.refreshNow(id);
      }, this.debounceMs);
      timer.unref();
      this.timers.set(id, timer);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private async refreshNow(slackUserId: string): Promise<void> {
    try {
      if ((await this.options.state.getValue(OPENED, slackUserId)) === undefined) return;
      await this.publish(slackUserId);
    } catch (error) {
      this.options.log.warn({ user: slackUserId, error: slackErrorCode(error), message: (error as Error).message }, 'could not refresh the Slack App Home');
    }
  }
}
