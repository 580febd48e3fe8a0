import { createHash } from 'node:crypto';
import { cardMessage, type AdaptiveCard } from './cards/adaptive-card.js';
import { replyCard, welcomeCard } from './cards/message-cards.js';
import { requestFormCard } from './cards/request-form-card.js';
import { cardReply, parseActionData, parseExecute, runCardAction } from './handle-card-action.js';
import { commandText, InboundActivitySchema, scopeOf, tenantOf, type InboundActivity } from './inbound-activity.js';
import type { InvokeReply, OutboundActivity, TurnReplies } from './teams-connection.js';
import { userMessage, type PersonActor, type TeamsContext } from './teams-context.js';

/** One effect per activity: a redelivered activity id within this window is recognised. */
const DEDUPE_MS = 24 * 60 * 60_000;
/** The most members read from one team's roster. */
const MAX_ROSTER = 5000;
/** A rejected tenant is audited at most once per user and minute (the logs get every one). */
const TENANT_AUDIT_EVERY_MS = 60_000;

/**
 * Handles the activities Teams sends (already authenticated by the connection): checks the tenant,
 * drops redeliveries, remembers conversation references, then answers messages (commands typed in a
 * personal chat or with an @mention) and card actions (`adaptiveCard/action` invokes).
 */
export class TeamsBot {
  constructor(private readonly context: TeamsContext) {}

  readonly onActivity = async (raw: unknown, turn: TurnReplies): Promise<InvokeReply | undefined> => {
    const parsed = InboundActivitySchema.safeParse(raw);
    const isInvoke = (raw as { type?: unknown } | null)?.type === 'invoke';
    if (!parsed.success) {
      this.context.log.warn({ problem: parsed.error.issues[0]?.message, path: parsed.error.issues[0]?.path.join('.') }, 'ignoring a malformed Teams activity');
      return isInvoke ? { status: 400, body: { error: 'malformed activity' } } : undefined;
    }
    const activity = parsed.data;
    if (!(await this.tenantAllowed(activity))) return isInvoke ? { status: 403, body: { error: 'this tenant is not served' } } : undefined;

    const action = activity.type === 'invoke' && activity.name === 'adaptiveCard/action' ? parseExecute(activity.value) : undefined;
    // A refresh only reads: Teams may send it any number of times.
    const first = action?.verb === 'refresh' || (await this.firstDelivery(activity));
    await this.remember(activity).catch((error: unknown) =>
      this.context.log.warn({ error: error instanceof Error ? error.message : String(error) }, 'could not store a Teams conversation reference'),
    );

    try {
      switch (activity.type) {
        case 'message':
          if (first) await this.onMessage(activity, turn);
          return undefined;
        case 'invoke':
          if (activity.name !== 'adaptiveCard/action') return { status: 200, body: {} };
          if (!action) return cardReply(replyCard(['jitbot does not know this button.'], false));
          return cardReply(await runCardAction(this.context, activity, action, first));
        case 'installationUpdate':
          if (first && activity.action === 'add' && scopeOf(activity) === 'personal') await turn.send(cardMessage(welcomeCard(), 'Welcome to jitbot'));
          return undefined;
        default:
          return undefined;
      }
    } catch (error) {
      const message = userMessage(this.context, error, activity.type);
      if (activity.type === 'invoke') return cardReply(replyCard([message], false));
      await turn.send(cardMessage(replyCard([message], false), message)).catch(() => undefined);
      return undefined;
    }
  };

  private async onMessage(activity: InboundActivity, turn: TurnReplies): Promise<void> {
    const { core } = this.context;
    // Old clients send an Action.Execute as Action.Submit: a message whose value is the button's data.
    const submitted = parseActionData(activity.value);
    if (submitted && !activity.text?.trim()) {
      const result = await runCardAction(this.context, activity, submitted, true);
      await this.answer(activity, turn, result, 'jitbot');
      return;
    }
    const aad = activity.from.aadObjectId;
    if (!aad) {
      await this.answer(activity, turn, replyCard(['jitbot identifies people by their Microsoft Entra account, and this message came without one.'], false), 'jitbot');
      return;
    }
    let actor: PersonActor;
    try {
      actor = core.identify('teams', aad);
    } catch (error) {
      await this.answer(activity, turn, replyCard([userMessage(this.context, error, 'identify')], false), 'jitbot does not know you yet');
      return;
    }
    const text = commandText(activity);
    const words = text.replace(/^\/?jit(?=\s|$)/i, '').trim();
    if (words === '' || /^request$/i.test(words)) {
      const choices = core.resourceChoices(actor.person);
      const content = choices.length ? requestFormCard(choices) : replyCard(['There is nothing you may request. Ask an admin to add you to the policy.'], false);
      await this.answer(activity, turn, content, 'Request access');
      return;
    }
    const reply = await core.handleCommand(actor, text);
    const content = reply.form ? requestFormCard(reply.form) : replyCard(reply.text.split('\n'), reply.ok);
    await this.answer(activity, turn, content, reply.text.split('\n')[0] ?? 'jitbot');
  }

