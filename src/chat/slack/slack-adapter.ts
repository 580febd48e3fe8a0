import { App, SocketModeReceiver, type Receiver } from '@slack/bolt';
import type { AdapterState } from '../../core/ports/adapter-state.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Notifier } from '../../core/ports/notifier.js';
import type { JitCore } from '../../core/services/create-core.js';
import type { HttpServer } from '../../http/http-server.js';
import { HomePublisher } from './app-home.js';
import { InstallationConflictError, InstallationGuard } from './installation-guard.js';
import type { PinnedBySettings } from './installation-pin.js';
import { registerListeners } from './listeners/register-listeners.js';
import { SlackHttpReceiver } from './slack-http-receiver.js';
import { SlackNotifier } from './slack-notifier.js';
import { TOKEN_ERRORS, boltLogger, createWebClient, slackErrorCode, webClientOptions } from './slack-web-client.js';

export interface SlackAdapterOptions {
  core: JitCore;
  /** The composition root's adapter state: replay claims and who has opened the App Home. */
  state: AdapterState;
  /** The shared HTTP server to mount `POST /slack/events` on; absent in worker-only processes (outbound only). */
  http?: HttpServer;
  mode: 'http' | 'socket';
  botToken: string;
  signingSecret?: string;
  appToken?: string;
  apiUrl?: string;
  /** SLACK_TEAM_ID / SLACK_ENTERPRISE_ID / SLACK_APP_ID: the installation to serve, instead of (or checked against) auth.test. */
  installation?: PinnedBySettings;
  log: Logger;
}

export interface SlackAdapter {
  notifier: Notifier;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Builds the Slack adapter. Outbound (the notifier: DMs, cards, notices, App Home) works in every
 * process. Inbound needs a web process: over HTTP, a Bolt App on jitbot's own server
 * (`POST /slack/events`, signature checked by {@link SlackHttpReceiver}); over Socket Mode, Bolt's
 * SocketModeReceiver with the app-level token. A worker-only process (no `http`) opens neither.
 */
export async function createSlackAdapter(options: SlackAdapterOptions): Promise<SlackAdapter> {
  const { core, log } = options;
  if (!options.botToken) throw new Error('SLACK_BOT_TOKEN is empty');
  const client = createWebClient(options.botToken, options.apiUrl, log);
  const home = new HomePublisher({ core, state: options.state, client, log });
  const notifier = new SlackNotifier({ core, client, home, log });
  const guard = new InstallationGuard({ client, settings: options.installation ?? {}, ...(options.appToken ? { appToken: options.appToken } : {}), log });

  // Filled in by auth.test at start; Bolt's ignoreSelf middleware uses them.
  const identity: { botId?: string; botUserId?: string } = {};
  let app: App | undefined;
  if (options.http) {
    let receiver: Receiver;
    if (options.mode === 'socket') {
      if (!options.appToken) throw new Error('Slack Socket Mode needs SLACK_APP_TOKEN (an xapp- app-level token with connections:write)');
      receiver = new SocketModeReceiver({
        appToken: options.appToken,
        logger: boltLogger(log, 'slack-socket-mode'),
        installerOptions: { clientOptions: webClientOptions(options.apiUrl, log) },
      });
    } else {
      if (!options.signingSecret || options.signingSecret.trim() === '') {
        throw new Error('SLACK_SIGNING_SECRET is empty: refusing to accept unsigned Slack requests over HTTP');
      }
      const httpReceiver = new SlackHttpReceiver({ signingSecret: options.signingSecret, store: options.state, log });
      httpReceiver.mount(options.http);
      receiver = httpReceiver;
    }
    app = new App({
      receiver,
      authorize: async () => ({ botToken: options.botToken, ...identity }),
      logger: boltLogger(log, 'slack-bolt'),
      clientOptions: webClientOptions(options.apiUrl, log),
      convoStore: false,
    });
    // First of jitbot's middleware: nothing from another workspace, organization or app reaches a listener.
    app.use(guard.middleware);
    app.error(async (error) => {
      log.error({ error: error.message, code: (error as { code?: string }).code }, 'slack listener error');
    });
    registerListeners(app, { core, client, home, log, ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}) });
  }

  return {
    notifier,
    async start() {
      try {
        const who = await guard.learn();
        if (who.botId) identity.botId = who.botId;
        if (who.botUserId) identity.botUserId = who.botUserId;
        log.info({ team: who.team, bot: who.bot, mode: app ? options.mode : 'outbound only' }, 'connected to Slack');
      } catch (error) {
        if (error instanceof InstallationConflictError) throw error;
        const code = slackErrorCode(error);
        if (TOKEN_ERRORS.has(code)) throw new Error(`Slack refused SLACK_BOT_TOKEN (${code}): check the token and that the app is installed`, { cause: error });
        // Slack unreachable for now: messages are retried by their jobs, requests still verify.
        const pinned = guard.current() !== undefined;
        log.warn(
          { error: code },
          `could not reach Slack at start; continuing, messages will be retried${pinned ? '' : '; Slack payloads are ignored until auth.test tells which installation to serve'}`,
        );
      }
      await app?.start();
    },
    async stop() {
      home.stop();
      await app?.stop();
    },
  };
}
