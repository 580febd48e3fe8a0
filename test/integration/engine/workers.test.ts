import { afterEach, describe, expect, it } from 'vitest';
import { IssuerError, NotifyError, UpstreamError } from '../../../src/core/domain/errors.js';
import type { Logger } from '../../../src/core/ports/logger.js';
import type { JitCore } from '../../../src/core/services/create-core.js';
import { BullScheduler } from '../../../src/jobs/bullmq-scheduler.js';
import { startWorkers, type RunningWorkers } from '../../../src/jobs/workers.js';
import { waitFor } from '../../support/engine.js';
import { connectTestRedis, type TestRedis } from '../../support/redis.js';

/** BullMQ workers on the suite's Redis, with a core whose `deliver` fails as the test says. */
async function notifyWorkers(deliver: (attempt: number) => void) {
  const t = await connectTestRedis('workers');
  const clock = { now: () => Date.now() };
  const warnings: string[] = [];
  const results: string[] = [];
  const log: Logger = { debug() {}, info() {}, warn: (_fields, message) => void warnings.push(message), error() {} };
  let attempts = 0;
  const scheduler = new BullScheduler({ connection: t.redis, prefix: `${t.prefix}bull`, clock, log });
  // Only the entry points these jobs reach: `jobs.deliver`, and the reconcile pass `ready()` schedules.
  const core = {
    jobs: { deliver: async () => deliver(++attempts), reconcile: async () => ({}) },
    deps: { store: { appendAudit: async () => undefined } },
  } as unknown as JitCore;
  const workers = startWorkers({
    connection: t.redis,
    prefix: `${t.prefix}bull`,
    core,
    scheduler,
    clock,
    log,
    retry: { baseMs: 10, capMs: 10 },
    onJobResult: (queue, outcome) => void (queue === 'notify' && results.push(outcome)),
  });
  await workers.ready();
  return { t, scheduler, workers, warnings, results, attempts: () => attempts };
}

describe('BullMQ workers: retry or give up, from UpstreamError.retryable alone', () => {
  let running: { t: TestRedis; scheduler: BullScheduler; workers: RunningWorkers } | undefined;
  afterEach(async () => {
    await running?.workers.close();
    await running?.scheduler.close();
    await running?.t.cleanup();
    running = undefined;
  });

  for (const [label, error] of [
    ['a NotifyError', new NotifyError('the person never installed the app (test)', false)],
    ['any other UpstreamError', new IssuerError('the far side says no (test)', false)],
  ] as const) {
    it(`gives a notification up at once when ${label} says retrying cannot help`, async () => {
      const setup = await notifyWorkers(() => {
        throw error;
      });
      running = setup;
      await setup.scheduler.notify({ kind: 'card', requestId: 'JIT-1' });
      await waitFor('the notify job to finish', () => setup.results.includes('completed'));
      expect(setup.attempts()).toBe(1);
      expect(setup.warnings).toEqual(['notification cannot be delivered']);
    });
  }

  it('retries a notification whose UpstreamError says trying again can help', async () => {
    const setup = await notifyWorkers((attempt) => {
      if (attempt === 1) throw new UpstreamError('rate-limited (test)', true, { retryAfterMs: 20 });
    });
    running = setup;
    await setup.scheduler.notify({ kind: 'card', requestId: 'JIT-2' });
    await waitFor('the notify job to finish', () => setup.results.includes('completed'));
    expect(setup.attempts()).toBe(2);
    expect(setup.results).toEqual(['retry', 'completed']);
    expect(setup.warnings).toEqual([]);
  });
});
