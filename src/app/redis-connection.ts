import { existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from '../core/ports/logger.js';
import { RedisServerProcess, findRedisServer, REDIS_INSTALL_HINT } from '../store/redis/redis-server-process.js';

export interface RedisHandle {
  url: string;
  /** Set when jitbot started its own redis-server. */
  embedded?: RedisServerProcess;
  /** For commands (fail fast when Redis is away, so users get a clear answer). */
  commands: Redis;
  /** For BullMQ workers and queues (must retry forever: maxRetriesPerRequest null). */
  jobs: Redis;
  close(): Promise<void>;
}

/**
 * Connects to REDIS_URL, or starts the embedded redis-server (AOF on, data under the data dir) when it
 * is unset. Checks the settings BullMQ relies on before anything runs.
 */
export async function openRedis(options: { url?: string; dataDir: string; log: Logger; embeddedPort?: number }): Promise<RedisHandle> {
  let url = options.url;
  let embedded: RedisServerProcess | undefined;
  const urlFile = path.join(options.dataDir, 'redis.url');
  if (!url) {
    if (!findRedisServer()) throw new Error(REDIS_INSTALL_HINT);
    embedded = await RedisServerProcess.start({ dir: path.join(options.dataDir, 'redis'), appendOnly: true, ...(options.embeddedPort ? { port: options.embeddedPort } : {}) });
    url = embedded.url;
    writeFileSync(urlFile, url);
    options.log.info({ url, dir: path.join(options.dataDir, 'redis') }, 'started embedded redis-server (AOF on)');
  }
  const commands = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: true, connectTimeout: 5000 });
  const jobs = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
  for (const client of [commands, jobs]) client.on('error', (error) => options.log.warn({ error: error.message }, 'redis connection error'));
  await Promise.all([commands.connect(), jobs.connect()]);
  await checkRedisSettings(commands, options.log);
  return {
    url,
    ...(embedded ? { embedded } : {}),
    commands,
    jobs,
    async close() {
      commands.disconnect();
      jobs.disconnect();
      if (embedded) {
        await embedded.stop();
        rmSync(urlFile, { force: true });
      }
    },
  };
}

/** The URL of an embedded redis-server another jitbot process started, if one is running. */
export function embeddedRedisUrl(dataDir: string): string | undefined {
  const file = path.join(dataDir, 'redis.url');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/**
 * BullMQ's rule: `maxmemory-policy noeviction`, or queued revocations could be evicted. Refuses to run
 * otherwise. AOF is recommended (without it a Redis restart loses recent state): a warning.
 */
export async function checkRedisSettings(redis: Redis, log: Logger): Promise<void> {
  let policy: string | undefined;
  let aof: string | undefined;
  try {
    policy = ((await redis.config('GET', 'maxmemory-policy')) as string[])[1];
    aof = ((await redis.config('GET', 'appendonly')) as string[])[1];
  } catch (error) {
    log.warn({ error: (error as Error).message }, 'cannot read Redis CONFIG (managed Redis?); make sure maxmemory-policy is noeviction and persistence is on');
    return;
  }
  if (policy !== undefined && policy !== 'noeviction') {
    throw new Error(
      `Redis maxmemory-policy is "${policy}"; jitbot needs "noeviction" so that no queued revocation can be evicted. ` +
        'Set it with `CONFIG SET maxmemory-policy noeviction` (and in redis.conf).',
    );
  }
  if (aof === 'no') log.warn({}, 'Redis appendonly is off: a Redis restart may lose recent grants and jobs. Turn AOF on for production.');
}
