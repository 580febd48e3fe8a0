import path from 'node:path';
import type { Command } from 'commander';
import type { JitbotApp } from '../app/build-app.js';
import { DEMO_POLICY_YAML } from '../app/demo-policy.js';
import { createLogger } from '../app/logger.js';
import type { SlackAdapter } from '../chat/slack/slack-adapter.js';
import type { TeamsAdapter } from '../chat/teams/teams-adapter.js';
import { ConfigError } from '../config/config-error.js';
import { DEMO_POLICY_NAME, loadEnvironment, resolvePolicyPath, secretValues, wantsDemoPolicy, type Environment } from '../config/environment.js';
import { consoleBanner, consoleLogFile, embeddedRedisDir, stdinCarriesScript, wipeEmbeddedRedis } from './console-setup.js';
import { formatProblem, loadPolicy } from '../config/load-policy.js';
import type { Policy } from '../core/policy/policy-schema.js';
import { builtinIssuerFactories } from '../issuers/registry.js';
import { loadPipelineConfig, pipelineSecrets, type PipelineConfig } from '../pipelines/pipeline-config.js';

type Mode = 'start' | 'web' | 'worker' | 'console';

export const NO_PLATFORM_MESSAGE = [
  'jitbot: no chat platform is configured, and stdin is neither a terminal nor a script for the console.',
  'Set one of:',
  '  Slack over HTTP:    SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET',
  '  Slack Socket Mode:  SLACK_BOT_TOKEN and SLACK_APP_TOKEN',
  '  Microsoft Teams:    TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID',
  'or run the console: `jitbot console` in a terminal, or with commands on stdin (`npm start < script`).',
].join('\n');

/** `jitbot start | web | worker | console`. */
export function registerRunCommands(program: Command): void {
  program.command('start').description('web + worker in one process (the console when no platform is configured and a terminal or a script is on stdin)').action(() => run('start'));
  program.command('web').description('the HTTP endpoints and chat platforms, without job workers').action(() => run('web'));
  program.command('worker').description('the job workers: issue, revoke, remind, time out, notify, reconcile').action(() => run('worker'));
  program
    .command('console')
    .description('the console adapter with the workers: a full local instance; reads commands from stdin')
    .option('--fresh', "start clean: delete the data of the console's embedded redis-server first (not with REDIS_URL)")
    .action((options: { fresh?: boolean }) => run('console', { fresh: options.fresh === true }));
}

interface LoadedPolicy {
  policy: Policy;
  secrets: string[];
  source: string;
  demo: boolean;
}

/**
 * The policy named by JITBOT_POLICY, or ./jitbot.yaml, or the built-in demo policy; exits 2 with every
 * problem. The demo policy stands in for a missing ./jitbot.yaml only where `allowDemo` says so (the
 * console, the operator commands); `JITBOT_POLICY=demo` asks for it anywhere.
 */
export function loadStartupPolicy(env: NodeJS.ProcessEnv = process.env, options: { allowDemo?: boolean; who?: string } = {}): LoadedPolicy {
  const resolved = resolvePolicyPath(env);
  const factories = builtinIssuerFactories();
  const asked = wantsDemoPolicy(env);
  if (!asked && !resolved.exists && resolved.named) fail(`jitbot: the policy file ${resolved.path} (JITBOT_POLICY) does not exist.`);
  if (!asked && !resolved.exists && options.allowDemo === false) fail(noPolicyMessage(options.who ?? '`jitbot start`', resolved.path));
  const demo = asked || !resolved.exists;
  const result = demo ? loadPolicy({ text: DEMO_POLICY_YAML, name: 'built-in demo policy' }, { env, issuerFactories: factories }) : loadPolicy({ path: resolved.path }, { env, issuerFactories: factories });
  if (!result.ok) {
    fail([`jitbot: the policy ${demo ? '(built-in demo)' : resolved.path} has ${result.problems.length} problem(s):`, ...result.problems.map((p) => `  ${formatProblem(p)}`)].join('\n'));
  }
  const source = asked ? `built-in demo policy (JITBOT_POLICY=${DEMO_POLICY_NAME})` : demo ? 'built-in demo policy' : resolved.path;
  return { policy: result.policy, secrets: result.secrets, source, demo: demo && !asked };
}

