import { createHash } from 'node:crypto';
import type { App, Receiver } from '@slack/bolt';
import { ReceiverMultipleAckError } from '@slack/bolt';
import type { Logger } from '../../core/ports/logger.js';
import type { AdapterState } from '../../core/ports/adapter-state.js';
import type { HttpRequest, HttpResponse, HttpServer } from '../../http/http-server.js';
import { LogThrottle } from '../../http/log-throttle.js';
import { MAX_CLOCK_SKEW_SECONDS, verifySlackSignature } from './verify-slack-signature.js';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackHttpReceiverOptions {
  signingSecret: string;
  /** Replay protection: a signature is accepted once (`claimOnce`). */
  store: Pick<AdapterState, 'claimOnce'>;
  log: Logger;
  now?: () => number;
  /** Answer 200 anyway when no listener has acknowledged after this long (Slack gives up at 3 s). */
  ackTimeoutMs?: number;
  /** Observes how long each dispatched request took to be acknowledged. */
  onAck?: (ms: number, kind: string) => void;
}

// Long enough to cover every timestamp the skew check still accepts (5 minutes either way).
const REPLAY_WINDOW_MS = (2 * MAX_CLOCK_SKEW_SECONDS + 60) * 1000;

type Parsed = { kind: 'dispatch'; body: Record<string, unknown>; label: string } | { kind: 'answer'; response: HttpResponse };

/**
 * Bolt's receiver on jitbot's own HTTP server (`POST /slack/events`): slash commands, interactivity
 * and events all arrive here. Before anything is parsed the raw bytes are checked: body size (413, by
 * the HTTP server), signature and timestamp (401, stale and future alike), then replay (a signed
 * request is dispatched once; a copy gets 200 and does nothing). The HTTP response goes out when a
 * listener calls `ack()`, so listeners answer first and work after (Slack's 3-second rule).
 */
export class SlackHttpReceiver implements Receiver {
  private app: App | undefined;
  private running = false;
  private readonly now: () => number;
  private readonly throttle = new LogThrottle(10_000);

  constructor(private readonly options: SlackHttpReceiverOptions) {
    if (!options.signingSecret || options.signingSecret.trim() === '') {
      throw new Error('SLACK_SIGNING_SECRET is empty: refusing to accept unsigned Slack requests');
    }
    this.now = options.now ?? Date.now;
  }

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  /** Mounts `POST /slack/events` on the shared server. */
  mount(http: HttpServer, path = SLACK_EVENTS_PATH): void {
    http.route('POST', path, (request) => this.handle(request));
  }

  async handle(request: HttpRequest): Promise<HttpResponse> {
    const started = performance.now();
    const app = this.app;
    if (!app || !this.running) return { status: 503, body: { error: 'not ready' }, headers: { 'retry-after': '1' } };

    // Slack's certificate check carries no signature and triggers nothing; anything beside it is dropped (as Bolt does).
    if (isSslCheck(request)) return { status: 200 };

    const check = verifySlackSignature({
      signingSecret: this.options.signingSecret,
      rawBody: request.rawBody,
      signature: request.headers['x-slack-signature'],
      timestamp: request.headers['x-slack-request-timestamp'],
      nowMs: this.now(),
    });
    if (!check.ok) {
      this.throttle.run('auth', (suppressed) =>
        this.options.log.warn({ reason: check.reason, remote: request.raw.socket.remoteAddress, suppressed }, 'slack request refused: bad signature'),
      );
      return { status: 401, body: { error: 'invalid request signature' }, headers: { 'x-slack-no-retry': '1' } };
    }

    const signature = request.headers['x-slack-signature'] as string;
    let first: boolean;
    try {
      first = await this.options.store.claimOnce(`slack-replay:${createHash('sha256').update(signature).digest('hex')}`, REPLAY_WINDOW_MS);
    } catch (error) {
      this.options.log.error({ error: (error as Error).message }, 'slack request not handled: store unavailable');
      return { status: 503, body: { error: 'temporarily unavailable' } };
    }
    if (!first) {
      this.throttle.run('replay', (suppressed) => this.options.log.warn({ suppressed }, 'slack request replayed: answered without effect'));
      return { status: 200 };
    }

    const parsed = parseBody(request);
    if (parsed.kind === 'answer') return parsed.response;

    return this.dispatch(app, parsed.body, parsed.label, request, started);
  }

