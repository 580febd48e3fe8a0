import type { CardView, ChannelNotice, DirectMessage } from '../../core/messages/views.js';
import type { Notifier, PersonIdentity } from '../../core/ports/notifier.js';
import type { MessageRef } from '../../core/ports/request-store.js';
import type { DirectMessageKind } from '../../core/ports/scheduler.js';
import { renderCard, renderDirect, renderNotice, type RenderStyle } from './console-renderer.js';

/** Where the notifier prints: one block at a time. */
export interface ConsoleSink {
  print(text: string): void;
  style(): RenderStyle;
}

/**
 * The console's Notifier: every person in the policy can be reached here (their DMs are printed,
 * labelled `DM to <person>`), and there is one shared channel, `#approvals`. A card update prints
 * the card again with its new state; a repeated or out-of-date update (jobs may deliver twice, or
 * out of order) is skipped, so the screen always shows a card's newest version last.
 */
export class ConsoleNotifier implements Notifier {
  readonly platform = 'console';
  private nextMessage = 1;
  private readonly shownVersions = new Map<string, number>();
  private readonly dmsShown = new Set<string>();
  private readonly ids = new Set<string>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly sink: ConsoleSink) {}

  knows(_person: PersonIdentity): boolean {
    return true;
  }

  async sendDirect(person: PersonIdentity, message: DirectMessage): Promise<void> {
    this.sink.print(renderDirect(person.name, message, this.sink.style()));
    this.dmsShown.add(`${message.requestId}:${message.kind}`);
    this.seen(message.requestId);
  }

  async postCard(channel: string, card: CardView): Promise<MessageRef> {
    this.showCard(channel, card, false);
    return { platform: this.platform, channel, messageId: `console-${process.pid}-${this.nextMessage++}` };
  }

  async updateCard(ref: MessageRef, card: CardView): Promise<void> {
    this.showCard(ref.channel, card, true);
  }

  async postNotice(channel: string, notice: ChannelNotice): Promise<void> {
    this.sink.print(renderNotice(channel, notice, this.sink.style()));
    this.seen(notice.requestId);
  }

  /** The newest version of a request's card printed so far (0: none). */
  cardVersionShown(requestId: string): number {
    return this.shownVersions.get(requestId) ?? 0;
  }

  /** Whether a DM of this kind about this request was printed. */
  dmShown(requestId: string, kind: DirectMessageKind): boolean {
    return this.dmsShown.has(`${requestId}:${kind}`);
  }

  /** Request ids seen in cards and messages (for tab completion). */
  knownIds(): string[] {
    return [...this.ids];
  }

  /** Notes an id seen elsewhere (a reply). */
  noteId(requestId: string): void {
    this.ids.add(requestId);
  }

  /** Calls `listener` after anything is printed; returns the unsubscribe function. */
  onShown(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private showCard(channel: string, card: CardView, update: boolean): void {
    const shown = this.shownVersions.get(card.requestId);
    if (shown !== undefined && card.version <= shown) return;
    this.shownVersions.set(card.requestId, card.version);
    this.sink.print(renderCard(channel, card, update, this.sink.style()));
    this.seen(card.requestId);
  }

  private seen(requestId: string): void {
    this.ids.add(requestId);
    for (const listener of this.listeners) listener();
  }
}
