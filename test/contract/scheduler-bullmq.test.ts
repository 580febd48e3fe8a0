import { silentLogger } from '../../src/core/ports/logger.js';
import { BullScheduler } from '../../src/jobs/bullmq-scheduler.js';
import { connectTestRedis } from '../support/redis.js';
import { describeSchedulerContract, type ObservedJob } from './scheduler-contract.js';

describeSchedulerContract('BullMQ', async () => {
  const t = await connectTestRedis('sched');
  // A clock that stands still, so the delays BullMQ stores are exactly what the contract expects.
  const now = Date.now();
  const scheduler = new BullScheduler({ connection: t.redis, prefix: `${t.prefix}bull`, clock: { now: () => now }, log: silentLogger });
  return {
    scheduler,
    now,
    async jobsOf(requestId) {
      const queues = [scheduler.queues.issue, scheduler.queues.revoke, scheduler.queues.lifecycle];
      const jobs = [];
      for (const queue of queues) {
        for (const job of await queue.getJobs(['delayed', 'waiting', 'active'])) {
          if (job.data.requestId !== requestId) continue;
          const state = (await job.getState()) === 'delayed' ? 'delayed' : 'waiting';
          jobs.push({ id: job.id!, job: { name: job.name, state, delayMs: state === 'delayed' ? job.delay : 0 } satisfies ObservedJob });
        }
      }
      return jobs.sort((a, b) => (a.id < b.id ? -1 : 1)).map((j) => j.job);
    },
    async teardown() {
      await scheduler.close();
      await t.cleanup();
    },
  };
});