  private dispatch(app: App, body: Record<string, unknown>, label: string, request: HttpRequest, started: number): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve) => {
      let acked = false;
      const answer = (response: HttpResponse, how: string): void => {
        if (acked) return;
        acked = true;
        clearTimeout(timer);
        const ms = performance.now() - started;
        this.options.onAck?.(ms, label);
        this.options.log.debug({ kind: label, ms: Math.round(ms * 10) / 10, how }, 'slack request acknowledged');
        resolve(response);
      };
      const timer = setTimeout(() => {
        this.options.log.error({ kind: label }, 'no Slack listener acknowledged in time; answered 200 to keep within the 3 s limit');
        answer({ status: 200 }, 'timeout');
      }, this.options.ackTimeoutMs ?? 2500);
      const ack = async (response?: unknown): Promise<void> => {
        if (acked) throw new ReceiverMultipleAckError();
        answer(ackResponse(response), 'ack');
      };
      const retryNum = header(request, 'x-slack-retry-num');
      const retryReason = header(request, 'x-slack-retry-reason');
      app
        .processEvent({
          body,
          ack,
          ...(retryNum !== undefined && /^\d+$/.test(retryNum) ? { retryNum: Number(retryNum) } : {}),
          ...(retryReason !== undefined ? { retryReason } : {}),
        })
        .then(
          // Nothing matched (an unknown action, an event jitbot does not use): still a 200.
          () => answer({ status: 200 }, 'no listener'),
          (error: unknown) => {
            this.options.log.error({ kind: label, error: error instanceof Error ? error.message : String(error) }, 'slack listener failed');
            answer({ status: 200 }, 'error');
          },
        );
    });
  }
}

function header(request: HttpRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function contentType(request: HttpRequest): string {
  return String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

function isSslCheck(request: HttpRequest): boolean {
  if (contentType(request) !== 'application/x-www-form-urlencoded' || request.rawBody.length > 4096) return false;
  return new URLSearchParams(request.rawBody.toString('utf8')).get('ssl_check') === '1';
}

const bad = (error: string): Parsed => ({ kind: 'answer', response: { status: 400, body: { error } } });

/** Signed bytes → the body Bolt expects: JSON events, form slash commands, and `payload=` interactivity. */
function parseBody(request: HttpRequest): Parsed {
  const text = request.rawBody.toString('utf8');
  const type = contentType(request);
  let body: unknown;
  if (type === 'application/json') {
    try {
      body = JSON.parse(text);
    } catch {
      return bad('malformed JSON');
    }
  } else if (type === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(text);
    const payload = form.get('payload');
    if (payload !== null) {
      try {
        body = JSON.parse(payload);
      } catch {
        return bad('malformed payload');
      }
    } else {
      body = Object.fromEntries(form.entries());
    }
  } else {
    return bad('unsupported content type');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return bad('expected an object');
  const record = body as Record<string, unknown>;
  if (record.type === 'url_verification') {
    return { kind: 'answer', response: { status: 200, body: { challenge: typeof record.challenge === 'string' ? record.challenge : '' } } };
  }
  const label = typeof record.command === 'string' ? 'command' : typeof record.type === 'string' ? record.type : 'unknown';
  if (label === 'unknown') return bad('not a Slack command, interaction or event');
  return { kind: 'dispatch', body: record, label };
}

function ackResponse(response: unknown): HttpResponse {
  if (response === undefined || response === null || response === '') return { status: 200 };
  if (typeof response === 'string') return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: response };
  return { status: 200, body: response as object };
}
