// The one file that imports botbuilder (archived by Microsoft at the end of 2025). A move to
// @microsoft/agents-hosting replaces this file and nothing else: see docs/teams.md, "Moving from botbuilder to the Microsoft 365 Agents SDK".
import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type Activity,
  type ConversationParameters,
  type ConversationReference,
  type ConversationResourceResponse,
  type TurnContext,
} from 'botbuilder';
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from '../../core/ports/logger.js';
import type { HttpRequest, HttpResponse } from '../../http/http-server.js';
import { LogThrottle } from '../../http/log-throttle.js';
import {
  ConnectorError,
  type ActivityHandler,
  type ConversationAddress,
  type ConversationMember,
  type CreateConversationRequest,
  type OutboundActivity,
  type TeamsConnection,
} from './teams-connection.js';

export interface BotFrameworkConnectionOptions {
  appId?: string | undefined;
  appPassword?: string | undefined;
  tenantId?: string | undefined;
  insecureNoAuth: boolean;
  log: Logger;
  /**
   * Where the signing keys of channel tokens are published (OpenID metadata). Default: the Bot
   * Framework's public cloud; sovereign clouds and tests set their own.
   */
  channelOpenIdMetadataUrl?: string;
}

/** What botbuilder keeps in a turn's state under `adapter.ConnectorClientKey` (the parts used here). */
interface ConnectorClientLike {
  conversations: {
    createConversation(parameters: ConversationParameters): Promise<ConversationResourceResponse>;
    sendToConversation(conversationId: string, activity: Partial<Activity>): Promise<{ id?: string }>;
    getConversationPagedMembers(
      conversationId: string,
      options: { pageSize?: number; continuationToken?: string },
    ): Promise<{ members?: { id: string; aadObjectId?: string }[]; continuationToken?: string }>;
  };
}

/**
 * Builds the Bot Framework connection: botbuilder's CloudAdapter with
 * ConfigurationBotFrameworkAuthentication (SingleTenant when a tenant is configured, else MultiTenant).
 * Refuses to build without an app id and password unless `insecureNoAuth` is set: botbuilder itself
 * would silently accept anonymous requests when the app id is empty.
 */
