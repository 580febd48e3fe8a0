import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '../support/wait-for.js';

/** Slack JSON as the fake and the tests read it: untyped by nature. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** One Web API call as the fake received it (arguments decoded: `blocks` and `view` are objects). */
export interface SlackCall {
  method: string;
  args: Json;
  at: number;
  /** The fault the fake answered with instead of the normal answer, if any. */
  fault?: string;
  /** The `error` of an ok:false answer (a fault or a validation failure). */
  error?: string;
}

/** A POST to a response_url handed out by the fake. */
export interface ResponseUrlPost {
  tag: string;
  body: Json;
  at: number;
}

/** A programmed failure, consumed one per call. */
export type SlackFault =
  | { kind: 'rate_limited'; retryAfter: string }
  | { kind: 'http'; status: number }
  | { kind: 'error'; error: string }
  | { kind: 'slow'; delayMs: number };

interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  updates: number;
}

interface StoredView {
  id: string;
  hash: string;
  view: Json;
}

// Block Kit limits as Slack documents them: a call breaking one is answered `invalid_blocks`, as Slack does.
const MESSAGE_BLOCKS = 50;
const VIEW_BLOCKS = 100;

/**
 * A fake of Slack's Web API on loopback: records every call, answers as Slack does for the methods
 * jitbot uses (auth.test, bots.info, conversations.open, chat.postMessage / update / postEphemeral, views.open /
 * update / publish), validates Block Kit limits, hands out response_urls and trigger ids (3 s, single
 * use), and fails on demand: 429 with Retry-After, `ok:false` errors, 5xx, slow answers.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly responses: ResponseUrlPost[] = [];
  readonly messages = new Map<string, StoredMessage>();
  readonly views = new Map<string, StoredView>();
  /** The last Home tab published per user. */
  readonly homes = new Map<string, Json>();
  readonly botToken: string;
  private readonly faults = new Map<string, { fault: SlackFault; when: (args: Json) => boolean; remaining: number }[]>();
  private readonly triggers = new Map<string, { issuedAt: number; used: boolean }>();
  private server: http.Server | undefined;
  private port = 0;
  private tsCounter = 0;

  /** The app-level token `apps.connections.open` accepts (Socket Mode). */
  readonly appToken: string;
  /** Where `apps.connections.open` sends the app: a {@link FakeSlackSocket}'s url. */
  socketModeUrl: (() => string) | undefined;

  constructor(options: { botToken?: string; appToken?: string } = {}) {
    this.botToken = options.botToken ?? `xoxb-test-${randomBytes(6).toString('hex')}`;
    this.appToken = options.appToken ?? `xapp-1-A0JITBOT-${randomBytes(6).toString('hex')}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }

  /** SLACK_API_URL for jitbot. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /** A response_url for one interaction; what jitbot posts to it is kept under `tag`. */
  responseUrl(tag: string): string {
    return `http://127.0.0.1:${this.port}/response/${encodeURIComponent(tag)}`;
  }

  /** A trigger id as Slack issues with an interaction: valid for 3 seconds, once. */
  triggerId(): string {
    const id = `${Date.now()}.${randomBytes(4).toString('hex')}.trigger`;
    this.triggers.set(id, { issuedAt: Date.now(), used: false });
    return id;
  }

  /**
   * Fails the next `times` calls of `method` (those `when` accepts, e.g. only DMs) with `fault`;
   * `Infinity` fails them until {@link clearFaults}.
   */
  fail(method: string, fault: SlackFault, times = 1, when: (args: Json) => boolean = () => true): void {
    const list = this.faults.get(method) ?? [];
    list.push({ fault, when, remaining: times });
    this.faults.set(method, list);
  }

  clearFaults(method?: string): void {
    if (method) this.faults.delete(method);
    else this.faults.clear();
  }

  callsOf(method: string, predicate: (call: SlackCall) => boolean = () => true): SlackCall[] {
    return this.calls.filter((c) => c.method === method && predicate(c));
  }

  /** Successful calls only. */
  okCallsOf(method: string, predicate: (call: SlackCall) => boolean = () => true): SlackCall[] {
    return this.callsOf(method, (c) => c.fault === undefined && c.error === undefined && predicate(c));
  }

  responsesTo(tag: string): ResponseUrlPost[] {
    return this.responses.filter((r) => r.tag === tag);
  }

  async waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    return waitFor(`fake Slack: ${what}`, check, timeoutMs, 25);
  }

  /** The answer posted to a response_url, once it arrives. */
  async waitForResponse(tag: string, timeoutMs = 10_000): Promise<ResponseUrlPost> {
    return this.waitFor(`a response to ${tag}`, () => this.responsesTo(tag)[0], timeoutMs);
  }

  /** The DM channel the fake gives a user. */
  dmChannelOf(userId: string): string {
    return `D${userId.slice(1)}`;
  }

  /** Every message posted into a channel (chat.postMessage that succeeded), oldest first. */
  messagesIn(channel: string): StoredMessage[] {
    return [...this.messages.values()].filter((m) => m.channel === channel);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/response/')) {
      let body: Json;
      try {
        body = JSON.parse(raw) as Json;
      } catch {
        body = { raw };
      }
      this.responses.push({ tag: decodeURIComponent(url.pathname.slice('/response/'.length)), body, at: Date.now() });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (!url.pathname.startsWith('/api/')) {
      res.writeHead(404).end();
      return;
    }
    const method = url.pathname.slice('/api/'.length);
    const args = decodeArgs(String(req.headers['content-type'] ?? ''), raw);
    const call: SlackCall = { method, args, at: Date.now() };
    this.calls.push(call);

    const pending = this.faults.get(method) ?? [];
    const entry = pending.find((f) => f.remaining > 0 && f.when(args));
    if (entry) entry.remaining--;
    const fault = entry?.fault;
    if (fault) {
      call.fault = fault.kind;
      switch (fault.kind) {
        case 'rate_limited':
          res.writeHead(429, { 'retry-after': fault.retryAfter, 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: 'ratelimited' }));
          return;
        case 'http':
          res.writeHead(fault.status, { 'content-type': 'text/plain' }).end('upstream trouble');
          return;
        case 'error':
          call.error = fault.error;
          return json(res, { ok: false, error: fault.error });
        case 'slow':
          await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
          if (res.destroyed || req.destroyed) return;
      }
    }

    const token = String(req.headers.authorization ?? '').replace(/^Bearer\s+/i, '') || String(args.token ?? '');
    if (!token) return this.refuse(res, call, 'not_authed');
    if (method === 'apps.connections.open') {
      // Only the app-level token opens a Socket Mode connection; a bot token gets not_allowed_token_type.
      if (token !== this.appToken) return this.refuse(res, call, token === this.botToken ? 'not_allowed_token_type' : 'invalid_auth');
      if (!this.socketModeUrl) return this.refuse(res, call, 'socket_mode_not_enabled');
      return json(res, { ok: true, url: this.socketModeUrl() });
    }
    if (token !== this.botToken) return this.refuse(res, call, 'invalid_auth');
    const answer = this.answer(method, args);
    if (answer.ok === false) call.error = String(answer.error);
    json(res, answer);
  }

  private refuse(res: ServerResponse, call: SlackCall, error: string): void {
    call.error = error;
    json(res, { ok: false, error });
  }

  private nextTs(): string {
    this.tsCounter++;
    return `${Math.floor(Date.now() / 1000)}.${String(this.tsCounter).padStart(6, '0')}`;
  }

  private answer(method: string, args: Json): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://fake.slack.test/', team: 'Fake Team', user: 'jitbot', team_id: 'T0FAKE', user_id: 'U0BOT', bot_id: 'B0BOT' };
      case 'bots.info':
        // Slack wants users:read here; the fake answers as if the app had it.
        if (args.bot !== 'B0BOT') return { ok: false, error: 'bot_not_found' };
        return { ok: true, bot: { id: 'B0BOT', deleted: false, name: 'jitbot', app_id: 'A0JITBOT', user_id: 'U0BOT' } };
      case 'conversations.open': {
        const users = String(args.users ?? '');
        if (!users) return { ok: false, error: 'users_list_not_supplied' };
        if (!/^[UW][A-Z0-9]+$/.test(users)) return { ok: false, error: 'user_not_found' };
        return { ok: true, channel: { id: this.dmChannelOf(users) } };
      }
      case 'chat.postMessage': {
        const channel = String(args.channel ?? '');
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (!args.text && !args.blocks) return { ok: false, error: 'no_text' };
        const invalid = checkBlocks(args.blocks, MESSAGE_BLOCKS);
        if (invalid) return { ok: false, error: 'invalid_blocks', errors: [invalid] };
        const resolved = channel.startsWith('U') ? this.dmChannelOf(channel) : channel;
        const ts = this.nextTs();
        this.messages.set(`${resolved}/${ts}`, { channel: resolved, ts, text: String(args.text ?? ''), blocks: args.blocks ?? [], updates: 0 });
        return { ok: true, channel: resolved, ts, message: { text: args.text, blocks: args.blocks, ts } };
      }
      case 'chat.update': {
        const key = `${args.channel}/${args.ts}`;
        const message = this.messages.get(key);
        if (!message) return { ok: false, error: 'message_not_found' };
        const invalid = checkBlocks(args.blocks, MESSAGE_BLOCKS);
        if (invalid) return { ok: false, error: 'invalid_blocks', errors: [invalid] };
        message.text = String(args.text ?? message.text);
        message.blocks = args.blocks ?? message.blocks;
        message.updates++;
        return { ok: true, channel: message.channel, ts: message.ts, text: message.text };
      }
      case 'chat.postEphemeral':
        if (!args.channel || !args.user) return { ok: false, error: 'channel_not_found' };
        return { ok: true, message_ts: this.nextTs() };
      case 'views.open': {
        const trigger = this.triggers.get(String(args.trigger_id ?? ''));
        if (!args.trigger_id) return { ok: false, error: 'invalid_arguments' };
        if (trigger) {
          if (trigger.used) return { ok: false, error: 'exchanged_trigger_id' };
          if (Date.now() - trigger.issuedAt > 3000) return { ok: false, error: 'expired_trigger_id' };
          trigger.used = true;
        }
        return this.storeView(args.view, undefined);
      }
      case 'views.update': {
        const stored = this.views.get(String(args.view_id ?? ''));
        if (!stored) return { ok: false, error: 'not_found' };
        if (args.hash && args.hash !== stored.hash) return { ok: false, error: 'hash_conflict' };
        return this.storeView(args.view, stored.id);
      }
      case 'views.publish': {
        if (!args.user_id) return { ok: false, error: 'invalid_arguments' };
        const result = this.storeView(args.view, undefined);
        if (result.ok) this.homes.set(String(args.user_id), args.view as Json);
        return result;
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private storeView(view: unknown, id: string | undefined): Record<string, unknown> {
    if (!view || typeof view !== 'object') return { ok: false, error: 'invalid_arguments' };
    const v = view as Json;
    const invalid = checkView(v);
    if (invalid) return { ok: false, error: 'invalid_arguments', response_metadata: { messages: [invalid] } };
    const viewId = id ?? `V${randomBytes(5).toString('hex').toUpperCase()}`;
    const stored: StoredView = { id: viewId, hash: randomBytes(6).toString('hex'), view: v };
    this.views.set(viewId, stored);
    return { ok: true, view: { ...v, id: viewId, hash: stored.hash } };
  }
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The WebClient sends form bodies whose nested values are JSON strings. */
function decodeArgs(contentType: string, raw: string): Json {
  if (contentType.includes('application/json')) {
    try {
      return JSON.parse(raw) as Json;
    } catch {
      return {};
    }
  }
  const args: Json = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    if (['blocks', 'view', 'attachments', 'metadata'].includes(key)) {
      try {
        args[key] = JSON.parse(value);
        continue;
      } catch {
        // leave as text
      }
    }
    args[key] = value;
  }
  return args;
}

