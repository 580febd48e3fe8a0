import type { AdapterState } from '../../core/ports/adapter-state.js';
import type { AuditLog } from '../../core/ports/audit-log.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Notifier } from '../../core/ports/notifier.js';
import type { JitCore } from '../../core/services/create-core.js';
import type { HttpServer } from '../../http/http-server.js';
import { createBotFrameworkConnection } from './bot-framework-connection.js';
import { ConversationDirectory } from './conversation-directory.js';
import { TeamsBot } from './teams-bot.js';
import type { TeamsConnection } from './teams-connection.js';
import type { TeamsContext } from './teams-context.js';
import { TeamsNotifier } from './teams-notifier.js';

export interface TeamsAdapterOptions {
  core: JitCore;
  /** The composition root's adapter state: conversation references, redelivery claims. */
  state: AdapterState;
  /** The trail, for refusals and delivery failures that change no request. */
  audit: AuditLog;
  /** The shared HTTP server to mount `POST /api/messages` on; absent in worker-only processes (outbound only). */
  http?: HttpServer;
  appId?: string;
  appPassword?: string;
  tenantId?: string;
  /** TEAMS_INSECURE_NO_AUTH=1: no Bot Framework authentication (Emulator and tests only). */
  insecureNoAuth: boolean;
  log: Logger;
  /** The Bot Framework connection; tests may pass their own. Default: botbuilder's CloudAdapter. */
  connection?: TeamsConnection;
  /** How often people who could not be reached are looked up again (default 30 s). */
  refreshEveryMs?: number;
}

export interface TeamsAdapter {
  notifier: Notifier;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Microsoft Teams: `POST /api/messages` (when this process serves HTTP) through the Bot Framework,
 * and a Notifier that posts approval cards to channels, updates them in place and sends DMs. Throws
 * (the process does not start) when Bot Framework credentials are missing and insecureNoAuth is off.
 */
export async function createTeamsAdapter(options: TeamsAdapterOptions): Promise<TeamsAdapter> {
  const { core, log } = options;
  const tenantId = options.tenantId?.trim() || undefined;
  const connection =
    options.connection ??
    createBotFrameworkConnection({ appId: options.appId, appPassword: options.appPassword, tenantId, insecureNoAuth: options.insecureNoAuth, log });
  if (!connection.authenticated) {
    log.warn(
      { variable: 'TEAMS_INSECURE_NO_AUTH' },
      '!!! INSECURE: Microsoft Teams requests are NOT authenticated (TEAMS_INSECURE_NO_AUTH=1). Anyone who can reach /api/messages can act as any Teams user. Use this only with the Bot Framework Emulator and in tests. !!!',
    );
  }
  if (!tenantId) log.warn({ variable: 'TEAMS_TENANT_ID' }, 'TEAMS_TENANT_ID is not set: jitbot serves Teams users of every tenant that installs the app');

  const directory = new ConversationDirectory(options.state, log);
  const context: TeamsContext = { core, state: options.state, audit: options.audit, connection, directory, log, tenantId };
  const bot = new TeamsBot(context);
  const notifier = new TeamsNotifier(context);
  options.http?.route('POST', '/api/messages', (request) => connection.handle(request, bot.onActivity), {
    ...(connection.refuseBeforeBody ? { beforeBody: (headers) => connection.refuseBeforeBody?.(headers) } : {}),
  });

  let timer: NodeJS.Timeout | undefined;
  const teamsIds = () =>
    core.policy
      .people()
      .map((person) => person.teams)
      .filter((id): id is string => id !== undefined);
  return {
    notifier,
    async start() {
      await directory.preload(teamsIds());
      // Another process (the web half) may learn someone's address: look again for those still missing.
      timer = setInterval(() => void directory.preload(teamsIds().filter((id) => directory.reachable(id) !== true)), options.refreshEveryMs ?? 30_000);
      timer.unref();
      log.info({ authenticated: connection.authenticated, tenant: tenantId ?? 'any', inbound: options.http !== undefined }, 'Microsoft Teams ready');
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
