import { z } from 'zod';
import type { CardView, ChannelNotice, DirectMessage } from '../../core/messages/views.js';
import type { IssuedSecret } from '../../core/ports/issuer.js';
import { NotifyError, type Notifier, type PersonIdentity, type SecretMeasure } from '../../core/ports/notifier.js';
import type { MessageRef } from '../../core/ports/request-store.js';
import { cardMessage } from './cards/adaptive-card.js';
import { approvalCard } from './cards/approval-card.js';
import { channelNoticeCard, directMessageCard } from './cards/message-cards.js';
import type { UserAddress } from './conversation-directory.js';
import { refreshUserIds } from './refresh-users.js';
import { ConnectorError, type ConversationAddress } from './teams-connection.js';
import type { TeamsContext } from './teams-context.js';

/** What a Teams MessageRef keeps in `extra`: the thread's conversation, on its service. */
const CardLocationSchema = z.object({
  conversationId: z.string(),
  serviceUrl: z.string(),
  tenantId: z.string().optional(),
  botId: z.string().optional(),
});

/** Teams refuses a message (its activity, as JSON) larger than about 28 KB. */
export const MAX_MESSAGE_BYTES = 28 * 1024;
// What a DM card takes besides its secret: title, lines, receipt details, buttons, envelope.
const DM_ALLOWANCE_BYTES = 4 * 1024;
const utf8Bytes = (text: string): number => new TextEncoder().encode(text).length;

/** A person unreachable in Teams is announced in the approvers' channel once per request. */
const UNREACHABLE_NOTICE_MS = 24 * 60 * 60_000;

/**
 * The Notifier for Microsoft Teams. Approval cards are new threads in the resource's Teams channel,
 * updated in place; DMs go to the personal chat whose reference jitbot stored (or opens it from the
 * person's known Bot Framework id). 429 and 5xx are retryable NotifyErrors; a person jitbot has no way
 * to reach is logged, audited, announced in the approvers' channel and reported non-retryable.
 */
export class TeamsNotifier implements Notifier {
  readonly platform = 'teams';

  constructor(private readonly context: TeamsContext) {}

  knows(person: PersonIdentity): boolean {
    if (!person.teams) return false;
    const reachable = this.context.directory.reachable(person.teams);
    // Known to be unreachable here but reachable on Slack: let Slack deliver. Otherwise Teams tries
    // (another process may have learnt the address), and reports clearly when it cannot.
    return reachable !== false || !person.slack;
  }

  async sendDirect(person: PersonIdentity, message: DirectMessage): Promise<void> {
    const aad = person.teams;
    const address = aad ? await this.lookup(() => this.context.directory.user(aad)) : undefined;
    if (!address) return this.unreachable(person, message, 'they have not installed jitbot in Teams or chatted with it yet');
    const activity = cardMessage(directMessageCard(message), message.title);
    // The core checks the size before the grant is active; this backstop never lets Teams cut or refuse a secret.
    if (message.secret && utf8Bytes(JSON.stringify(activity)) > MAX_MESSAGE_BYTES) {
      throw new NotifyError(`the secret of ${message.requestId} does not fit in one Teams message`, false);
    }
    try {
      const to = await this.personalChat(address);
      await this.context.connection.send(to, activity);
    } catch (error) {
      if (error instanceof ConnectorError && (error.status === 403 || error.status === 404)) {
        return this.unreachable(person, message, `Teams refused the message (HTTP ${error.status}): they may have removed or blocked jitbot`);
      }
      throw toNotifyError(error, `send ${message.kind} for ${message.requestId} to ${person.name}`);
    }
  }

  measureSecret(secret: IssuedSecret): SecretMeasure {
    return { bytes: utf8Bytes(JSON.stringify(secret.value)) + utf8Bytes(JSON.stringify(secret.label)) + DM_ALLOWANCE_BYTES, maxBytes: MAX_MESSAGE_BYTES, platform: 'Microsoft Teams' };
  }

  async postCard(channel: string, view: CardView): Promise<MessageRef> {
    const where = await this.channelAddress(channel);
    const content = approvalCard(view, { refreshUserIds: await refreshUserIds(this.context, view) });
    try {
      const created = await this.context.connection.createConversation({
        serviceUrl: where.serviceUrl,
        tenantId: where.tenantId,
        botId: where.botId,
        channelId: channel,
        activity: cardMessage(content, view.title),
      });
      const activityId = created.activityId ?? /;messageid=(\d+)$/.exec(created.conversationId)?.[1];
      if (!activityId) throw new ConnectorError('Teams created the thread without a message id', undefined, undefined);
      return {
        platform: 'teams',
        channel,
        messageId: activityId,
        extra: {
          conversationId: created.conversationId,
          serviceUrl: where.serviceUrl,
          ...(where.tenantId ? { tenantId: where.tenantId } : {}),
          ...(where.botId ? { botId: where.botId } : {}),
        },
      };
    } catch (error) {
      throw toNotifyError(error, `post the card of ${view.requestId} in ${channel}`);
    }
  }