/** The first Block Kit limit a list of blocks breaks, or undefined. */
export function checkBlocks(blocks: unknown, maxBlocks: number): string | undefined {
  if (blocks === undefined) return undefined;
  if (!Array.isArray(blocks)) return 'blocks must be an array';
  if (blocks.length > maxBlocks) return `more than ${maxBlocks} blocks`;
  for (const [index, block] of blocks.entries()) {
    const problem = checkBlock(block as Json);
    if (problem) return `block ${index}: ${problem}`;
  }
  return undefined;
}

function checkText(text: Json | undefined, max: number, where: string): string | undefined {
  if (!text || typeof text !== 'object') return `${where}: missing text object`;
  if (text.type !== 'plain_text' && text.type !== 'mrkdwn') return `${where}: bad text type`;
  if (typeof text.text !== 'string' || text.text.length < 1) return `${where}: text must not be empty`;
  if (text.text.length > max) return `${where}: text longer than ${max}`;
  return undefined;
}

function checkElement(element: Json, where: string): string | undefined {
  if (typeof element.action_id === 'string' && element.action_id.length > 255) return `${where}: action_id longer than 255`;
  if (element.type === 'button') {
    if (element.text?.type !== 'plain_text') return `${where}: button text must be plain_text`;
    return checkText(element.text, 75, `${where}.text`) ?? (typeof element.value === 'string' && element.value.length > 2000 ? `${where}: value longer than 2000` : undefined);
  }
  if (element.type === 'static_select') {
    const options = (element.options ?? []) as Json[];
    if (options.length > 100) return `${where}: more than 100 options`;
    for (const option of options) {
      const problem =
        checkText(option.text, 75, `${where}.option.text`) ??
        (option.description ? checkText(option.description, 75, `${where}.option.description`) : undefined) ??
        (String(option.value ?? '').length > 150 ? `${where}: option value longer than 150` : undefined);
      if (problem) return problem;
    }
  }
  if (element.type === 'plain_text_input' && typeof element.max_length === 'number' && element.max_length > 3000) return `${where}: max_length over 3000`;
  return undefined;
}