  /**
   * Answers only the person who wrote: in a personal chat right there; from a channel or group chat in
   * the personal chat with them (opened if needed), with a short pointer in the thread. Answers are
   * never posted where others can read them.
   */
  private async answer(activity: InboundActivity, turn: TurnReplies, content: AdaptiveCard, summary: string): Promise<void> {
    const message = cardMessage(content, summary);
    if (scopeOf(activity) === 'personal') {
      await turn.send(message);
      return;
    }
    const aad = activity.from.aadObjectId;
    try {
      if (!aad) throw new Error('no Entra id');
      await this.sendPersonal(aad, message);
      await turn.send({ type: 'message', text: 'I answered you in our personal chat.', textFormat: 'plain' });
    } catch (error) {
      this.context.log.warn({ error: error instanceof Error ? error.message : String(error) }, 'could not answer in a personal chat');
      await turn.send({
        type: 'message',
        textFormat: 'plain',
        text: 'I answer commands privately, but could not open a personal chat with you. Open jitbot in Teams (Apps, then jitbot) and send the command there.',
      });
    }
  }

  private async sendPersonal(aad: string, message: OutboundActivity): Promise<void> {
    const { directory, connection } = this.context;
    const address = await directory.user(aad);
    if (!address) throw new Error('no address');
    let conversationId = address.conversationId;
    if (!conversationId) {
      conversationId = (await connection.createConversation({ serviceUrl: address.serviceUrl, tenantId: address.tenantId, botId: address.botId, memberId: address.userId }))
        .conversationId;
      await directory.rememberUser({ ...address, conversationId });
    }
    await connection.send({ serviceUrl: address.serviceUrl, conversationId, tenantId: address.tenantId, botId: address.botId }, message);
  }

  private async tenantAllowed(activity: InboundActivity): Promise<boolean> {
    const expected = this.context.tenantId;
    if (!expected) return true;
    const tenant = tenantOf(activity);
    if (tenant && tenant.toLowerCase() === expected.toLowerCase()) return true;
    const aad = activity.from.aadObjectId ?? activity.from.id;
    this.context.log.warn({ tenant: tenant ?? null, user: aad, type: activity.type }, 'ignoring a Teams activity from another tenant');
    const key = `teams:tenant-rejected:${hash(`${tenant ?? '-'}|${aad}`)}`;
    if (await this.context.state.claimOnce(key, TENANT_AUDIT_EVERY_MS)) {
      await this.context.audit.appendAudit({
        type: 'auth.tenant_rejected',
        requestId: null,
        actor: { kind: 'system' },
        data: { platform: 'teams', tenant: tenant ?? null, aadObjectId: activity.from.aadObjectId ?? null, activityType: activity.type, expectedTenant: expected },
      });
    }
    return false;
  }

  private async firstDelivery(activity: InboundActivity): Promise<boolean> {
    if (!activity.id) return true;
    return this.context.state.claimOnce(`teams:activity:${hash(`${activity.conversation.id}|${activity.id}`)}`, DEDUPE_MS);
  }

  /** Keeps the references this activity teaches: the person, their personal chat, the channel, the service. */
  private async remember(activity: InboundActivity): Promise<void> {
    const { directory } = this.context;
    const tenantId = tenantOf(activity);
    const botId = activity.recipient.id;
    const base = { serviceUrl: activity.serviceUrl, botId, ...(tenantId ? { tenantId } : {}) };
    await directory.rememberService(base);
    const scope = scopeOf(activity);
    if (activity.from.aadObjectId && activity.from.id !== botId) {
      await directory.rememberUser({
        ...base,
        aadObjectId: activity.from.aadObjectId,
        userId: activity.from.id,
        ...(scope === 'personal' ? { conversationId: activity.conversation.id } : {}),
      });
    }
    for (const member of activity.membersAdded ?? []) {
      if (member.aadObjectId && member.id !== botId) await directory.rememberUser({ ...base, aadObjectId: member.aadObjectId, userId: member.id });
    }
    const channelId = activity.channelData?.channel?.id;
    if (channelId) await directory.rememberChannel({ ...base, channelId });
    // A team's General channel has the team's id.
    const teamId = activity.channelData?.team?.id;
    if (teamId) await directory.rememberChannel({ ...base, channelId: teamId });
    // Added to a team: its roster says who jitbot can reach (and open personal chats with) from now on.
    const botAdded = activity.membersAdded?.some((m) => m.id === botId) || (activity.type === 'installationUpdate' && activity.action === 'add');
    if (teamId && botAdded) await this.learnRoster({ ...base, conversationId: teamId });
  }

  private async learnRoster(team: { serviceUrl: string; conversationId: string; tenantId?: string; botId: string }): Promise<void> {
    const { connection, directory, log } = this.context;
    try {
      const members = await connection.listMembers(team, MAX_ROSTER);
      let learnt = 0;
      for (const member of members) {
        if (!member.aadObjectId || member.id === team.botId) continue;
        await directory.rememberUser({ serviceUrl: team.serviceUrl, botId: team.botId, ...(team.tenantId ? { tenantId: team.tenantId } : {}), aadObjectId: member.aadObjectId, userId: member.id });
        learnt++;
      }
      log.info({ team: team.conversationId, members: learnt }, 'learnt a Teams team roster');
    } catch (error) {
      log.warn({ team: team.conversationId, error: error instanceof Error ? error.message : String(error) }, 'could not read a Teams team roster; its members become reachable when they write to jitbot');
    }
  }
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
