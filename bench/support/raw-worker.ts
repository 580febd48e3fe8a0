// The throughput baseline's worker process: plain BullMQ with the shape of a lifecycle and none of
// jitbot's work. An `issue` job's processor adds a delayed `revoke` job (the grant's window); the
// revoke processor counts the lifecycle as done. Same concurrency as jitbot's issue and revoke workers.
// Usage (env): REDIS_URL, BULL_PREFIX, WINDOW_MS.
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.BULL_PREFIX ?? 'rawbench:bull';
const windowMs = Number(process.env.WINDOW_MS ?? 1000);
const connection = new Redis(url, { maxRetriesPerRequest: null });
const counter = new Redis(url, { maxRetriesPerRequest: 2 });
const revokeQueue = new Queue('revoke', { connection, prefix });

const issueWorker = new Worker(
  'issue',
  async (job) => {
    await revokeQueue.add('revoke', job.data, { jobId: `revoke-${job.id}`, delay: windowMs, removeOnComplete: true, removeOnFail: true });
  },
  { connection, prefix, concurrency: 20 },
);
const revokeWorker = new Worker(
  'revoke',
  async () => {
    await counter.incr(`${prefix}:lifecycles-done`);
  },
  { connection, prefix, concurrency: 50 },
);
await Promise.all([issueWorker.waitUntilReady(), revokeWorker.waitUntilReady()]);
console.log('raw-worker ready');
process.on('SIGTERM', () => {
  void Promise.all([issueWorker.close(), revokeWorker.close(), revokeQueue.close()]).then(() => {
    connection.disconnect();
    counter.disconnect();
    process.exit(0);
  });
});
