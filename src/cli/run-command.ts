import type { Command } from 'commander';
import type { ChatAdapter, RunMode, RunningChatAdapter } from '../app/chat-adapter.js';
import { builtinChatAdapters, configuredChatAdapters } from '../app/chat-adapters.js';
import { consoleLogFile } from '../app/data-dir.js';
import type { JitbotApp } from '../app/build-app.js';
import { loadEngineTuning } from '../config/engine-tuning.js';
import { ConfigError } from '../config/config-error.js';
import type { Environment } from '../config/environment.js';
import type { Logger } from '../core/ports/logger.js';
import { stdinCarriesScript, wipeEmbeddedRedis } from './console-setup.js';
import { StartupError, startUp, type ProcessPlan, type Startup } from './startup.js';

/** What `jitbot start` says when it has nothing to serve: every way to turn a platform on, from the adapter registry. */
export const NO_PLATFORM_MESSAGE = [
  'jitbot: no chat platform is configured, and stdin is neither a terminal nor a script for the console.',
  'Set one of:',
  ...builtinChatAdapters().flatMap((adapter) => adapter.setup.map(({ way, variables }) => `  ${`${way}:`.padEnd(20)}${variables}`)),
  'or run the console: `jitbot console` in a terminal, or with commands on stdin (`npm start < script`).',
].join('\n');

/** `jitbot start | web | worker | console`; `env` is the process environment, handed to config/ to read. */
export function registerRunCommands(program: Command, env: NodeJS.ProcessEnv): void {
  program.command('start').description('web + worker in one process (the console when no platform is configured and a terminal or a script is on stdin)').action(() => run(env, 'start'));
  program.command('web').description('the HTTP endpoints and chat platforms, without job workers').action(() => run(env, 'web'));
  program.command('worker').description('the job workers: issue, revoke, remind, time out, notify, reconcile').action(() => run(env, 'worker'));
  program
    .command('console')
    .description('the console adapter with the workers: a full local instance; reads commands from stdin')
    .option('--fresh', "start clean: delete the data of the console's embedded redis-server first (not with REDIS_URL)")
    .action((options: { fresh?: boolean }) => run(env, 'console', { fresh: options.fresh === true }));
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

async function run(env: NodeJS.ProcessEnv, requested: RunMode, flags: { fresh?: boolean } = {}): Promise<void> {
  let mode = requested;
  let adapters: ChatAdapter[] = [];
  let started: Startup;
  try {
    started = await startUp(env, (environment) => {
      mode = effectiveMode(requested, environment);
      adapters = configuredChatAdapters(environment, mode);
      return serverPlan(env, environment, mode, adapters, flags);
    });
  } catch (error) {
    if (error instanceof StartupError) fail(error.message);
    throw error;
  }
  const { app, log, loaded, environment } = started;

  const cannotStart = async (adapter: ChatAdapter, error: unknown): Promise<never> => {
    await app.stop().catch(() => undefined);
    fail(`jitbot: cannot start ${adapter.name}: ${error instanceof Error ? error.message : String(error)}`);
  };
  const running: { adapter: ChatAdapter; running: RunningChatAdapter }[] = [];
  const terminal = { input: process.stdin, output: process.stdout, policySource: loaded.source, demoPolicy: loaded.demo, fresh: flags.fresh === true };
  for (const adapter of adapters) {
    const one = await adapter.start({ app, environment, log, terminal }).catch((error: unknown) => cannotStart(adapter, error));
    app.addNotifier(one.notifier);
    running.push({ adapter, running: one });
  }

  let stopping = false;
  const stop = async (code: number, why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ mode, why }, 'jitbot stopping');
    for (const { running: one } of running) await one.stop().catch(() => undefined);
    await app.stop().catch((error: unknown) => log.error({ error: String(error) }, 'error while stopping'));
    log.info({ mode }, 'jitbot stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0, 'SIGINT'));
  process.on('SIGTERM', () => void stop(0, 'SIGTERM'));

  await startApp(app, log, mode === 'console');
  for (const { adapter, running: one } of running) await one.connect().catch((error: unknown) => cannotStart(adapter, error));
  log.info({ mode, port: app.port, policy: loaded.source, redis: app.redis.embedded ? 'embedded' : 'REDIS_URL' }, 'jitbot running');
  const endings = running.flatMap(({ running: one }) => (one.done ? [one.done] : []));
  if (endings.length > 0) {
    await Promise.race(endings);
    await stop(0, 'end of input');
  }
}

/** `jitbot start` with no platform configured runs the console when stdin is a terminal or carries a script. */
function effectiveMode(requested: RunMode, environment: Environment): RunMode {
  if (requested !== 'start' || configuredChatAdapters(environment, 'start').length > 0) return requested;
  // `npm start < script` runs the console as `jitbot console < script` does; /dev/null is a server nobody configured.
  if (!process.stdin.isTTY && !stdinCarriesScript()) throw new StartupError(NO_PLATFORM_MESSAGE);
  return 'console';
}

/** What a server process (`start`, `web`, `worker`, `console`) asks of the shared startup. */
function serverPlan(env: NodeJS.ProcessEnv, environment: Environment, mode: RunMode, adapters: ChatAdapter[], flags: { fresh?: boolean }): ProcessPlan {
  // Only the console may fall back to the demo policy, so the platform names are for the others' message.
  const platforms = adapters.map((adapter) => adapter.name).join(' and ');
  return {
    policy: { allowDemo: mode === 'console', who: platforms || `\`jitbot ${mode}\`` },
    ...(flags.fresh ? { prepare: () => wipeEmbeddedRedis(environment.dataDir, environment.redisUrl) } : {}),
    pipelines: true,
    log: { level: environment.logLevel, ...(mode === 'console' ? { file: consoleLogFile(environment.dataDir) } : {}) },
    app: async () => ({
      options: {
        web: mode !== 'worker' ? { host: environment.host, port: environment.port } : undefined,
        worker: mode !== 'web',
        ...engineTuning(env),
      },
      cannotBuild: (error) => `jitbot: cannot start: ${error instanceof Error ? error.message : String(error)}`,
    }),
  };
}

async function startApp(app: JitbotApp, log: Logger, tolerateBusyPort: boolean): Promise<void> {
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

/** The advanced timings (src/config/engine-tuning.ts); a bad one ends the process with its variable named. */
function engineTuning(env: NodeJS.ProcessEnv) {
  try {
    return loadEngineTuning(env);
  } catch (error) {
    const problem = error instanceof ConfigError ? error.problems[0] : undefined;
    if (problem) fail(`jitbot: ${problem.variable} ${problem.message}`);
    throw error;
  }
}
