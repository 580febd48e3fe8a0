import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../src/store/redis/redis-server-process.js';
import { BenchChild, jitbotArgs } from './child-process.js';
import type { BenchContext } from './context.js';
import { BENCH_POLICY_YAML, SECRET_KEY_HEX } from './engine.js';

export const SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
export const BOT_TOKEN = 'xoxb-bench-0000000000-token';

export interface JitbotProcess {
  child: BenchChild;
  /** HTTP port (web and start). */
  port?: number;
  /** Milliseconds from spawn to ready (HTTP answering, or the worker's reconciliation done). */
  readyMs: number;
}

function policyFile(ctx: BenchContext): string {
  const file = path.join(ctx.tmp, 'bench-policy.yaml');
  if (!existsSync(file)) writeFileSync(file, BENCH_POLICY_YAML);
  return file;
}

/**
 * Starts the real `jitbot start | web | worker` process on the benchmark's Redis under `prefix`, with
 * the Slack adapter pointed at the sink when `slack` is set. Logs (pino JSON, level info as in
 * production) go to a file in the scratch directory.
 */
export async function startJitbotProcess(
  ctx: BenchContext,
  options: { command: 'start' | 'web' | 'worker'; prefix: string; slack: boolean; name?: string; nodeArgs?: string[]; env?: Record<string, string> },
): Promise<JitbotProcess> {
  const name = options.name ?? `jitbot-${options.command}`;
  const dataDir = path.join(ctx.tmp, `${name}-${options.prefix.replace(/[^a-z0-9]/gi, '_')}`);
  mkdirSync(dataDir, { recursive: true });
  const port = options.command === 'worker' ? undefined : await freePort();
  const env: Record<string, string> = {
    REDIS_URL: ctx.redisUrl,
    JITBOT_KEY_PREFIX: options.prefix,
    JITBOT_POLICY: policyFile(ctx),
    JITBOT_DATA_DIR: dataDir,
    JITBOT_SECRET_KEY: SECRET_KEY_HEX,
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    ...(port ? { PORT: String(port) } : {}),
    ...(options.slack ? { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: `${ctx.sink.url}/api/` } : {}),
    ...options.env,
  };
  const started = performance.now();
  const child = BenchChild.start({ name, args: jitbotArgs(options.command, options.nodeArgs), env, logFile: path.join(ctx.tmp, `${name}-${Date.now()}.log`), cpu: ctx.cpu });
  try {
    if (port) await child.waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000, 200);
    if (options.command !== 'web') await child.waitForOutput(/reconciliation done/, 300_000);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { child, ...(port ? { port } : {}), readyMs: performance.now() - started };
}
