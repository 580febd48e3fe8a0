import type { App } from '@slack/bolt';
import { ReceiverMultipleAckError } from '@slack/bolt';
import { describe, expect, it, vi } from 'vitest';
import { SlackHttpReceiver } from '../../../../src/chat/slack/slack-http-receiver.js';
import { slackSignature } from '../../../../src/chat/slack/verify-slack-signature.js';
import { silentLogger } from '../../../../src/core/ports/logger.js';
import type { HttpRequest } from '../../../../src/http/http-server.js';
import { timing } from '../../../support/timing.js';

const SECRET = 'unit-secret';

interface Dispatched {
  body: Record<string, unknown>;
  retryNum?: number;
  ack: (response?: unknown) => Promise<void>;
}

function setup(listener: (event: Dispatched) => Promise<void>, options: { claimOnce?: () => Promise<boolean>; ackTimeoutMs?: number } = {}) {
  const seen = new Set<string>();
  const dispatched: Dispatched[] = [];
  const receiver = new SlackHttpReceiver({
    signingSecret: SECRET,
    store: { claimOnce: options.claimOnce ?? (async (key: string) => (seen.has(key) ? false : (seen.add(key), true))) },
    log: silentLogger,
    ackTimeoutMs: options.ackTimeoutMs ?? 2500,
  });
  const app = {
    processEvent: vi.fn(async (event: Dispatched) => {
      dispatched.push(event);
      await listener(event);
    }),
  };
  receiver.init(app as unknown as App);
  return { receiver, app, dispatched };
}

function request(body: string, options: { contentType?: string; ts?: number; signature?: string; headers?: Record<string, string> } = {}): HttpRequest {
  const ts = options.ts ?? Math.floor(Date.now() / 1000);
  return {
    method: 'POST',
    path: '/slack/events',
    query: new URLSearchParams(),
    headers: {
      'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': options.signature ?? slackSignature(SECRET, ts, body),
      ...options.headers,
    },
    rawBody: Buffer.from(body),
    raw: { socket: { remoteAddress: '127.0.0.1' } } as HttpRequest['raw'],
  };
}

