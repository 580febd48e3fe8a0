import type { MessageRef } from '../../src/core/ports/request-store.js';
import type { CardView, ChannelNotice, DirectMessage } from '../../src/core/messages/views.js';
import { NotifyError, type Notifier, type PersonIdentity } from '../../src/core/ports/notifier.js';

export interface RecordedDm {
  to: string;
  message: DirectMessage;
  at: number;
}

/** A Notifier that records everything it is asked to send; can be told to fail. */
export class RecordingNotifier implements Notifier {
  readonly dms: RecordedDm[] = [];
  readonly cards = new Map<string, CardView[]>();
  readonly notices: ChannelNotice[] = [];
  failNextDms = 0;
  private nextId = 1;

  constructor(readonly platform = 'console') {}

  knows(_person: PersonIdentity): boolean {
    return true;
  }

  async sendDirect(person: PersonIdentity, message: DirectMessage): Promise<void> {
    if (this.failNextDms > 0) {
      this.failNextDms--;
      throw new NotifyError('chat platform unavailable (test)', true);
    }
    this.dms.push({ to: person.name, message, at: Date.now() });
  }

  async postCard(channel: string, card: CardView): Promise<MessageRef> {
    const messageId = `m${this.nextId++}`;
    this.cards.set(card.requestId, [card]);
    return { platform: this.platform, channel, messageId };
  }

  async updateCard(_ref: MessageRef, card: CardView): Promise<void> {
    this.cards.get(card.requestId)?.push(card);
  }

  async postNotice(_channel: string, notice: ChannelNotice): Promise<void> {
    this.notices.push(notice);
  }

  dmsTo(person: string, kind?: DirectMessage['kind']): RecordedDm[] {
    return this.dms.filter((d) => d.to === person && (kind === undefined || d.message.kind === kind));
  }

  lastCard(requestId: string): CardView | undefined {
    const all = this.cards.get(requestId);
    return all?.[all.length - 1];
  }
}
