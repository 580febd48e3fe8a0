import { createHmac, randomBytes } from 'node:crypto';

/**
 * The other half of a fake Slack: sends jitbot what Slack sends it (slash commands as form bodies,
 * interactivity as `payload=`, events as JSON), signed with the signing secret the way Slack signs,
 * and measures how long each signed request took to be acknowledged.
 */
export class FakeSlackSender {
  /** Milliseconds from send to HTTP response, for every correctly signed request. */
  readonly ackLatencies: number[] = [];

  constructor(
    private readonly options: { baseUrl: () => string; signingSecret: string; teamId?: string },
  ) {}

  signature(timestampSec: number, body: string, secret = this.options.signingSecret): string {
    return `v0=${createHmac('sha256', secret).update(`v0:${timestampSec}:${body}`).digest('hex')}`;
  }

  /** POSTs a body to /slack/events, signed unless told otherwise. */
  async post(
    body: string,
    options: { contentType?: string; timestampSec?: number; signature?: string | null; timestampHeader?: string | null; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; text: string; ms: number }> {
    const ts = options.timestampSec ?? Math.floor(Date.now() / 1000);
    const defaultType = body.startsWith('{') ? 'application/json' : 'application/x-www-form-urlencoded';
    const headers: Record<string, string> = { 'content-type': options.contentType ?? defaultType, ...options.headers };
    if (options.timestampHeader !== null) headers['x-slack-request-timestamp'] = options.timestampHeader ?? String(ts);
    if (options.signature !== null) headers['x-slack-signature'] = options.signature ?? this.signature(ts, body);
    const started = performance.now();
    const response = await fetch(`${this.options.baseUrl()}/slack/events`, { method: 'POST', headers, body });
    const text = await response.text();
    const ms = performance.now() - started;
    const signedCorrectly = options.signature === undefined && options.timestampHeader === undefined && options.timestampSec === undefined;
    if (signedCorrectly && response.status === 200) this.ackLatencies.push(ms);
    return { status: response.status, text, ms };
  }

  /** A slash command, as Slack posts it. */
  command(input: { userId: string; text: string; responseUrl: string; triggerId?: string; channelId?: string; command?: string }): string {
    return new URLSearchParams({
      token: 'deprecated-verification-token',
      team_id: this.options.teamId ?? 'T0FAKE',
      team_domain: 'fake',
      channel_id: input.channelId ?? 'C0GENERAL',
      channel_name: 'general',
      user_id: input.userId,
      user_name: input.userId.toLowerCase(),
      command: input.command ?? '/jit',
      text: input.text,
      api_app_id: 'A0JITBOT',
      is_enterprise_install: 'false',
      response_url: input.responseUrl,
      trigger_id: input.triggerId ?? `${Date.now()}.${randomBytes(3).toString('hex')}.untracked`,
    }).toString();
  }

  /** A block_actions payload: a button click on a message (with response_url) or on the Home tab (without). */
  buttonClick(input: {
    userId: string;
    actionId: string;
    value: string;
    responseUrl?: string;
    triggerId?: string;
    channelId?: string;
    messageTs?: string;
    fromHome?: boolean;
  }): string {
    const payload = {
      type: 'block_actions',
      user: { id: input.userId, username: input.userId.toLowerCase(), name: input.userId.toLowerCase(), team_id: this.options.teamId ?? 'T0FAKE' },
      api_app_id: 'A0JITBOT',
      token: 'deprecated-verification-token',
      container: input.fromHome
        ? { type: 'view', view_id: 'VHOME' }
        : { type: 'message', message_ts: input.messageTs ?? '1.000001', channel_id: input.channelId ?? 'C0APPROVALS', is_ephemeral: false },
      trigger_id: input.triggerId ?? `${Date.now()}.${randomBytes(3).toString('hex')}.untracked`,
      team: { id: this.options.teamId ?? 'T0FAKE', domain: 'fake' },
      enterprise: null,
      is_enterprise_install: false,
      ...(input.fromHome
        ? { view: { id: 'VHOME', type: 'home', hash: 'h', private_metadata: '', blocks: [], state: { values: {} } } }
        : {
            channel: { id: input.channelId ?? 'C0APPROVALS', name: 'approvals' },
            message: { ts: input.messageTs ?? '1.000001', type: 'message', text: 'card' },
            response_url: input.responseUrl,
          }),
      actions: [
        {
          type: 'button',
          action_id: input.actionId,
          block_id: 'b1',
          text: { type: 'plain_text', text: input.actionId },
          value: input.value,
          action_ts: `${Date.now() / 1000}`,
        },
      ],
    };
    return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  }

  /** A block_actions payload from a static_select inside a modal (the request form's resource choice). */
  selectInView(input: { userId: string; actionId: string; blockId: string; value: string; view: { id: string; hash: string; private_metadata?: string } }): string {
    const payload = {
      type: 'block_actions',
      user: { id: input.userId, team_id: this.options.teamId ?? 'T0FAKE' },
      api_app_id: 'A0JITBOT',
      container: { type: 'view', view_id: input.view.id },
      trigger_id: `${Date.now()}.${randomBytes(3).toString('hex')}.untracked`,
      team: { id: this.options.teamId ?? 'T0FAKE' },
      view: { id: input.view.id, hash: input.view.hash, type: 'modal', private_metadata: input.view.private_metadata ?? '', state: { values: {} } },
      actions: [
        {
          type: 'static_select',
          action_id: input.actionId,
          block_id: input.blockId,
          selected_option: { text: { type: 'plain_text', text: input.value }, value: input.value },
          action_ts: `${Date.now() / 1000}`,
        },
      ],
    };
    return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  }

  /** A view_submission payload for a modal jitbot opened, with the values typed into it. */
  viewSubmission(input: {
    userId: string;
    callbackId: string;
    privateMetadata: string;
    values: Record<string, Record<string, { type: string; value?: string | null; selected_option?: { value: string } | null }>>;
  }): string {
    const payload = {
      type: 'view_submission',
      team: { id: this.options.teamId ?? 'T0FAKE', domain: 'fake' },
      user: { id: input.userId, team_id: this.options.teamId ?? 'T0FAKE' },
      api_app_id: 'A0JITBOT',
      token: 'deprecated-verification-token',
      trigger_id: `${Date.now()}.${randomBytes(3).toString('hex')}.untracked`,
      view: {
        id: `V${randomBytes(4).toString('hex').toUpperCase()}`,
        type: 'modal',
        callback_id: input.callbackId,
        private_metadata: input.privateMetadata,
        hash: 'h',
        blocks: [],
        state: { values: input.values },
        app_id: 'A0JITBOT',
        team_id: this.options.teamId ?? 'T0FAKE',
      },
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    };
    return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  }

  /** An Events API envelope (JSON). */
  event(event: Record<string, unknown>): string {
    return JSON.stringify({
      token: 'deprecated-verification-token',
      team_id: this.options.teamId ?? 'T0FAKE',
      api_app_id: 'A0JITBOT',
      event: { event_ts: `${Date.now() / 1000}`, ...event },
      type: 'event_callback',
      event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ enterprise_id: null, team_id: this.options.teamId ?? 'T0FAKE', user_id: 'U0BOT', is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
    });
  }

  /** p50 / p99 / max of the acknowledged requests so far. */
  latencySummary(): { count: number; p50: number; p99: number; max: number } {
    const sorted = [...this.ackLatencies].sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
    return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0 };
  }
}
