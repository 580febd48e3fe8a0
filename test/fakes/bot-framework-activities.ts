// Teams as a bot sees it: builds Bot Framework activities the way Teams sends them (installationUpdate,
// conversationUpdate, message, invoke `adaptiveCard/action`) and posts them to a bot's /api/messages.
import { randomUUID } from 'node:crypto';

export interface TeamsUser {
  name: string;
  /** The Bot Framework user id Teams gives this bot for the user. */
  id: string;
  aadObjectId: string;
}

export interface TeamsChannel {
  teamId: string;
  channelId: string;
}

export interface PostResult {
  status: number;
  /** The JSON body (an invoke response), or the text. */
  body: unknown;
}

/** Where an activity happens: the user's personal chat with the bot, or a channel thread. */
export type Where = { kind: 'personal' } | { kind: 'channel'; channel: TeamsChannel; threadId?: string };

export interface ActivityOptions {
  where?: Where;
  /** Override the tenant (wrong-tenant tests); `null` sends none. */
  tenantId?: string | null;
  /** Reuse an id (redelivery tests). */
  id?: string;
  replyToId?: string;
}

/** The personal conversation id the fake connector also answers `createConversation` with. */
export const personalConversationId = (user: TeamsUser): string => `a:personal-${user.id}`;

export class TeamsSimulator {
  readonly botId: string;
  private seq = 0;

  constructor(
    /** `botUrl` may change (a restarted bot on another port). */
    readonly options: { botUrl: string; serviceUrl: string; tenantId: string; botAppId?: string; authorization?: string },
  ) {
    this.botId = `28:${options.botAppId ?? 'jitbot-test-app'}`;
  }

  user(name: string, aadObjectId: string): TeamsUser {
    return { name, id: `29:${name}-bf-id`, aadObjectId };
  }

  /** The user installs the app for themselves: Teams sends installationUpdate in the personal chat. */
  installPersonal(user: TeamsUser, options: ActivityOptions = {}): Promise<PostResult> {
    return this.post({ ...this.base(user, { kind: 'personal' }, options), type: 'installationUpdate', action: 'add' });
  }

  /**
   * The app is added to a team: installationUpdate, then conversationUpdate with the bot as the member
   * added (Teams lists the people already there only in the roster: see FakeBotConnector.setRoster).
   */
  async installInTeam(installer: TeamsUser, channel: TeamsChannel, options: ActivityOptions = {}): Promise<PostResult[]> {
    const where: Where = { kind: 'channel', channel };
    const install = await this.post({ ...this.base(installer, where, options), type: 'installationUpdate', action: 'add' });
    const update = await this.post({
      ...this.base(installer, where, options),
      type: 'conversationUpdate',
      membersAdded: [{ id: this.botId }],
      channelData: { ...this.channelData(where, options), eventType: 'teamMemberAdded' },
    });
    return [install, update];
  }

  /** Someone joins a team jitbot is in: conversationUpdate with them as the member added. */
  memberJoins(by: TeamsUser, channel: TeamsChannel, members: TeamsUser[], options: ActivityOptions = {}): Promise<PostResult> {
    const where: Where = { kind: 'channel', channel };
    return this.post({
      ...this.base(by, where, options),
      type: 'conversationUpdate',
      membersAdded: members.map((m) => ({ id: m.id, aadObjectId: m.aadObjectId })),
      channelData: { ...this.channelData(where, options), eventType: 'teamMemberAdded' },
    });
  }

  /** A team's roster as the Bot Connector lists it. */
  static roster(members: TeamsUser[]): { id: string; name: string; aadObjectId: string }[] {
    return members.map((m) => ({ id: m.id, name: m.name, aadObjectId: m.aadObjectId }));
  }

  /** A message typed by a user; in a channel it starts with the bot's @mention, as Teams requires. */
  message(user: TeamsUser, text: string, options: ActivityOptions = {}): Promise<PostResult> {
    const where = options.where ?? { kind: 'personal' };
    const base = this.base(user, where, options);
    if (where.kind === 'channel') {
      const mention = '<at>jitbot</at>';
      return this.post({
        ...base,
        type: 'message',
        text: `${mention} ${text}`,
        textFormat: 'plain',
        entities: [{ type: 'mention', text: mention, mentioned: { id: this.botId, name: 'jitbot' } }],
      });
    }
    return this.post({ ...base, type: 'message', text, textFormat: 'plain' });
  }

  /** A click on an Action.Execute (or Teams' automatic `refresh`): an `adaptiveCard/action` invoke. */
  invoke(user: TeamsUser, verb: string, data: Record<string, unknown>, options: ActivityOptions & { trigger?: 'manual' | 'automatic' } = {}): Promise<PostResult> {
    const where = options.where ?? { kind: 'personal' };
    return this.post({
      ...this.base(user, where, options),
      type: 'invoke',
      name: 'adaptiveCard/action',
      value: { action: { type: 'Action.Execute', id: '', verb, data: { ...data, verb } }, trigger: options.trigger ?? 'manual' },
    });
  }

  async post(activity: Record<string, unknown>): Promise<PostResult> {
    const response = await fetch(this.options.botUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.options.authorization ? { authorization: this.options.authorization } : {}) },
      body: JSON.stringify(activity),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body };
  }

  private base(user: TeamsUser, where: Where, options: ActivityOptions): Record<string, unknown> {
    const tenant = options.tenantId === undefined ? this.options.tenantId : options.tenantId;
    const conversation =
      where.kind === 'personal'
        ? { id: personalConversationId(user), conversationType: 'personal', ...(tenant ? { tenantId: tenant } : {}) }
        : {
            id: where.threadId ? `${where.channel.channelId};messageid=${where.threadId}` : where.channel.channelId,
            conversationType: 'channel',
            isGroup: true,
            ...(tenant ? { tenantId: tenant } : {}),
          };
    return {
      id: options.id ?? `${Date.now()}${String(++this.seq).padStart(4, '0')}`,
      timestamp: new Date().toISOString(),
      localTimestamp: new Date().toISOString(),
      channelId: 'msteams',
      serviceUrl: this.options.serviceUrl,
      from: { id: user.id, name: user.name, aadObjectId: user.aadObjectId },
      recipient: { id: this.botId, name: 'jitbot' },
      conversation,
      channelData: this.channelData(where, options),
      locale: 'en-US',
      ...(options.replyToId ? { replyToId: options.replyToId } : {}),
    };
  }

  private channelData(where: Where, options: ActivityOptions): Record<string, unknown> {
    const tenant = options.tenantId === undefined ? this.options.tenantId : options.tenantId;
    return {
      ...(tenant ? { tenant: { id: tenant } } : {}),
      ...(where.kind === 'channel' ? { team: { id: where.channel.teamId }, channel: { id: where.channel.channelId } } : {}),
    };
  }
}

/** A fresh GUID-like Entra object id. */
export const aadId = (): string => randomUUID();
