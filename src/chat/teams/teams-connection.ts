import type { IncomingHttpHeaders } from 'node:http';
import type { HttpRequest, HttpResponse } from '../../http/http-server.js';

/**
 * The Bot Framework, as the rest of chat/teams sees it: plain JSON activities in, plain JSON
 * activities out. Only `bot-framework-connection.ts` knows the SDK behind this port (botbuilder today,
 * `@microsoft/agents-hosting` tomorrow); everything else speaks the wire format of the Bot Connector.
 */
export interface TeamsConnection {
  /** Whether inbound requests are authenticated (false only with TEAMS_INSECURE_NO_AUTH=1). */
  readonly authenticated: boolean;
  /** The bot's own app id (`TEAMS_APP_ID`), when configured. */
  readonly appId: string | undefined;
  /**
   * Authenticates one `POST /api/messages` request and runs `onActivity` with the activity (still
   * untrusted JSON: parse it). Returns the HTTP answer: 401 without valid Bot Framework credentials,
   * the invoke response for invokes, 200 otherwise.
   */
  handle(request: HttpRequest, onActivity: ActivityHandler): Promise<HttpResponse>;
  /**
   * The answer to a request whose headers alone show it is unauthenticated (no Bot Framework token),
   * given before its body is read; undefined to go on. Optional: test connections may leave it out.
   */
  refuseBeforeBody?(headers: IncomingHttpHeaders): HttpResponse | undefined;
  /** Sends an activity into an existing conversation; returns the new activity's id. */
  send(to: ConversationAddress, activity: OutboundActivity): Promise<string>;
  /**
   * Starts a conversation: a new thread in a Teams channel (`channelId`) or the personal chat with one
   * user (`memberId`, a Bot Framework user id `29:…`). Returns its id and the first activity's id.
   */
  createConversation(request: CreateConversationRequest): Promise<{ conversationId: string; activityId: string | undefined }>;
  /** Replaces an activity the bot sent earlier (a card updated in place). */
  update(to: ConversationAddress, activityId: string, activity: OutboundActivity): Promise<void>;
  /** The members of a conversation (a team's roster), page by page up to `limit`. */
  listMembers(to: ConversationAddress, limit: number): Promise<ConversationMember[]>;
}

/** A member of a Teams conversation: their Bot Framework id and Entra object id. */
export interface ConversationMember {
  id: string;
  aadObjectId?: string | undefined;
}

/** Where to deliver: enough of a Bot Framework conversation reference, as plain JSON. */
export interface ConversationAddress {
  serviceUrl: string;
  conversationId: string;
  tenantId?: string | undefined;
  /** The bot's channel account id (`28:<app id>`), when known. */
  botId?: string | undefined;
}

export interface CreateConversationRequest {
  serviceUrl: string;
  tenantId?: string | undefined;
  botId?: string | undefined;
  /** A Teams channel id (`19:…@thread.tacv2`): a new thread there, starting with `activity`. */
  channelId?: string;
  /** A user's Bot Framework id (`29:…`): the bot's personal chat with them. */
  memberId?: string;
  activity?: OutboundActivity;
}

/** An outgoing message activity: text and/or attachments (Adaptive Cards). */
export interface OutboundActivity {
  type: 'message';
  text?: string;
  textFormat?: 'plain' | 'markdown' | 'xml';
  attachments?: { contentType: string; content: unknown }[];
  summary?: string;
}

/** The reply to an `invoke` activity, written as the HTTP response. */
export interface InvokeReply {
  status: number;
  body?: unknown;
}

/** What a handler may do during an inbound turn besides returning an invoke reply. */
export interface TurnReplies {
  /** Sends an activity into the conversation the inbound activity came from; returns its id. */
  send(activity: OutboundActivity): Promise<string>;
}

export type ActivityHandler = (activity: unknown, turn: TurnReplies) => Promise<InvokeReply | undefined>;

/**
 * A Bot Connector call that failed. `status` is the HTTP status when there was one; 429 and 5xx (and
 * network failures) are worth retrying, `retryAfterMs` comes from a Retry-After header.
 */
export class ConnectorError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryAfterMs: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConnectorError';
  }

  get retryable(): boolean {
    return this.status === undefined || this.status === 429 || this.status >= 500 || this.status === 408;
  }
}
