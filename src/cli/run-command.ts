import path from 'node:path';
import type { Command } from 'commander';
import type { JitbotApp } from '../app/build-app.js';
import { DEMO_POLICY_YAML } from '../app/demo-policy.js';
import { createLogger } from '../app/logger.js';
import type { SlackAdapter } from '../chat/slack/slack-adapter.js';
import type { TeamsAdapter } from '../chat/teams/teams-adapter.js';
import { ConfigError } from '../config/config-error.js';
import { loadEnvironment, resolvePolicyPath, secretValues, type Environment } from '../config/environment.js';
import { formatProblem, loadPolicy } from '../config/load-policy.js';
import type { Policy } from '../core/policy/policy-schema.js';
import { builtinIssuerFactories } from '../issuers/registry.js';
import { loadPipelineConfig, pipelineSecrets, type PipelineConfig } from '../pipelines/pipeline-config.js';

type Mode = 'start' | 'web' | 'worker' | 'console';

export const NO_PLATFORM_MESSAGE = [
  'jitbot: no chat platform is configured and there is no terminal for the console.',
  'Set one of:',
  '  Slack over HTTP:    SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET',
  '  Slack Socket Mode:  SLACK_BOT_TOKEN and SLACK_APP_TOKEN',
  '  Microsoft Teams:    TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID',
  'or run `jitbot console` to use the console adapter with piped input.',
].join('\n');

/** `jitbot start | web | worker | console`. */
export function registerRunCommands(program: Command): void {
  program.command('start').description('web + worker in one process (the console when no platform is configured and a terminal is attached)').action(() => run('start'));
  program.command('web').description('the HTTP endpoints and chat platforms, without job workers').action(() => run('web'));
  program.command('worker').description('the job workers: issue, revoke, remind, time out, notify, reconcile').action(() => run('worker'));
  program.command('console').description('the console adapter with the workers: a full local instance; reads commands from stdin').action(() => run('console'));
}

interface LoadedPolicy {
  policy: Policy;
  secrets: string[];
  source: string;
  demo: boolean;
}