export function createBotFrameworkConnection(options: BotFrameworkConnectionOptions): TeamsConnection {
  const { log } = options;
  const appId = options.appId?.trim() || undefined;
  const appPassword = options.appPassword?.trim() || undefined;
  const tenantId = options.tenantId?.trim() || undefined;
  if (!options.insecureNoAuth && (!appId || !appPassword)) {
    throw new Error(
      'Microsoft Teams needs TEAMS_APP_ID and TEAMS_APP_PASSWORD (and TEAMS_TENANT_ID for a single-tenant bot); refusing to accept unauthenticated Bot Framework requests. TEAMS_INSECURE_NO_AUTH=1 turns authentication off for the Bot Framework Emulator and tests only.',
    );
  }
  const authenticated = !options.insecureNoAuth;
  const auth = authenticated
    ? new ConfigurationBotFrameworkAuthentication({
        MicrosoftAppId: appId,
        MicrosoftAppPassword: appPassword,
        MicrosoftAppType: tenantId ? 'SingleTenant' : 'MultiTenant',
        ...(tenantId ? { MicrosoftAppTenantId: tenantId } : {}),
        ...(options.channelOpenIdMetadataUrl ? publicCloudWithKeysFrom(options.channelOpenIdMetadataUrl) : {}),
      })
    : // No app id at all: botbuilder's anonymous mode (the Emulator's), inbound and outbound.
      new ConfigurationBotFrameworkAuthentication({});
  const adapter = new TurnAdapter(auth);
  const throttle = new LogThrottle(60_000);
  adapter.onTurnError = async (_context, error) => {
    log.error({ error: error instanceof Error ? error.message : String(error) }, 'teams turn failed');
    throw error;
  };
  const connectorOf = (context: TurnContext): ConnectorClientLike => {
    const client = context.turnState.get(adapter.ConnectorClientKey) as ConnectorClientLike | undefined;
    if (!client) throw new Error('botbuilder provided no connector client');
    return client;
  };
  // Proactive calls carry the app id as the audience of their token; anonymous mode uses ''.
  const botAppId = authenticated ? (appId ?? '') : '';

  async function continueIn(to: ConversationAddress, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    const reference: Partial<ConversationReference> = {
      channelId: 'msteams',
      serviceUrl: to.serviceUrl,
      conversation: { id: to.conversationId, isGroup: false, conversationType: '', name: '', ...(to.tenantId ? { tenantId: to.tenantId } : {}) },
      ...(to.botId ? { bot: { id: to.botId, name: '' } } : {}),
    };
    await adapter.continueConversationAsync(botAppId, reference, logic);
  }

  function refuseBeforeBody(headers: IncomingHttpHeaders): HttpResponse | undefined {
    const problem = authenticated ? bearerTokenProblem(headers.authorization, Date.now()) : undefined;
    if (!problem) return undefined;
    throttle.run(problem, (suppressed) => log.warn({ reason: problem === 'no token' ? 'no Bot Framework token' : 'expired Bot Framework token', suppressed }, 'teams request refused'));
    return { status: 401, body: { error: problem === 'no token' ? 'missing Bot Framework credentials' : 'invalid Bot Framework credentials' } };
  }

  return {
    authenticated,
    appId,

    refuseBeforeBody,

    async handle(request: HttpRequest, onActivity: ActivityHandler): Promise<HttpResponse> {
      // The header first: an unauthenticated body is never parsed (the HTTP server also runs this before reading it).
      const early = refuseBeforeBody(request.headers);
      if (early) return early;
      let body: unknown;
      try {
        body = JSON.parse(request.rawBody.toString('utf8'));
      } catch {
        return { status: 400, body: { error: 'the body is not JSON' } };
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof (body as { type?: unknown }).type !== 'string') {
        return { status: 400, body: { error: 'the body is not a Bot Framework activity' } };
      }
      const activity = withDates(body as Record<string, unknown>) as unknown as Activity;
      let identity: AuthenticateRequestResult;
      try {
        identity = await auth.authenticateRequest(activity, String(request.headers.authorization ?? ''));
      } catch (error) {
        // Refusals are expected and frequent under attack: no stack trace, one line a minute per reason.
        const detail = (error instanceof Error ? error.message : String(error)).slice(0, 300);
        const refused = (error as { statusCode?: unknown }).statusCode === 401 || !/openid|failed to load|fetch|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|socket/i.test(detail);
        throttle.run(refused ? 'invalid token' : 'keys unavailable', (suppressed) =>
          log.warn({ reason: refused ? 'invalid Bot Framework token' : 'Bot Framework keys unavailable', detail, suppressed }, refused ? 'teams request refused' : 'cannot check Bot Framework credentials now'),
        );
        return refused ? { status: 401, body: { error: 'invalid Bot Framework credentials' } } : { status: 503, body: { error: 'cannot check the Bot Framework credentials now' } };
      }
      let invoke: { status: number; body?: unknown } | undefined;
      try {
        invoke = await adapter.runAuthenticated(identity, activity, async (context) => {
          const reply = await onActivity(context.activity, {
            async send(outbound: OutboundActivity) {
              const sent = await context.sendActivity(outbound as Partial<Activity>);
              return sent?.id ?? '';
            },
          });
          if (reply && context.activity.type === 'invoke') {
            await context.sendActivity({ type: 'invokeResponse', value: { status: reply.status, body: reply.body } });
          }
        });
      } catch (error) {
        log.warn({ error: (error instanceof Error ? error.message : String(error)).slice(0, 300) }, 'a Teams request failed');
        return { status: 500, body: { error: 'the activity could not be processed' } };
      }
      if (!invoke) return { status: 200 };
      const answer = invoke.body;
      if (answer === undefined || answer === null) return { status: invoke.status };
      return typeof answer === 'string' ? { status: invoke.status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: answer } : { status: invoke.status, body: answer as object };
    },

    async send(to, activity) {
      let id = '';
      // Straight to the conversation: a proactive message is not a reply to any earlier activity.
      await call('send a message', () =>
        continueIn(to, async (context) => {
          id = (await connectorOf(context).conversations.sendToConversation(to.conversationId, activity as Partial<Activity>))?.id ?? '';
        }),
      );
      return id;
    },

    async createConversation(request: CreateConversationRequest) {
      const parameters: ConversationParameters = {
        isGroup: request.channelId !== undefined,
        bot: { id: request.botId ?? '', name: '' },
        members: request.memberId ? [{ id: request.memberId, name: '' }] : [],
        topicName: '',
        tenantId: request.tenantId ?? '',
        activity: (request.activity ?? undefined) as Activity,
        channelData: {
          ...(request.channelId ? { channel: { id: request.channelId } } : {}),
          ...(request.tenantId ? { tenant: { id: request.tenantId } } : {}),
        },
      };
      if (!request.botId) delete (parameters as Partial<ConversationParameters>).bot;
      if (!request.activity) delete (parameters as Partial<ConversationParameters>).activity;
      if (!request.tenantId) delete (parameters as Partial<ConversationParameters>).tenantId;
      let result: ConversationResourceResponse | undefined;
      // A turn on the target service gives botbuilder's authenticated connector client for it.
      await call(request.channelId ? 'post in a channel' : 'open a personal chat', () =>
        continueIn({ serviceUrl: request.serviceUrl, conversationId: request.channelId ?? request.memberId ?? '', tenantId: request.tenantId, botId: request.botId }, async (context) => {
          result = await connectorOf(context).conversations.createConversation(parameters);
        }),
      );
      if (!result?.id) throw new ConnectorError('the Bot Connector created a conversation without an id', undefined, undefined);
      return { conversationId: result.id, activityId: result.activityId || undefined };
    },

    async listMembers(to, limit) {
      const members: ConversationMember[] = [];
      await call('list the members of a conversation', () =>
        continueIn(to, async (context) => {
          const client = connectorOf(context);
          let continuationToken: string | undefined;
          do {
            const page = await client.conversations.getConversationPagedMembers(to.conversationId, { pageSize: 500, ...(continuationToken ? { continuationToken } : {}) });
            for (const member of page.members ?? []) members.push({ id: member.id, aadObjectId: member.aadObjectId });
            continuationToken = page.continuationToken || undefined;
          } while (continuationToken && members.length < limit);
        }),
      );
      return members.slice(0, limit);
    },

    async update(to, activityId, activity) {
      await call('update a message', () =>
        continueIn(to, async (context) => {
          await context.updateActivity({ ...activity, id: activityId } as Partial<Activity>);
        }),
      );
    },
  };
}