  async updateCard(ref: MessageRef, view: CardView): Promise<void> {
    const location = CardLocationSchema.safeParse(ref.extra ?? {});
    if (!location.success) throw new NotifyError(`the Teams card of ${view.requestId} has no stored conversation; it cannot be updated`, false);
    const content = approvalCard(view, { refreshUserIds: await refreshUserIds(this.context, view) });
    try {
      await this.context.connection.update(location.data, ref.messageId, cardMessage(content, view.title));
    } catch (error) {
      if (error instanceof ConnectorError && error.status === 404) {
        throw new NotifyError(`the Teams card of ${view.requestId} in ${ref.channel} is gone (deleted?); not updated`, false, { cause: error });
      }
      throw toNotifyError(error, `update the card of ${view.requestId}`);
    }
  }

  async postNotice(channel: string, value: ChannelNotice): Promise<void> {
    const where = await this.channelAddress(channel);
    try {
      await this.context.connection.createConversation({
        serviceUrl: where.serviceUrl,
        tenantId: where.tenantId,
        botId: where.botId,
        channelId: channel,
        activity: cardMessage(channelNoticeCard(value), value.title),
      });
    } catch (error) {
      throw toNotifyError(error, `post a notice about ${value.requestId} in ${channel}`);
    }
  }

  /** The personal chat with a person, opened (and remembered) from their Bot Framework id when needed. */
  private async personalChat(address: UserAddress): Promise<ConversationAddress> {
    let conversationId = address.conversationId;
    if (!conversationId) {
      conversationId = (
        await this.context.connection.createConversation({ serviceUrl: address.serviceUrl, tenantId: address.tenantId, botId: address.botId, memberId: address.userId })
      ).conversationId;
      await this.context.directory.rememberUser({ ...address, conversationId });
    }
    return { serviceUrl: address.serviceUrl, conversationId, tenantId: address.tenantId, botId: address.botId };
  }

  private async channelAddress(channel: string): Promise<{ serviceUrl: string; tenantId?: string | undefined; botId?: string | undefined }> {
    const { directory, tenantId, connection } = this.context;
    const known = await this.lookup(() => directory.channel(channel));
    if (known) return known;
    const service = await this.lookup(() => directory.service(tenantId));
    if (service) {
      return {
        serviceUrl: service.serviceUrl,
        tenantId: tenantId ?? service.tenantId,
        botId: service.botId ?? (connection.appId ? `28:${connection.appId}` : undefined),
      };
    }
    throw new NotifyError(
      `jitbot cannot post in the Teams channel ${channel}: it has not received anything from Teams yet. Add the jitbot app to that channel's team (Teams sends the installation to jitbot), then the card follows.`,
      false,
    );
  }

  private async lookup<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      throw new NotifyError('the Teams conversation references could not be read', true, { cause: error });
    }
  }

  /** Logs, audits and announces (once per request and person) that a DM could not be delivered. */
  private async unreachable(person: PersonIdentity, message: DirectMessage, why: string): Promise<never> {
    const { audit, log } = this.context;
    const sentence = `jitbot cannot reach ${person.name} in Microsoft Teams: ${why}.`;
    log.warn({ requestId: message.requestId, person: person.name, message: message.kind }, sentence);
    await audit
      .appendAudit({ type: 'notify.unreachable', requestId: message.requestId, actor: { kind: 'system' }, data: { person: person.name, platform: 'teams', message: message.kind } })
      .catch(() => undefined);
    await this.announceUnreachable(person, message, sentence).catch((error: unknown) =>
      log.warn({ requestId: message.requestId, error: error instanceof Error ? error.message : String(error) }, 'could not announce an unreachable person in Teams'),
    );
    throw new NotifyError(`${sentence} The "${message.title}" message was not delivered.`, false);
  }

  private async announceUnreachable(person: PersonIdentity, message: DirectMessage, sentence: string): Promise<void> {
    const { core, state } = this.context;
    const request = await core.findRequest(message.requestId);
    const channel = request ? core.policy.resourceChannel(request.resource, 'teams') : undefined;
    if (!channel) return;
    if (!(await state.claimOnce(`teams:unreachable:${message.requestId}:${person.name}`, UNREACHABLE_NOTICE_MS))) return;
    await this.postNotice(channel, {
      requestId: message.requestId,
      tone: 'alarm',
      title: `${message.requestId}: ${person.name} cannot be reached in Teams`,
      lines: [sentence, `Not delivered: "${message.title}".`, `Ask ${person.name} to open jitbot in Teams (Apps, then jitbot) and say hello; jitbot remembers them from then on.`],
    });
  }
}

function toNotifyError(error: unknown, what: string): NotifyError {
  if (error instanceof NotifyError) return error;
  if (error instanceof ConnectorError) {
    return new NotifyError(`Teams: could not ${what}: ${error.message}`, error.retryable, {
      cause: error,
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    });
  }
  return new NotifyError(`Teams: could not ${what}: ${error instanceof Error ? error.message : String(error)}`, true, { cause: error });
}
