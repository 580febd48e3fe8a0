import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { StateLockTimeout, type IssuerState, type StateSlot } from '../core/ports/issuer.js';

// Extends or releases a lock only while it is still ours (the token matches).
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * IssuerState on Redis: a lock per key (SET NX PX with a token, kept alive while the holder works,
 * released only by its holder) and the JSON value beside it. Shared by every jitbot process on the
 * same Redis, unlike files in a data directory.
 */
export class RedisIssuerState implements IssuerState {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly redis: Redis,
    /** e.g. `jitbot:issuer:gh:` */
    private readonly prefix: string,
    private readonly options: { lockTtlMs?: number; waitMs?: number } = {},
  ) {}

  async withLock<T>(key: string, fn: (slot: StateSlot) => Promise<T>): Promise<T> {
    // Callers in this process queue in memory first, so they don't spin on Redis against each other.
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.locked(key, fn));
    const tail = run.catch(() => undefined);
    this.queues.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    }
  }

  private async locked<T>(key: string, fn: (slot: StateSlot) => Promise<T>): Promise<T> {
    const ttl = this.options.lockTtlMs ?? 30_000;
    const lockKey = `${this.prefix}lock:${key}`;
    const valueKey = `${this.prefix}value:${key}`;
    const token = randomBytes(12).toString('hex');
    const deadline = Date.now() + (this.options.waitMs ?? 60_000);
    let delay = 10;
    while ((await this.redis.set(lockKey, token, 'PX', ttl, 'NX')) !== 'OK') {
      if (Date.now() > deadline) throw new StateLockTimeout(key);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(200, delay * 2);
    }
    const heartbeat = setInterval(() => void this.redis.eval(EXTEND, 1, lockKey, token, ttl).catch(() => undefined), Math.floor(ttl / 3));
    heartbeat.unref();
    const slot: StateSlot = {
      read: async () => {
        const json = await this.redis.get(valueKey);
        return json === null ? undefined : (JSON.parse(json) as unknown);
      },
      write: async (value) => {
        if (value === undefined) await this.redis.del(valueKey);
        else await this.redis.set(valueKey, JSON.stringify(value));
      },
    };
    try {
      return await fn(slot);
    } finally {
      clearInterval(heartbeat);
      await this.redis.eval(RELEASE, 1, lockKey, token).catch(() => undefined);
    }
  }
}
