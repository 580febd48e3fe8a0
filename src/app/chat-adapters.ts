import type { Environment } from '../config/environment.js';
import type { Notifier } from '../core/ports/notifier.js';
import type { ChatAdapter, RunMode } from './chat-adapter.js';
import { consoleLogFile, embeddedRedisDir } from './data-dir.js';

// Each adapter's module is imported when it starts, not here: the SDKs take a second or two to
// load, which a process that does not run that platform would otherwise pay.

/** Slack over HTTP (`POST /slack/events`) or Socket Mode; outbound only in a worker process. */
export const slackChatAdapter: ChatAdapter = {
  name: 'Slack',
  setup: [
    { way: 'Slack over HTTP', variables: 'SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET' },
    { way: 'Slack Socket Mode', variables: 'SLACK_BOT_TOKEN and SLACK_APP_TOKEN' },
  ],
  configured: (environment, mode) => environment.slack !== undefined && mode !== 'console',
  async start({ app, environment, log }) {
    const slack = environment.slack;
    if (!slack) throw new Error('Slack is not configured');
    const { createSlackAdapter } = await import('../chat/slack/slack-adapter.js');
    const adapter = await createSlackAdapter({
      core: app.core,
      state: app.store,
      ...(app.http ? { http: app.http } : {}),
      mode: slack.mode,
      botToken: slack.botToken,
      ...(slack.signingSecret ? { signingSecret: slack.signingSecret } : {}),
      ...(slack.appToken ? { appToken: slack.appToken } : {}),
      ...(slack.apiUrl ? { apiUrl: slack.apiUrl } : {}),
      installation: slack.installation,
      log,
    });
    return { notifier: adapter.notifier, connect: () => adapter.start(), stop: () => adapter.stop() };
  },
};

/** Microsoft Teams through the Bot Framework (`POST /api/messages`); outbound only in a worker process. */
export const teamsChatAdapter: ChatAdapter = {
  name: 'Microsoft Teams',
  setup: [{ way: 'Microsoft Teams', variables: 'TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID' }],
  configured: (environment, mode) => environment.teams !== undefined && mode !== 'console',
  async start({ app, environment, log }) {
    const teams = environment.teams;
    if (!teams) throw new Error('Microsoft Teams is not configured');
    const { createTeamsAdapter } = await import('../chat/teams/teams-adapter.js');
    const adapter = await createTeamsAdapter({
      core: app.core,
      state: app.store,
      audit: app.store,
      ...(app.http ? { http: app.http } : {}),
      ...(teams.appId ? { appId: teams.appId } : {}),
      ...(teams.appPassword ? { appPassword: teams.appPassword } : {}),
      ...(teams.tenantId ? { tenantId: teams.tenantId } : {}),
      insecureNoAuth: teams.insecureNoAuth,
      log,
    });
    return { notifier: adapter.notifier, connect: () => adapter.start(), stop: () => adapter.stop() };
  },
};

/**
 * The console: a terminal chat on the process's stdin and stdout, in `jitbot console` (and `jitbot
 * start` with no platform configured). It reads its input as soon as it starts; the process ends when
 * the input does.
 */
export const consoleChatAdapter: ChatAdapter = {
  name: 'the console',
  setup: [],
  configured: (_environment, mode) => mode === 'console',
  async start({ app, environment, terminal }) {
    const [{ runConsole }, { consoleBanner }] = await Promise.all([import('../chat/console/console-adapter.js'), import('../chat/console/console-banner.js')]);
    const banner = consoleBanner({
      policySource: terminal.policySource,
      demo: terminal.demoPolicy,
      embeddedRedis: app.redis.embedded ? { url: app.redis.url, dir: embeddedRedisDir(environment.dataDir) } : undefined,
      prefix: environment.keyPrefix,
      logFile: consoleLogFile(environment.dataDir),
      fresh: terminal.fresh,
    });
    let notifier: Notifier | undefined;
    const done = runConsole({
      core: app.core,
      input: terminal.input,
      output: terminal.output,
      interactive: Boolean(terminal.input.isTTY && terminal.output.isTTY),
      // Called before runConsole first waits: the notifier is there when it returns.
      register: (registered) => void (notifier = registered),
      banner,
    });
    if (!notifier) throw new Error('the console adapter registered no notifier');
    return { notifier, done, connect: async () => undefined, stop: async () => undefined };
  },
};

/** Every chat adapter jitbot knows, in the order they are started and stopped. */
export function builtinChatAdapters(): ChatAdapter[] {
  return [slackChatAdapter, teamsChatAdapter, consoleChatAdapter];
}

/** The adapters a process of `mode` runs with `environment`. */
export function configuredChatAdapters(environment: Environment, mode: RunMode): ChatAdapter[] {
  return builtinChatAdapters().filter((adapter) => adapter.configured(environment, mode));
}