/**
 * The public cloud's settings with another source of channel signing keys. botbuilder takes either
 * none of these settings (and uses its built-in public cloud) or all of them.
 */
function publicCloudWithKeysFrom(openIdMetadataUrl: string): Record<string, string> {
  return {
    ToChannelFromBotLoginUrl: 'https://login.microsoftonline.com/botframework.com',
    ToChannelFromBotOAuthScope: 'https://api.botframework.com',
    ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
    OAuthUrl: 'https://api.botframework.com',
    ToBotFromChannelOpenIdMetadataUrl: openIdMetadataUrl,
    ToBotFromEmulatorOpenIdMetadataUrl: 'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
    CallerId: 'urn:botframework:azure',
  };
}

/** Runs a Bot Connector call and turns its failure into a ConnectorError with status and Retry-After. */
async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ConnectorError) throw error;
    const { status, retryAfterMs } = describeFailure(error);
    throw new ConnectorError(`the Bot Connector refused to ${what}${status ? ` (HTTP ${status})` : `: ${error instanceof Error ? error.message : String(error)}`}`, status, retryAfterMs, {
      cause: error,
    });
  }
}

function describeFailure(error: unknown): { status: number | undefined; retryAfterMs: number | undefined } {
  const e = error as { statusCode?: unknown; status?: unknown; response?: { status?: unknown; headers?: unknown } } | undefined;
  const raw = e?.statusCode ?? e?.status ?? e?.response?.status;
  const status = typeof raw === 'number' && raw >= 100 && raw < 600 ? raw : undefined;
  const headers = e?.response?.headers as { get?: (name: string) => string | undefined } | Record<string, string> | undefined;
  const header = typeof headers?.get === 'function' ? headers.get('retry-after') : (headers as Record<string, string> | undefined)?.['retry-after'];
  return { status, retryAfterMs: parseRetryAfter(header) };
}

/** Retry-After in seconds or as an HTTP date, in milliseconds. */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

type AuthenticateRequestResult = Awaited<ReturnType<ConfigurationBotFrameworkAuthentication['authenticateRequest']>>;

/**
 * CloudAdapter, run on a request already authenticated. `CloudAdapter.process` would authenticate
 * again and print every refusal's stack trace to stderr: a flood of forged requests would flood the log.
 */
class TurnAdapter extends CloudAdapter {
  runAuthenticated(identity: AuthenticateRequestResult, activity: Activity, logic: (context: TurnContext) => Promise<void>): Promise<{ status: number; body?: unknown } | undefined> {
    return this.processActivity(identity, activity, logic);
  }
}

// botbuilder accepts tokens up to 5 minutes past their expiry.
const EXPIRY_TOLERANCE_SECONDS = 300;

/**
 * What the Authorization header alone shows is wrong, checked without a key: not `Bearer` and a JWT's
 * shape (three base64url parts, a JSON header naming an algorithm), or expired (botbuilder would
 * print the stack trace of every expired token it is shown). Undefined when only the signature can tell.
 */
export function bearerTokenProblem(authorization: string | string[] | undefined, nowMs: number): 'no token' | 'expired token' | undefined {
  if (typeof authorization !== 'string' || authorization.length > 16_384) return 'no token';
  const match = /^Bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/i.exec(authorization.trim());
  if (!match) return 'no token';
  try {
    const header = JSON.parse(Buffer.from(match[1]!, 'base64url').toString('utf8')) as { alg?: unknown };
    if (typeof header.alg !== 'string' || header.alg.toLowerCase() === 'none') return 'no token';
    const payload = JSON.parse(Buffer.from(match[2]!, 'base64url').toString('utf8')) as { exp?: unknown };
    if (typeof payload.exp === 'number' && payload.exp + EXPIRY_TOLERANCE_SECONDS < nowMs / 1000) return 'expired token';
  } catch {
    return 'no token';
  }
  return undefined;
}

/** What botbuilder's own request handling does to an activity: its timestamps become Dates. */
function withDates(activity: Record<string, unknown>): Record<string, unknown> {
  const fixed = { ...activity };
  for (const [field, raw] of [['timestamp', 'rawTimestamp'], ['expiration', 'rawExpiration'], ['localTimestamp', 'rawLocalTimestamp']] as const) {
    const value = fixed[field];
    if (typeof value === 'string') {
      fixed[raw] = value;
      fixed[field] = new Date(value);
    }
  }
  return fixed;
}
