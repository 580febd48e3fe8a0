import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import type { AuditSigningKey } from '../../app/audit-signing-key.js';
import type { JitbotApp } from '../../app/build-app.js';
import { embeddedRedisUrl } from '../../app/redis-connection.js';
import type { Environment } from '../../config/environment.js';
import { isJitError } from '../../core/domain/errors.js';
import type { Policy } from '../../core/policy/policy-schema.js';
import { StartupError, startUp, type Startup } from '../startup.js';

/** Exit codes: 0 done, 1 the thing asked for failed or does not exist, 2 jitbot could not start (config, policy, Redis). */
export type ExitCode = 0 | 1 | 2;

/** Where an operator command writes: results to stdout, everything else to stderr. */
export interface OperatorIo {
  out(text: string): Promise<void>;
  err(text: string): void;
  now(): number;
}

/** What an operator command works with: the app (no workers, no HTTP), the policy, the parsed environment and its output. */
export interface OperatorContext {
  app: JitbotApp;
  policy: Policy;
  environment: Environment;
  io: OperatorIo;
  /** The configured audit signing key (generated under the data directory if none is), loaded on first call. */
  auditKey(): AuditSigningKey;
}

/**
 * Runs one operator command: checks its options, starts up as the server does (the shared
 * {@link startUp}: same environment, policy and Redis, which is REDIS_URL, or the embedded
 * redis-server a running jitbot started, or one started for the command), runs it with no workers
 * and no HTTP, closes the app and exits with the command's code.
 */
export async function runOperator(env: NodeJS.ProcessEnv, command: (ctx: OperatorContext) => Promise<ExitCode>, checks?: { validate(): string | undefined }): Promise<void> {
  const io = standardIo();
  const problem = checks?.validate();
  if (problem) {
    io.err(`jitbot: ${problem}`);
    return finish(1);
  }
  let started: Startup;
  try {
    started = await startUp(env, (environment) => ({
      policy: {},
      pipelines: false,
      log: { level: environment.logLevelNamed ? environment.logLevel : 'warn' },
      async app(log) {
        const dataDir = path.resolve(environment.dataDir);
        const redisUrl = environment.redisUrl ?? (await runningEmbeddedRedis(dataDir));
        if (!redisUrl) log.info({ dataDir }, 'no jitbot is running: starting the embedded redis-server for this command');
        return {
          options: { ...(redisUrl ? { redisUrl } : {}), worker: false },
          // The URL itself is not printed: REDIS_URL may hold a password.
          cannotBuild: (error) =>
            `jitbot: cannot use ${redisUrl ? (environment.redisUrl ? 'the Redis at REDIS_URL' : 'the running embedded redis-server') : 'an embedded redis-server'}: ${error instanceof Error ? error.message : String(error)}`,
        };
      },
    }));
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    io.err(error.message);
    return finish(2);
  }
  const { app, log, loaded, environment, auditKey } = started;
  let code: ExitCode;
  try {
    code = await command({ app, policy: loaded.policy, environment, io, auditKey });
  } catch (error) {
    io.err(`jitbot: ${isJitError(error) ? error.message : error instanceof Error ? error.message : String(error)}`);
    code = 1;
  } finally {
    await app.stop().catch((error: unknown) => log.warn({ error: String(error) }, 'error while closing'));
  }
  return finish(code);
}

async function finish(code: ExitCode): Promise<void> {
  // Let stdout drain (a pipe may be slow) before exiting with the code.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}

function standardIo(): OperatorIo {
  return {
    async out(text) {
      if (!process.stdout.write(text)) await once(process.stdout, 'drain');
    },
    err(text) {
      process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    now: () => Date.now(),
  };
}

/** The URL in `<dataDir>/redis.url`, if the redis-server it names answers. */
async function runningEmbeddedRedis(dataDir: string): Promise<string | undefined> {
  const url = embeddedRedisUrl(dataDir);
  return url && (await redisAnswers(url, 1_000)) ? url : undefined;
}

/**
 * Whether a Redis server answers PING at `url` (a plain TCP round trip, so a stale URL file costs a
 * second, not a reconnecting client).
 */
export async function redisAnswers(url: string, timeoutMs: number): Promise<boolean> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (target.protocol !== 'redis:') return false;
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.hostname || '127.0.0.1', port: Number(target.port || 6379) });
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      // +PONG, or an error such as -NOAUTH: either way a Redis server is there.
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG') || answer.startsWith('-'));
    });
  });
}