const command = (text = 'help') => new URLSearchParams({ command: '/jit', text, user_id: 'U1', team_id: 'T1', response_url: 'http://x/r' }).toString();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SlackHttpReceiver', () => {
  it('refuses to exist without a signing secret', () => {
    expect(() => new SlackHttpReceiver({ signingSecret: '', store: { claimOnce: async () => true }, log: silentLogger })).toThrow(/SLACK_SIGNING_SECRET is empty/);
    expect(() => new SlackHttpReceiver({ signingSecret: '  ', store: { claimOnce: async () => true }, log: silentLogger })).toThrow(/empty/);
  });

  it('answers 503 until started', async () => {
    const { receiver, app } = setup(async ({ ack }) => ack());
    expect((await receiver.handle(request(command()))).status).toBe(503);
    expect(app.processEvent).not.toHaveBeenCalled();
  });

  it('answers at ack(), while the listener goes on working', async () => {
    // The listener works until the test lets it finish: an answer that waited for it would never come.
    let finished = false;
    let release = () => {};
    const working = new Promise<void>((resolve) => (release = resolve));
    const { receiver } = setup(async ({ ack }) => {
      await ack();
      await working;
      finished = true;
    });
    await receiver.start();
    const started = Date.now();
    const response = await receiver.handle(request(command()));
    expect(response).toEqual({ status: 200 });
    timing('answered at ack()', Date.now() - started, 200);
    expect(finished).toBe(false);
    release();
  });

  it('sends what ack() is given: JSON for objects (view errors), text for strings', async () => {
    const errors = { response_action: 'errors', errors: { reason: 'Say why.' } };
    const json = setup(async ({ ack }) => ack(errors));
    await json.receiver.start();
    expect(await json.receiver.handle(request(command()))).toEqual({ status: 200, body: errors });
    const text = setup(async ({ ack }) => ack('ok'));
    await text.receiver.start();
    expect((await text.receiver.handle(request(command()))).body).toBe('ok');
  });

  it('refuses a second ack', async () => {
    let second: unknown;
    const { receiver } = setup(async ({ ack }) => {
      await ack();
      second = await ack().catch((error: unknown) => error);
    });
    await receiver.start();
    await receiver.handle(request(command()));
    await sleep(20);
    expect(second).toBeInstanceOf(ReceiverMultipleAckError);
  });

  it('answers 200 when nothing acknowledged in time, or nothing matched', async () => {
    // The listener never acks and works until the test ends: only the ack timeout can answer.
    let release = () => {};
    const working = new Promise<void>((resolve) => (release = resolve));
    const silent = setup(async () => {
      await working;
    }, { ackTimeoutMs: 100 });
    await silent.receiver.start();
    const started = Date.now();
    expect((await silent.receiver.handle(request(command()))).status).toBe(200);
    timing('answered at the ack timeout (100 ms)', Date.now() - started, 600);
    release();
    const unmatched = setup(async () => {});
    await unmatched.receiver.start();
    expect((await unmatched.receiver.handle(request(command()))).status).toBe(200);
  });

  it('dispatches a signed request once: a replay gets 200 and no effect', async () => {
    const { receiver, dispatched } = setup(async ({ ack }) => ack());
    await receiver.start();
    const signed = request(command('approve JIT-1'));
    expect((await receiver.handle(signed)).status).toBe(200);
    expect((await receiver.handle(signed)).status).toBe(200);
    expect(dispatched).toHaveLength(1);
  });

  it('fails closed (503) when replay protection cannot be checked', async () => {
    const { receiver, dispatched } = setup(async ({ ack }) => ack(), {
      claimOnce: async () => {
        throw new Error('redis down');
      },
    });
    await receiver.start();
    expect((await receiver.handle(request(command()))).status).toBe(503);
    expect(dispatched).toHaveLength(0);
  });

  it('refuses bad signatures and stale or future timestamps before parsing, with 401', async () => {
    const { receiver, dispatched } = setup(async ({ ack }) => ack());
    await receiver.start();
    const now = Math.floor(Date.now() / 1000);
    const body = command();
    expect((await receiver.handle(request(body, { signature: slackSignature('other', now, body) }))).status).toBe(401);
    expect((await receiver.handle(request(body, { ts: now - 301 }))).status).toBe(401);
    expect((await receiver.handle(request(body, { ts: now + 301 }))).status).toBe(401);
    expect((await receiver.handle(request('payload={not json', { signature: slackSignature('other', now, 'payload={not json') }))).status).toBe(401);
    expect(dispatched).toHaveLength(0);
  });

  it('parses forms, payload= interactivity and JSON events, passes retry headers, and answers url_verification and ssl_check itself', async () => {
    const { receiver, dispatched } = setup(async ({ ack }) => ack());
    await receiver.start();
    await receiver.handle(request(command('list')));
    await receiver.handle(request(new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U1' }, actions: [] }) }).toString()));
    const event = JSON.stringify({ type: 'event_callback', team_id: 'T1', event: { type: 'app_home_opened', user: 'U1', tab: 'home' } });
    await receiver.handle(request(event, { contentType: 'application/json; charset=utf-8', headers: { 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' } }));
    expect(dispatched.map((d) => d.body.command ?? d.body.type)).toEqual(['/jit', 'block_actions', 'event_callback']);
    expect(dispatched[2]).toMatchObject({ retryNum: 2, retryReason: 'http_timeout' });

    const challenge = JSON.stringify({ type: 'url_verification', challenge: 'abc' });
    expect(await receiver.handle(request(challenge, { contentType: 'application/json' }))).toEqual({ status: 200, body: { challenge: 'abc' } });
    expect((await receiver.handle(request('ssl_check=1&payload=%7B%22type%22%3A%22block_actions%22%7D', { signature: 'v0=bad' }))).status).toBe(200);
    expect((await receiver.handle(request('ssl_check=1x', { signature: 'v0=bad' }))).status).toBe(401);
    expect(dispatched).toHaveLength(3);
  });

  it('answers 400 to signed bodies that are not Slack requests', async () => {
    const { receiver, dispatched } = setup(async ({ ack }) => ack());
    await receiver.start();
    expect((await receiver.handle(request('payload=%7Bbroken'))).status).toBe(400);
    expect((await receiver.handle(request('[1,2]', { contentType: 'application/json' }))).status).toBe(400);
    expect((await receiver.handle(request('{"x":1}', { contentType: 'application/json' }))).status).toBe(400);
    expect((await receiver.handle(request('hi', { contentType: 'text/plain' }))).status).toBe(400);
    expect(dispatched).toHaveLength(0);
  });
});
