import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Logger } from '../../core/ports/logger.js';
import { LogThrottle } from '../../http/log-throttle.js';
import {
  appIdOfAppToken,
  checkOrigin,
  combineInstallation,
  payloadOrigin,
  type LearntIdentity,
  type PinnedBySettings,
  type SlackInstallation,
} from './installation-pin.js';
import { slackErrorCode, type WebClient } from './slack-web-client.js';

/** A setting (SLACK_TEAM_ID, …) that contradicts the bot token: the process must not start. */
export class InstallationConflictError extends Error {
  override readonly name = 'InstallationConflictError';
}

export interface InstallationGuardOptions {
  client: WebClient;
  settings: PinnedBySettings;
  /** Socket Mode's app-level token, which carries the app id. */
  appToken?: string;
  log: Logger;
  /** While the installation is unknown (Slack was unreachable at start), how often to ask again. */
  relearnEveryMs?: number;
}

/** What the adapter keeps from auth.test besides the installation. */
export interface BotIdentity {
  botId?: string;
  botUserId?: string;
  team?: string;
  bot?: string;
}

/**
 * Pins jitbot to its own Slack installation. Learns it at start from `auth.test` (workspace,
 * organization, org-wide or not, and the app id when Slack gives it; else from the app-level token or
 * `bots.info`), unless the environment sets it; then, as Bolt global middleware, drops every payload
 * from another workspace, organization or app: acknowledged (so Slack does not retry), never acted on,
 * logged at most once a minute per reason. Until the installation is known nothing is acted on.
 */
export class InstallationGuard {
  private installation: SlackInstallation | undefined;
  private lastAttemptAt = 0;
  private readonly throttle = new LogThrottle(60_000);

  constructor(private readonly options: InstallationGuardOptions) {
    const { teamId, enterpriseId } = options.settings;
    // Set entirely by the environment: pinned before Slack is even asked.
    if (teamId || enterpriseId) this.installation = this.combine(undefined);
  }

  /** The installation in force, if known. */
  current(): SlackInstallation | undefined {
    return this.installation;
  }

  /** Calls auth.test and pins the installation. Throws what auth.test throws, and on a contradicting setting. */
  async learn(): Promise<BotIdentity> {
    this.lastAttemptAt = Date.now();
    const who = await this.options.client.auth.test();
    const learnt: LearntIdentity = {
      ...(who.team_id ? { teamId: who.team_id } : {}),
      ...(who.enterprise_id ? { enterpriseId: who.enterprise_id } : {}),
      ...(who.is_enterprise_install ? { orgWide: true } : {}),
    };
    const appId = who.app_id || appIdOfAppToken(this.options.appToken) || (this.options.settings.appId ? undefined : await this.appIdOfBot(who.bot_id));
    if (appId) learnt.appId = appId;
    this.installation = this.combine(learnt);
    const pinned = this.installation;
    if (!pinned.appId) this.options.log.warn({ variable: 'SLACK_APP_ID' }, 'the Slack app id is not known (set SLACK_APP_ID to pin it); payloads are checked by workspace only');
    this.options.log.info({ team: pinned.teamId, enterprise: pinned.enterpriseId, app: pinned.appId, orgWide: pinned.orgWide }, 'Slack payloads pinned to this installation');
    return {
      ...(who.bot_id ? { botId: who.bot_id } : {}),
      ...(who.user_id ? { botUserId: who.user_id } : {}),
      ...(who.team ? { team: who.team } : {}),
      ...(who.user ? { bot: who.user } : {}),
    };
  }

  /** Bolt global middleware: only payloads of the installation reach the listeners. */
  readonly middleware: Middleware<AnyMiddlewareArgs> = async (args) => {
    const origin = payloadOrigin(args.body);
    const verdict = checkOrigin(origin, this.installation);
    if (verdict.ok) return args.next();
    // Events were acknowledged by Bolt already; everything else is acknowledged here, empty.
    const ack = (args as { ack?: () => Promise<void> }).ack;
    if (typeof ack === 'function') await ack();
    if (verdict.reason === 'unknown installation') this.relearnSoon();
    this.throttle.run(verdict.reason, (suppressed) =>
      this.options.log.warn(
        { reason: verdict.reason, team: origin.teamIds[0], enterprise: origin.enterpriseIds[0], app: origin.appIds[0], suppressed },
        'slack payload ignored: not from this installation',
      ),
    );
  };

  private combine(learnt: LearntIdentity | undefined): SlackInstallation {
    try {
      return combineInstallation(this.options.settings, learnt);
    } catch (error) {
      throw new InstallationConflictError((error as Error).message);
    }
  }

  /** `bots.info` needs users:read, which jitbot does not ask for: without it the app id stays unknown. */
  private async appIdOfBot(botId: string | undefined): Promise<string | undefined> {
    if (!botId) return undefined;
    try {
      return (await this.options.client.bots.info({ bot: botId })).bot?.app_id || undefined;
    } catch (error) {
      this.options.log.debug({ error: slackErrorCode(error) }, 'bots.info did not give the app id');
      return undefined;
    }
  }

  private relearnSoon(): void {
    if (Date.now() - this.lastAttemptAt < (this.options.relearnEveryMs ?? 30_000)) return;
    this.learn().catch((error: unknown) => this.options.log.warn({ error: slackErrorCode(error) }, 'still cannot reach Slack to learn its installation'));
  }
}