/** The policy named by JITBOT_POLICY, ./jitbot.yaml, or the built-in demo policy; exits 2 with every problem. */
export function loadStartupPolicy(env: NodeJS.ProcessEnv = process.env): LoadedPolicy {
  const resolved = resolvePolicyPath(env);
  const factories = builtinIssuerFactories();
  if (!resolved.exists && resolved.named) fail(`jitbot: the policy file ${resolved.path} (JITBOT_POLICY) does not exist.`);
  const demo = !resolved.exists;
  const result = demo ? loadPolicy({ text: DEMO_POLICY_YAML, name: 'built-in demo policy' }, { env, issuerFactories: factories }) : loadPolicy({ path: resolved.path }, { env, issuerFactories: factories });
  if (!result.ok) {
    fail([`jitbot: the policy ${demo ? '(built-in demo)' : resolved.path} has ${result.problems.length} problem(s):`, ...result.problems.map((p) => `  ${formatProblem(p)}`)].join('\n'));
  }
  return { policy: result.policy, secrets: result.secrets, source: demo ? 'built-in demo policy' : resolved.path, demo };
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

async function run(requested: Mode): Promise<void> {
  // Loaded here, not at the top: the SDKs take a second or two to load, which every other jitbot
  // command (check, request, grants…) would otherwise pay.
  const [{ buildApp }, { runConsole }, { createSlackAdapter }, { createTeamsAdapter }] = await Promise.all([
    import('../app/build-app.js'),
    import('../chat/console/console-adapter.js'),
    import('../chat/slack/slack-adapter.js'),
    import('../chat/teams/teams-adapter.js'),
  ]);
  let environment: Environment;
  try {
    environment = loadEnvironment();
  } catch (error) {
    if (error instanceof ConfigError) fail(`jitbot: ${error.message}`);
    throw error;
  }
  const hasPlatform = environment.slack !== undefined || environment.teams !== undefined;
  let mode = requested;
  if (mode === 'start' && !hasPlatform) {
    if (!process.stdin.isTTY) fail(NO_PLATFORM_MESSAGE);
    mode = 'console';
  }

  const loaded = loadStartupPolicy();
  // Pipelines (policy `pipelines:` / `deploymentProtection:`) need their own settings; see src/pipelines/README.md.
  let pipelines: PipelineConfig | undefined;
  try {
    pipelines = loadPipelineConfig(process.env, loaded.policy);
  } catch (error) {
    if (error instanceof ConfigError) fail(`jitbot: ${error.message}`);
    throw error;
  }
  const secrets = [...secretValues(environment), ...loaded.secrets, ...pipelineSecrets(pipelines)];
  const log = createLogger(mode === 'console' && !process.env.LOG_LEVEL ? 'warn' : environment.logLevel, () => secrets);
  const withWeb = mode !== 'worker';
  const app = await buildApp({
    policy: loaded.policy,
    issuerFactories: builtinIssuerFactories(),
    log,
    ...(environment.redisUrl ? { redisUrl: environment.redisUrl } : {}),
    dataDir: path.resolve(environment.dataDir),
    web: withWeb ? { host: environment.host, port: environment.port } : undefined,
    worker: mode !== 'web',
    prefix: process.env.JITBOT_KEY_PREFIX || 'jitbot:',
    ...engineTuning(process.env),
    ...(process.env.JITBOT_SECRET_KEY ? { secretKeyHex: process.env.JITBOT_SECRET_KEY } : {}),
    ...(pipelines ? { pipelines } : {}),
  }).catch((error: unknown) => fail(`jitbot: cannot start: ${error instanceof Error ? error.message : String(error)}`));

  const cannotStart = async (platform: string, error: unknown): Promise<never> => {
    await app.stop().catch(() => undefined);
    fail(`jitbot: cannot start ${platform}: ${error instanceof Error ? error.message : String(error)}`);
  };
  let slack: SlackAdapter | undefined;
  if (environment.slack && mode !== 'console') {
    slack = await createSlackAdapter({
      core: app.core,
      ...(withWeb && app.http ? { http: app.http } : {}),
      mode: environment.slack.mode,
      botToken: environment.slack.botToken,
      ...(environment.slack.signingSecret ? { signingSecret: environment.slack.signingSecret } : {}),
      ...(environment.slack.appToken ? { appToken: environment.slack.appToken } : {}),
      ...(environment.slack.apiUrl ? { apiUrl: environment.slack.apiUrl } : {}),
      installation: environment.slack.installation,
      log,
    }).catch((error: unknown) => cannotStart('Slack', error));
    app.addNotifier(slack.notifier);
  }

  let teams: TeamsAdapter | undefined;
  if (environment.teams && mode !== 'console') {
    teams = await createTeamsAdapter({
      core: app.core,
      ...(withWeb && app.http ? { http: app.http } : {}),
      ...(environment.teams.appId ? { appId: environment.teams.appId } : {}),
      ...(environment.teams.appPassword ? { appPassword: environment.teams.appPassword } : {}),
      ...(environment.teams.tenantId ? { tenantId: environment.teams.tenantId } : {}),
      insecureNoAuth: environment.teams.insecureNoAuth,
      log,
    }).catch((error: unknown) => cannotStart('Microsoft Teams', error));
    app.addNotifier(teams.notifier);
  }

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await slack?.stop().catch(() => undefined);
    await teams?.stop().catch(() => undefined);
    await app.stop().catch((error: unknown) => log.error({ error: String(error) }, 'error while stopping'));
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  if (mode === 'console') {
    const input = process.stdin;
    const banner = consoleBanner(loaded, app, environment);
    let registered = false;
    const runPromise = runConsole({
      core: app.core,
      input,
      output: process.stdout,
      interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
      register: (notifier) => {
        app.addNotifier(notifier);
        registered = true;
      },
      banner,
    });
    await startApp(app, log, true);
    if (!registered) log.warn({}, 'console adapter registered no notifier');
    await runPromise;
    await stop(0);
    return;
  }
  await startApp(app, log, false);
  await slack?.start().catch((error: unknown) => cannotStart('Slack', error));
  await teams?.start().catch((error: unknown) => cannotStart('Microsoft Teams', error));
  log.info({ mode, port: app.port, policy: loaded.source, redis: app.redis.embedded ? 'embedded' : 'REDIS_URL' }, 'jitbot running');
}

async function startApp(app: JitbotApp, log: ReturnType<typeof createLogger>, tolerateBusyPort: boolean): Promise<void> {
  try {
    await app.start();
  } catch (error) {
    const busy = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    if (!(busy && tolerateBusyPort)) throw error;
    log.warn({}, 'the HTTP port is in use; the console runs without HTTP endpoints (set PORT to choose another)');
  }
}

/**
 * Advanced timings, for operators who need faster failover and for tests that kill workers:
 * JITBOT_LOCK_DURATION_MS, JITBOT_STALLED_INTERVAL_MS, JITBOT_RECONCILE_EVERY_MS, JITBOT_RETRY_BASE_MS,
 * JITBOT_RETRY_CAP_MS, JITBOT_REVOKE_FAILED_AFTER (attempts), JITBOT_ISSUE_MAX_ATTEMPTS.
 */
export function engineTuning(env: NodeJS.ProcessEnv) {
  const num = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) fail(`jitbot: ${name} must be a positive whole number (got "${raw.slice(0, 20)}")`);
    return value;
  };
  const lock = num('JITBOT_LOCK_DURATION_MS');
  const stalled = num('JITBOT_STALLED_INTERVAL_MS');
  const reconcile = num('JITBOT_RECONCILE_EVERY_MS');
  const base = num('JITBOT_RETRY_BASE_MS');
  const cap = num('JITBOT_RETRY_CAP_MS');
  const failedAfter = num('JITBOT_REVOKE_FAILED_AFTER');
  const issueAttempts = num('JITBOT_ISSUE_MAX_ATTEMPTS');
  return {
    workerTimings: {
      ...(lock ? { lockDurationMs: lock } : {}),
      ...(stalled ? { stalledIntervalMs: stalled } : {}),
      ...(reconcile ? { reconcileEveryMs: reconcile } : {}),
    },
    ...(base || cap ? { retry: { baseMs: base ?? 1000, capMs: cap ?? 300_000 } } : {}),
    engine: { ...(failedAfter ? { revokeFailedAfterAttempts: failedAfter } : {}), ...(issueAttempts ? { issueMaxAttempts: issueAttempts } : {}) },
  };
}

function consoleBanner(loaded: LoadedPolicy, app: JitbotApp, environment: Environment): string[] {
  return [
    'jitbot console: a full local instance (request, approve, issue, remind, revoke) in this terminal.',
    `policy: ${loaded.source}${loaded.demo ? ' (no ./jitbot.yaml found; set JITBOT_POLICY to use yours)' : ''}`,
    `redis: ${app.redis.embedded ? `embedded redis-server at ${app.redis.url}, data in ${path.join(environment.dataDir, 'redis')}` : 'REDIS_URL'}`,
    'To connect Slack set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN); for Teams TEAMS_APP_ID, TEAMS_APP_PASSWORD, TEAMS_TENANT_ID.',
    'Type /jit help for commands and /as <person> to switch who is typing.',
  ];
}
