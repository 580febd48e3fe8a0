import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisIssuerState } from '../../../src/app/redis-issuer-state.js';
import { connectTestRedis, type TestRedis } from '../../support/redis.js';

describe('issuer state on Redis', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await connectTestRedis('state');
  });
  afterAll(async () => t.cleanup());

  it('serialises read-modify-write per key across processes (separate connections): no lost update', async () => {
    const clients = [new Redis(t.url), new Redis(t.url), new Redis(t.url)];
    const states = clients.map((c) => new RedisIssuerState(c, `${t.prefix}gh:`));
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        states[i % 3]!.withLock('repo:acme/app:alice', async (slot) => {
          const count = ((await slot.read()) as number | undefined) ?? 0;
          await new Promise((resolve) => setTimeout(resolve, 2)); // an upstream call in between
          await slot.write(count + 1);
        }),
      ),
    );
    expect(await states[0]!.withLock('repo:acme/app:alice', (slot) => slot.read())).toBe(60);
    clients.forEach((c) => c.disconnect());
  });

  it('deletes a value written as undefined, and frees the lock when the holder throws', async () => {
    const state = new RedisIssuerState(t.redis, `${t.prefix}v:`, { waitMs: 2000 });
    await state.withLock('k', (slot) => slot.write({ a: 1 }));
    await expect(state.withLock('k', async () => Promise.reject(new Error('upstream down')))).rejects.toThrow('upstream down');
    expect(await state.withLock('k', (slot) => slot.read())).toEqual({ a: 1 });
    await state.withLock('k', (slot) => slot.write(undefined));
    expect(await state.withLock('k', (slot) => slot.read())).toBeUndefined();
    expect(await t.redis.keys(`${t.prefix}v:*`)).toEqual([]);
  });

  it('a lock left by a crashed holder expires', async () => {
    const state = new RedisIssuerState(t.redis, `${t.prefix}x:`, { lockTtlMs: 300, waitMs: 3000 });
    await t.redis.set(`${t.prefix}x:lock:k`, 'someone-who-died', 'PX', 300);
    const started = Date.now();
    await state.withLock('k', (slot) => slot.write(1));
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });
});
