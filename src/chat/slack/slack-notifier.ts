import type { CardView, ChannelNotice, DirectMessage } from '../../core/messages/views.js';
import type { Logger } from '../../core/ports/logger.js';
import { NotifyError, type Notifier, type PersonIdentity, type SecretMeasure } from '../../core/ports/notifier.js';
import type { MessageRef } from '../../core/ports/request-store.js';
import type { JitCore } from '../../core/services/create-core.js';
import type { HomePublisher } from './app-home.js';
import type { IssuedSecret } from '../../core/ports/issuer.js';
import { MAX_SECRET_BYTES, SecretTooLargeError, renderCard, renderDirectMessage, renderNotice, secretAsSent, type SlackMessage } from './blocks/render-messages.js';
import { toNotifyError, type WebClient } from './slack-web-client.js';

const MAX_REMEMBERED = 5000;

/**
 * The notifier port on Slack's Web API. Every failure becomes a NotifyError (429 carries Retry-After),
 * so the notify job retries it and nothing here waits or loops. DMs go to the person's DM channel
 * (conversations.open), cards to the resource's channel; a card is updated in place with chat.update.
 */
export class SlackNotifier implements Notifier {
  readonly platform = 'slack';
  private readonly dmChannels = new Map<string, string>();
  private readonly shownVersion = new Map<string, number>();
  private readonly updating = new Map<string, Promise<void>>();

  constructor(private readonly options: { core: JitCore; client: WebClient; home: HomePublisher; log: Logger }) {}

  knows(person: PersonIdentity): boolean {
    return typeof person.slack === 'string' && person.slack !== '';
  }

  async sendDirect(person: PersonIdentity, message: DirectMessage): Promise<void> {
    if (!person.slack) throw new NotifyError(`${person.name} has no Slack id`, false);
    let rendered: SlackMessage;
    try {
      rendered = renderDirectMessage(message);
    } catch (error) {
      // The core checks the size before the grant is active; this is the backstop that never cuts.
      if (error instanceof SecretTooLargeError) throw new NotifyError(error.message, false, { cause: error });
      throw error;
    }
    const channel = await this.dmChannel(person.slack, message.requestId);
    await this.post(channel, rendered, `the "${message.kind}" DM about ${message.requestId}`);
    this.options.home.refresh([person.slack]);
  }

  measureSecret(secret: IssuedSecret): SecretMeasure {
    return { bytes: new TextEncoder().encode(secretAsSent(secret.value)).length, maxBytes: MAX_SECRET_BYTES, platform: 'Slack' };
  }

  async postCard(channel: string, card: CardView): Promise<MessageRef> {
    const result = await this.post(channel, renderCard(card, this.slackIdOf), `the card of ${card.requestId}`);
    const ts = result.ts;
    if (!ts) throw new NotifyError(`Slack did not return a message ts for the card of ${card.requestId}`, true);
    this.remember(`${result.channel ?? channel}/${ts}`, card.version);
    this.refreshHomes(card);
    // `channel` stays as the policy wrote it (the core matches on it); chat.update needs the id Slack returned.
    return { platform: this.platform, channel, messageId: ts, extra: { channelId: result.channel ?? channel } };
  }

  async updateCard(ref: MessageRef, card: CardView): Promise<void> {
    const channelId = typeof ref.extra?.channelId === 'string' ? ref.extra.channelId : ref.channel;
    const key = `${channelId}/${ref.messageId}`;
    // Card jobs may finish out of order: one update at a time per message, and never an older version over a newer.
    const previous = this.updating.get(key) ?? Promise.resolve();
    const mine = previous
      .catch(() => undefined)
      .then(async () => {
        if (card.version < (this.shownVersion.get(key) ?? -1)) return;
        const message = renderCard(card, this.slackIdOf);
        try {
          await this.options.client.chat.update({ channel: channelId, ts: ref.messageId, text: message.text, blocks: message.blocks });
        } catch (error) {
          throw toNotifyError(error, `the update of ${card.requestId}'s card`);
        }
        this.remember(key, card.version);
      });
    this.updating.set(key, mine);
    try {
      await mine;
    } finally {
      if (this.updating.get(key) === mine) this.updating.delete(key);
    }
    this.refreshHomes(card);
  }

  async postNotice(channel: string, notice: ChannelNotice): Promise<void> {
    await this.post(channel, renderNotice(notice), `a notice about ${notice.requestId}`);
  }

  /** The person's Slack id from the current policy, for mentions. */
  readonly slackIdOf = (person: string): string | undefined => this.options.core.policy.person(person)?.slack;

  private async dmChannel(userId: string, about: string): Promise<string> {
    const known = this.dmChannels.get(userId);
    if (known) return known;
    let channel: string | undefined;
    try {
      const opened = await this.options.client.conversations.open({ users: userId });
      channel = opened.channel?.id;
    } catch (error) {
      throw toNotifyError(error, `opening a DM with ${userId} (about ${about})`);
    }
    if (!channel) throw new NotifyError(`Slack returned no DM channel for ${userId}`, true);
    if (this.dmChannels.size > MAX_REMEMBERED) this.dmChannels.clear();
    this.dmChannels.set(userId, channel);
    return channel;
  }

  private async post(channel: string, message: SlackMessage, what: string): Promise<{ ts?: string; channel?: string }> {
    try {
      const result = await this.options.client.chat.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
      });
      return { ...(result.ts ? { ts: result.ts } : {}), ...(result.channel ? { channel: result.channel } : {}) };
    } catch (error) {
      const failure = toNotifyError(error, what);
      if (!failure.retryable) this.options.log.error({ channel, error: failure.message }, 'Slack message cannot be delivered; check the channel in the policy and that the bot is invited to it');
      throw failure;
    }
  }

  private remember(key: string, version: number): void {
    if (this.shownVersion.size > MAX_REMEMBERED) this.shownVersion.delete(this.shownVersion.keys().next().value as string);
    this.shownVersion.set(key, Math.max(version, this.shownVersion.get(key) ?? -1));
  }

  private refreshHomes(card: CardView): void {
    this.options.home.refresh([card.requester, ...card.eligibleApprovers].map(this.slackIdOf));
  }
}