function noPolicyMessage(what: string, path: string): string {
  return [
    `jitbot: ${what} needs a policy file: ${path} does not exist and JITBOT_POLICY is not set.`,
    'The built-in demo policy serves only the console (its people have no Slack or Teams ids).',
    `Write your policy to ${path} (\`jitbot init\` writes the demo policy there to start from) or name it with JITBOT_POLICY;`,
    `JITBOT_POLICY=${DEMO_POLICY_NAME} serves the built-in demo policy anyway.`,
  ].join('\n');
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

async function run(requested: Mode, flags: { fresh?: boolean } = {}): Promise<void> {
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
    // `npm start < script` runs the console as `jitbot console < script` does; /dev/null is a server nobody configured.
    if (!process.stdin.isTTY && !stdinCarriesScript()) fail(NO_PLATFORM_MESSAGE);
    mode = 'console';
  }

  const platforms = [environment.slack ? 'Slack' : '', environment.teams ? 'Microsoft Teams' : ''].filter(Boolean).join(' and ');
  const loaded = loadStartupPolicy(process.env, { allowDemo: mode === 'console', who: platforms || `\`jitbot ${mode}\`` });
  if (flags.fresh) {
    const problem = await wipeEmbeddedRedis(environment.dataDir, environment.redisUrl);
    if (problem) fail(problem);
  }
  // Pipelines (policy `pipelines:` / `deploymentProtection:`) need their own settings; see src/pipelines/README.md.
  let pipelines: PipelineConfig | undefined;
  try {
    pipelines = loadPipelineConfig(process.env, loaded.policy);
  } catch (error) {
    if (error instanceof ConfigError) fail(`jitbot: ${error.message}`);
    throw error;
  }
  const secrets = [...secretValues(environment), ...loaded.secrets, ...pipelineSecrets(pipelines)];
  const logFile = mode === 'console' ? consoleLogFile(environment.dataDir) : undefined;
  let log: ReturnType<typeof createLogger>;
  try {
    log = createLogger(environment.logLevel, () => secrets, logFile ? { file: logFile } : {});
  } catch (error) {
    fail(`jitbot: cannot write the console's log ${logFile ?? ''}: ${(error as NodeJS.ErrnoException).code ?? String(error)} (set JITBOT_DATA_DIR to a writable directory)`);
  }
  const withWeb = mode !== 'worker';
  const prefix = process.env.JITBOT_KEY_PREFIX || 'jitbot:';
  const app = await buildApp({
    policy: loaded.policy,
    issuerFactories: builtinIssuerFactories(),
    log,
    ...(environment.redisUrl ? { redisUrl: environment.redisUrl } : {}),
    dataDir: path.resolve(environment.dataDir),
    web: withWeb ? { host: environment.host, port: environment.port } : undefined,
    worker: mode !== 'web',
    prefix,
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
      state: app.store,
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
      state: app.store,
      audit: app.store,
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
  const stop = async (code: number, why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ mode, why }, 'jitbot stopping');
    await slack?.stop().catch(() => undefined);
    await teams?.stop().catch(() => undefined);
    await app.stop().catch((error: unknown) => log.error({ error: String(error) }, 'error while stopping'));
    log.info({ mode }, 'jitbot stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0, 'SIGINT'));
  process.on('SIGTERM', () => void stop(0, 'SIGTERM'));

  if (mode === 'console') {
    const input = process.stdin;
    const banner = consoleBanner({
      policySource: loaded.source,
      demo: loaded.demo,
      embeddedRedis: app.redis.embedded ? { url: app.redis.url, dir: embeddedRedisDir(environment.dataDir) } : undefined,
      prefix,
      logFile: consoleLogFile(environment.dataDir),
      fresh: flags.fresh === true,
    });
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
    log.info({ mode, port: app.port, policy: loaded.source, redis: app.redis.embedded ? 'embedded' : 'REDIS_URL' }, 'jitbot running');
    await runPromise;
    await stop(0, 'end of input');
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
    // The console's log is a file: say it where the person is looking, in one plain sentence.
    process.stderr.write('jitbot: the HTTP port is in use; the console runs without HTTP endpoints (set PORT to choose another).\n');
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
