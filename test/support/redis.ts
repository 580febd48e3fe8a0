import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { deleteByPrefix } from './redis-keys.js';

export { deleteByPrefix };

/** A connection to the suite's Redis and a key prefix no other test uses. */
export interface TestRedis {
  redis: Redis;
  url: string;
  prefix: string;
  /** Deletes every key under the prefix and closes the connection. */
  cleanup(): Promise<void>;
}

export function uniquePrefix(label = 't'): string {
  return `${label}${randomBytes(4).toString('hex')}:`;
}

export async function connectTestRedis(label?: string): Promise<TestRedis> {
  const url = inject('redisUrl');
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
  await redis.connect();
  const prefix = uniquePrefix(label);
  return {
    redis,
    url,
    prefix,
    async cleanup() {
      await deleteByPrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

