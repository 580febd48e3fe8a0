import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Clock } from '../core/ports/clock.js';
import type { Logger } from '../core/ports/logger.js';
import type { JobOutcome } from '../core/services/grant-jobs.js';
import type { JitCore } from '../core/services/create-core.js';
import type { BullScheduler } from './bullmq-scheduler.js';
import { deliverOutcome } from './deliver-outcome.js';
import { BACKOFF_TYPE, DEFAULT_RETRY, NotificationSchema, QUEUES, ReannounceJobSchema, ReconcileJobSchema, RequestJobSchema, backoffDelay, type RetrySettings } from './queues.js';

/** A failure that carries how long to wait before the next try (Retry-After, rate-limit resets). */
class RetryLater extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

export interface WorkerOptions {
  connection: Redis;
  prefix: string;
  core: JitCore;
  scheduler: BullScheduler;
  clock: Clock;
  log: Logger;
  retry?: RetrySettings;
  /** Revocations run in parallel up to this many per process (bounded, so an issuer is not flooded). */
  revokeConcurrency?: number;
  /** Lock and stall timings; tests shorten them so a killed worker's job is picked up quickly. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  reconcileEveryMs?: number;
  /** Called after every revoke and issue job outcome (metrics). */
  onJobResult?: (queue: string, outcome: 'completed' | 'failed' | 'retry', ms: number) => void;
}

export interface RunningWorkers {
  workers: Worker[];
  /** Resolves when every worker is connected and running. */
  ready(): Promise<void>;
  isRunning(): boolean;
  close(): Promise<void>;
}

/** Starts one BullMQ worker per queue, each a thin shell: parse job data, call the core, map the outcome. */
export function startWorkers(options: WorkerOptions): RunningWorkers {
  const common = commonOptions(options);
  const workers = queueHandlers(options).map(({ queue, concurrency, handler }) => new Worker(queue, timed(queue, handler, options), { ...common, concurrency }));
  for (const worker of workers) watch(worker, options);

  let running = true;
  return {
    workers,
    async ready() {
      await Promise.all(workers.map((w) => w.waitUntilReady()));
      // A cheap pass often (grants ending soon), and a full pass now and then (everything).
      const every = options.reconcileEveryMs ?? 30_000;
      const opts = { removeOnComplete: true, removeOnFail: true };
      await options.scheduler.queues.maintenance.upsertJobScheduler('reconcile', { every }, { name: 'reconcile', data: { scope: 'due', horizonMs: every * 3 }, opts });
      await options.scheduler.queues.maintenance.upsertJobScheduler('reconcile-full', { every: every * 20 }, { name: 'reconcile', data: { scope: 'full' }, opts });
    },
    isRunning: () => running && workers.every((w) => w.isRunning()),
    async close() {
      running = false;
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}

type Handler = (job: Job, token?: string) => Promise<void>;

/** Connection, lock and stall timings, and the backoff every worker shares. */
function commonOptions(options: WorkerOptions) {
  const retry = options.retry ?? DEFAULT_RETRY;
  return {
    connection: options.connection,
    prefix: options.prefix,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 15_000,
    // A job that stalls many times (repeated crashes) must not end up failed and forgotten.
    maxStalledCount: 1000,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string, error?: Error) =>
        type === BACKOFF_TYPE || type === undefined ? backoffDelay(retry, attemptsMade, error instanceof RetryLater ? error.retryAfterMs : undefined) : 1000,
    },
  };
}

/** What each queue's worker does with a job, and how many it runs at once. */
function queueHandlers(options: WorkerOptions): { queue: string; concurrency: number; handler: Handler }[] {
  const { core, log } = options;
  // Applies a handler's outcome to the BullMQ job: done, wait until later, or throw to retry.
  const apply = async (job: Job, token: string | undefined, outcome: JobOutcome): Promise<void> => {
    if (outcome.kind === 'done') return;
    if (outcome.kind === 'later') {
      await job.moveToDelayed(Date.now() + Math.max(0, outcome.atMs - options.clock.now()), token);
      throw new DelayedError();
    }
    throw new RetryLater(outcome.error, outcome.retryAfterMs);
  };
  return [
    {
      queue: QUEUES.issue,
      concurrency: 20,
      handler: async (job, token) => {
        const { requestId } = RequestJobSchema.parse(job.data);
        await apply(job, token, job.name === 'extend' ? await core.jobs.extendAtIssuer(requestId) : await core.jobs.issue(requestId, { made: job.attemptsMade }));
      },
    },
    {
      queue: QUEUES.revoke,
      concurrency: options.revokeConcurrency ?? 50,
      handler: async (job, token) => apply(job, token, await core.jobs.revoke(RequestJobSchema.parse(job.data).requestId)),
    },
    {
      queue: QUEUES.lifecycle,
      concurrency: 20,
      handler: async (job, token) => {
        if (job.name === 'reannounce') {
          const { requestId, round } = ReannounceJobSchema.parse(job.data);
          const outcome = await core.jobs.reannounce(requestId, round);
          // The same job waits for the next round, so a decision can cancel it by its one id.
          if (outcome.kind === 'later') await job.updateData({ requestId, round: round + 1 });
          return apply(job, token, outcome);
        }
        const { requestId } = RequestJobSchema.parse(job.data);
        await apply(job, token, job.name === 'remind' ? await core.jobs.remind(requestId) : await core.jobs.timeout(requestId));
      },
    },
    { queue: QUEUES.notify, concurrency: 10, handler: async (job, token) => apply(job, token, await deliverOutcome(core, NotificationSchema.parse(job.data), log)) },
    {
      queue: QUEUES.maintenance,
      concurrency: 1,
      handler: async (job) => {
        await core.jobs.reconcile(ReconcileJobSchema.parse(job.data));
      },
    },
  ];
}

/** Reports every job's outcome and time (metrics); a delayed job is neither done nor failed. */
function timed(queue: string, handler: Handler, options: WorkerOptions): Handler {
  return async (job, token) => {
    const started = Date.now();
    try {
      await handler(job, token);
      options.onJobResult?.(queue, 'completed', Date.now() - started);
    } catch (error) {
      if (!(error instanceof DelayedError)) options.onJobResult?.(queue, error instanceof RetryLater ? 'retry' : 'failed', Date.now() - started);
      throw error;
    }
  };
}

/** Logs worker errors and jobs that failed for good; a revocation is never dropped, a lost notification is audited. */
function watch(worker: Worker, options: WorkerOptions): void {
  const { core, clock, log } = options;
  worker.on('error', (error) => log.error({ queue: worker.name, error: error.message }, 'worker error'));
  worker.on('failed', (job, error) => {
    // BullMQ fires this after every failed attempt; only the last one is "for good".
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    log.error({ queue: worker.name, jobId: job.id, attempts: job.attemptsMade, error: error.message }, 'job failed for good');
    // Revocations are never dropped: a revoke job that failed anyway (e.g. stalled too often) is re-added.
    if (worker.name === QUEUES.revoke) {
      const parsed = RequestJobSchema.safeParse(job.data);
      if (parsed.success) void options.scheduler.revokeAt(parsed.data.requestId, clock.now()).catch(() => undefined);
    }
    if (worker.name === QUEUES.notify) {
      const parsed = NotificationSchema.safeParse(job.data);
      if (parsed.success) {
        void core.jobs.deliveryFailed(parsed.data, error.message).catch(() => undefined);
      }
    }
  });
}
