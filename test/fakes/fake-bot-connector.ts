// A fake Bot Connector service (the `serviceUrl` Teams gives a bot) on loopback. It records what the
// bot creates and updates, answers like the real service, and can be told to fail with 429 or 5xx.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call the bot made. `conversationId` and `activityId` are decoded from the URL. */
export interface ConnectorCall {
  seq: number;
  method: string;
  path: string;
  kind: 'create-conversation' | 'send' | 'reply' | 'update' | 'members' | 'other';
  conversationId?: string;
  activityId?: string;
  authorization?: string;
  body: Record<string, unknown>;
  /** The HTTP status the fake answered with. */
  status: number;
}

/** A message as it stands now: where it is, and every version the bot wrote (first = posted). */
export interface ConnectorMessage {
  activityId: string;
  conversationId: string;
  /** The Teams channel id for channel posts. */
  channelId?: string;
  versions: Record<string, unknown>[];
}

export interface Failure {
  status: number;
  retryAfterSeconds?: number;
  /** Which calls fail (default: every kind). */
  kinds?: ConnectorCall['kind'][];
}

export class FakeBotConnector {
  readonly calls: ConnectorCall[] = [];
  readonly messages = new Map<string, ConnectorMessage>();
  private readonly failures: Failure[] = [];
  private readonly rosters = new Map<string, { id: string; name?: string; aadObjectId?: string }[]>();
  private server!: http.Server;
  private nextId = 1000;
  url = '';

  static async start(): Promise<FakeBotConnector> {
    const fake = new FakeBotConnector();
    fake.server = http.createServer((req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}/`;
    return fake;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** The next `count` matching calls fail with this status (and Retry-After, if given). */
  failNext(count: number, failure: Failure): void {
    for (let i = 0; i < count; i++) this.failures.push(failure);
  }

  /** The members `GET /v3/conversations/{id}/pagedmembers` lists for a team or chat. */
  setRoster(conversationId: string, members: { id: string; name?: string; aadObjectId?: string }[]): void {
    this.rosters.set(conversationId, members);
  }

  /** Calls that reached the fake and were answered with success. */
  succeeded(kind?: ConnectorCall['kind']): ConnectorCall[] {
    return this.calls.filter((c) => c.status < 300 && (kind === undefined || c.kind === kind));
  }

  /** Every message activity the bot sent into a conversation (sends, replies and first posts of created threads). */
  sentTo(conversationId: string): Record<string, unknown>[] {
    return [...this.messages.values()].filter((m) => m.conversationId === conversationId).map((m) => m.versions[0]!);
  }

  /** Messages posted as new threads in a Teams channel. */
  channelPosts(channelId: string): ConnectorMessage[] {
    return [...this.messages.values()].filter((m) => m.channelId === channelId);
  }

  /** The current version of a message. */
  current(activityId: string): Record<string, unknown> | undefined {
    const message = this.messages.get(activityId);
    return message?.versions[message.versions.length - 1];
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown>;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = { unparsed: text };
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const call: ConnectorCall = {
      seq: this.calls.length + 1,
      method: req.method ?? 'GET',
      path: url.pathname,
      kind: 'other',
      body,
      status: 200,
      ...(typeof req.headers.authorization === 'string' ? { authorization: req.headers.authorization } : {}),
    };
    // /v3/conversations[/{conversationId}/activities[/{activityId}]]
    if (parts[0] === 'v3' && parts[1] === 'conversations') {
      if (parts.length === 2 && call.method === 'POST') call.kind = 'create-conversation';
      else if (parts.length === 4 && parts[3] === 'activities' && call.method === 'POST') call.kind = 'send';
      else if (parts.length === 5 && parts[3] === 'activities' && call.method === 'POST') call.kind = 'reply';
      else if (parts.length === 5 && parts[3] === 'activities' && call.method === 'PUT') call.kind = 'update';
      else if (parts.length === 4 && parts[3] === 'pagedmembers' && call.method === 'GET') call.kind = 'members';
      if (parts[2] !== undefined) call.conversationId = parts[2];
      if (parts[4] !== undefined) call.activityId = parts[4];
    }
    this.calls.push(call);

    const failureAt = this.failures.findIndex((f) => !f.kinds || f.kinds.includes(call.kind));
    if (failureAt >= 0) {
      const failure = this.failures.splice(failureAt, 1)[0]!;
      call.status = failure.status;
      res.writeHead(failure.status, {
        'content-type': 'application/json',
        ...(failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {}),
      });
      res.end(JSON.stringify({ error: { code: failure.status === 429 ? 'Throttled' : 'ServiceError', message: 'programmed failure' } }));
      return;
    }

    const json = (status: number, value: unknown) => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    switch (call.kind) {
      case 'create-conversation': {
        const channelData = (body.channelData ?? {}) as { channel?: { id?: string } };
        const members = (body.members ?? []) as { id?: string }[];
        const activity = body.activity as Record<string, unknown> | undefined;
        if (channelData.channel?.id) {
          const activityId = String(this.nextId++);
          const conversationId = `${channelData.channel.id};messageid=${activityId}`;
          if (activity) this.messages.set(activityId, { activityId, conversationId, channelId: channelData.channel.id, versions: [activity] });
          return json(201, { id: conversationId, activityId });
        }
        if (members[0]?.id) return json(200, { id: `a:personal-${members[0].id}` });
        return json(400, { error: { code: 'BadArgument', message: 'members or channelData.channel needed' } });
      }
      case 'send':
      case 'reply': {
        const activityId = String(this.nextId++);
        this.messages.set(activityId, { activityId, conversationId: call.conversationId!, versions: [body] });
        return json(201, { id: activityId });
      }
      case 'members': {
        // Pages of `pageSize`, the continuation token being the next index.
        const roster = this.rosters.get(call.conversationId!);
        if (!roster) return json(404, { error: { code: 'ConversationNotFound', message: 'no such conversation' } });
        const size = Number(url.searchParams.get('pageSize') ?? 100) || 100;
        const start = Number(url.searchParams.get('continuationToken') ?? 0) || 0;
        const next = start + size < roster.length ? String(start + size) : undefined;
        return json(200, { members: roster.slice(start, start + size), ...(next ? { continuationToken: next } : {}) });
      }
      case 'update': {
        const message = this.messages.get(call.activityId!);
        if (!message) return json(404, { error: { code: 'NotFound', message: 'no such activity' } });
        message.versions.push(body);
        return json(200, { id: call.activityId });
      }
      default:
        return json(404, { error: { code: 'NotFound', message: `${call.method} ${call.path}` } });
    }
  }
}