function checkBlock(block: Json): string | undefined {
  if (typeof block.block_id === 'string' && block.block_id.length > 255) return 'block_id longer than 255';
  switch (block.type) {
    case 'header':
      if (block.text?.type !== 'plain_text') return 'header text must be plain_text';
      return checkText(block.text, 150, 'header');
    case 'section': {
      if (block.text) {
        const problem = checkText(block.text, 3000, 'section');
        if (problem) return problem;
      }
      if (block.fields) {
        if (block.fields.length > 10) return 'more than 10 fields';
        for (const field of block.fields) {
          const problem = checkText(field, 2000, 'field');
          if (problem) return problem;
        }
      }
      if (!block.text && !block.fields) return 'section needs text or fields';
      return block.accessory ? checkElement(block.accessory, 'accessory') : undefined;
    }
    case 'context':
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10) return 'context needs 1 to 10 elements';
      for (const element of block.elements) {
        const problem = checkText(element, 3000, 'context');
        if (problem) return problem;
      }
      return undefined;
    case 'actions':
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25) return 'actions needs 1 to 25 elements';
      for (const element of block.elements) {
        const problem = checkElement(element, 'actions');
        if (problem) return problem;
      }
      return undefined;
    case 'input':
      return checkText(block.label, 2000, 'input.label') ?? (block.hint ? checkText(block.hint, 2000, 'input.hint') : undefined) ?? checkElement(block.element ?? {}, 'input');
    case 'divider':
      return undefined;
    default:
      return `unknown block type ${String(block.type)}`;
  }
}

export function checkView(view: Json): string | undefined {
  if (view.type !== 'modal' && view.type !== 'home') return 'view type must be modal or home';
  if (view.type === 'modal') {
    const problem = checkText(view.title, 24, 'title') ?? (view.submit ? checkText(view.submit, 24, 'submit') : undefined) ?? (view.close ? checkText(view.close, 24, 'close') : undefined);
    if (problem) return problem;
    if (Array.isArray(view.blocks) && view.blocks.some((b: Json) => b.type === 'input') && !view.submit) return 'a modal with inputs needs submit';
  }
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000) return 'private_metadata longer than 3000';
  return checkBlocks(view.blocks, VIEW_BLOCKS);
}
