import { RedisRequestStore } from '../../src/store/redis/redis-request-store.js';
import { connectTestRedis } from '../support/redis.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('redis', async () => {
  const t = await connectTestRedis('store');
  const stream = `${t.prefix}audit`;
  return {
    store: new RedisRequestStore(t.redis, t.prefix),
    // Redis expires keys on its own clock: the TTL really has to pass.
    passTime: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    tamper: {
      // Stream entries cannot be edited in place: rewrite the stream with one body changed.
      async alter(position, edit) {
        const entries = (await t.redis.xrange(stream, '-', '+')) as [string, string[]][];
        await t.redis.del(stream);
        for (const [id, fields] of entries) {
          const changed = id === `${position}-1` ? fields.map((value, i) => (fields[i - 1] === 'body' ? edit(value) : value)) : fields;
          await t.redis.xadd(stream, id, ...changed);
        }
      },
      async remove(position) {
        await t.redis.xdel(stream, `${position}-1`);
      },
    },
    teardown: () => t.cleanup(),
  };
});
