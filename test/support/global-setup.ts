import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { RedisServerProcess } from '../../src/store/redis/redis-server-process.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/**
 * One shared redis-server for the suite (tests isolate themselves with a key prefix each), unless
 * REDIS_URL names one. Tests that kill or restart Redis start servers of their own.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.REDIS_URL) {
    project.provide('redisUrl', process.env.REDIS_URL);
    return async () => {};
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'jitbot-test-redis-'));
  const server = await RedisServerProcess.start({ dir, appendOnly: false });
  project.provide('redisUrl', server.url);
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
