import { fstatSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { embeddedRedisDir } from '../app/data-dir.js';
import { embeddedRedisUrl } from '../app/redis-connection.js';

/**
 * Whether stdin carries a console script: a pipe or socket (`cat script | npm start`, a test harness)
 * or a regular file with something in it (`npm start < script`). A terminal is asked about separately;
 * /dev/null, an empty file or a closed stdin carry nothing, so `jitbot start` there is a server that
 * was not configured, and it says which variables to set instead of running an empty console.
 */
export function stdinCarriesScript(): boolean {
  try {
    const stat = fstatSync(0);
    if (stat.isFIFO() || stat.isSocket()) return true;
    return stat.isFile() && stat.size > 0;
  } catch {
    return false;
  }
}

/**
 * `jitbot console --fresh`: deletes the embedded redis-server's data (requests, grants, audit, jobs)
 * so that the console starts from JIT-1. Only the console's own embedded Redis: a Redis named by
 * REDIS_URL may hold other instances' state, so it is refused there. Issuer keys and the secret-box
 * key under the data directory are kept: they are not state anyone sees. Returns the problem, if any.
 */
export async function wipeEmbeddedRedis(dataDir: string, redisUrl: string | undefined): Promise<string | undefined> {
  if (redisUrl) {
    return [
      'jitbot: --fresh starts the console clean by deleting the data of its own embedded redis-server;',
      'REDIS_URL is set, so the state is in a Redis jitbot does not own, and --fresh will not delete anything there.',
      'Unset REDIS_URL to use the embedded redis-server, or set a new JITBOT_KEY_PREFIX for a clean start on that Redis.',
    ].join('\n');
  }
  const running = embeddedRedisUrl(dataDir);
  if (running && (await answers(running))) {
    return `jitbot: --fresh: a jitbot is running on the embedded redis-server of ${path.resolve(dataDir)} (${running}); stop it first.`;
  }
  rmSync(embeddedRedisDir(dataDir), { recursive: true, force: true });
  rmSync(path.join(dataDir, 'redis.url'), { force: true });
  return undefined;
}

/** Whether something accepts TCP connections at a redis:// URL (a redis.url left by a crash points at nothing). */
async function answers(url: string): Promise<boolean> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.hostname, port: Number(target.port || 6379) });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
