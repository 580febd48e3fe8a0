import { ManualClock } from '../../src/core/ports/clock.js';
import { MemoryScheduler } from '../../src/jobs/memory-scheduler.js';
import { describeSchedulerContract } from './scheduler-contract.js';

describeSchedulerContract('memory', async () => {
  const clock = new ManualClock();
  const scheduler = new MemoryScheduler({ clock });
  return {
    scheduler,
    now: clock.now(),
    async jobsOf(requestId) {
      return scheduler
        .pending()
        .filter((job) => job.queue !== 'notify' && job.data.requestId === requestId)
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((job) => ({ name: job.name, state: job.dueAt > clock.now() ? 'delayed' : 'waiting', delayMs: job.dueAt - clock.now() }));
    },
    teardown: async () => {},
  };
});
