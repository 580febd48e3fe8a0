import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RequestId } from '../core/domain/access-request.js';
import type { Clock } from '../core/ports/clock.js';
import type { Logger } from '../core/ports/logger.js';
import type { Notification, Scheduler } from '../core/ports/scheduler.js';
import { BACKOFF_TYPE, QUEUES, jobIds } from './queues.js';

const LIVE_STATES = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children']);

// Jobs that must never be dropped retry "forever"; the engine decides when to give up (issue) or
// keeps going until it succeeds (revoke).
const FOREVER = 1_000_000;

export interface BullSchedulerOptions {
  connection: Redis;
  /** BullMQ key prefix, e.g. `jitbot:bull`. */
  prefix: string;
  clock: Clock;
  log: Logger;
}

/** The Scheduler port on BullMQ queues: deterministic job ids, delays from the injected clock. */
export class BullScheduler implements Scheduler {
  readonly queues: Record<keyof typeof QUEUES, Queue>;
  private readonly clock: Clock;
  private readonly connection: Redis;

  constructor(options: BullSchedulerOptions) {
    this.clock = options.clock;
    this.connection = options.connection;
    const make = (name: string) => {
      const queue = new Queue(name, { connection: options.connection, prefix: options.prefix });
      queue.on('error', (error) => options.log.warn({ queue: name, error: error.message }, 'queue connection error'));
      return queue;
    };
    this.queues = {
      issue: make(QUEUES.issue),
      revoke: make(QUEUES.revoke),
      lifecycle: make(QUEUES.lifecycle),
      notify: make(QUEUES.notify),
      maintenance: make(QUEUES.maintenance),
    };
  }

  async hasJobs(kind: 'issue' | 'revoke' | 'timeout', ids: readonly RequestId[]): Promise<boolean[]> {
    if (ids.length === 0) return [];
    const queue = kind === 'timeout' ? this.queues.lifecycle : this.queues[kind];
    // Finished jobs are removed (removeOnComplete / removeOnFail), so a job's hash exists exactly
    // while it is waiting, delayed or running: one pipelined EXISTS per id instead of a script each.
    const pipeline = this.connection.pipeline();
    for (const id of ids) pipeline.exists(queue.toKey(jobIds[kind](id)));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, count]) => !error && count === 1);
  }

  private delayUntil(atMs: number): number {
    return Math.max(0, Math.round(atMs - this.clock.now()));
  }

  async issue(id: RequestId): Promise<void> {
    await this.queues.issue.add('issue', { requestId: id }, {
      jobId: jobIds.issue(id),
      attempts: FOREVER,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: true,
      removeOnFail: true,
    });
  }

  async extendAtIssuer(id: RequestId, extension: number): Promise<void> {
    await this.queues.issue.add('extend', { requestId: id }, {
      jobId: `extend-${id}-${extension}`,
      attempts: 10,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: true,
      removeOnFail: true,
    });
  }

  async revokeAt(id: RequestId, atMs: number): Promise<void> {
    await this.upsert(this.queues.revoke, 'revoke', jobIds.revoke(id), { requestId: id }, atMs, {
      attempts: FOREVER,
      backoff: { type: BACKOFF_TYPE },
    });
  }

  async remindAt(id: RequestId, atMs: number): Promise<void> {
    await this.upsert(this.queues.lifecycle, 'remind', jobIds.remind(id), { requestId: id }, atMs, { attempts: 5, backoff: { type: BACKOFF_TYPE } });
  }

  async cancelReminder(id: RequestId): Promise<void> {
    await this.removeIfWaiting(this.queues.lifecycle, jobIds.remind(id));
  }

  async timeoutAt(id: RequestId, atMs: number): Promise<void> {
    await this.upsert(this.queues.lifecycle, 'timeout', jobIds.timeout(id), { requestId: id }, atMs, { attempts: FOREVER, backoff: { type: BACKOFF_TYPE } });
  }

  async cancelTimeout(id: RequestId): Promise<void> {
    await this.removeIfWaiting(this.queues.lifecycle, jobIds.timeout(id));
  }

  async reannounceAt(id: RequestId, atMs: number, round: number): Promise<void> {
    await this.queues.lifecycle.add('reannounce', { requestId: id, round }, {
      jobId: jobIds.reannounce(id),
      delay: this.delayUntil(atMs),
      attempts: 3,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: true,
      removeOnFail: true,
    });
  }

  async cancelReannounce(id: RequestId): Promise<void> {
    await this.removeIfWaiting(this.queues.lifecycle, jobIds.reannounce(id));
  }

  async notify(notification: Notification): Promise<void> {
    await this.queues.notify.add(notification.kind, notification, {
      attempts: 10,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  async hasJob(kind: 'issue' | 'revoke' | 'timeout', id: RequestId): Promise<boolean> {
    const queue = kind === 'timeout' ? this.queues.lifecycle : this.queues[kind];
    const state = await queue.getJobState(jobIds[kind](id));
    return LIVE_STATES.has(state);
  }

  /**
   * One job per id: a delayed job is moved to the new time, a waiting or running one is left alone
   * (its processor re-reads the state), and a missing or finished one is added.
   */
  private async upsert(queue: Queue, name: string, jobId: string, data: object, atMs: number, options: JobsOptions): Promise<void> {
    const delay = this.delayUntil(atMs);
    for (let attempt = 0; attempt < 5; attempt++) {
      const job = await queue.getJob(jobId);
      if (job) {
        const state = await job.getState();
        if (state === 'delayed') {
          try {
            if (delay === 0) await job.promote();
            else await job.changeDelay(delay);
            return;
          } catch {
            continue; // it just became waiting or active: look again
          }
        }
        if (LIVE_STATES.has(state)) return;
        await job.remove().catch(() => undefined);
      }
      const added = await queue.add(name, data, { ...options, jobId, delay, removeOnComplete: true, removeOnFail: true });
      if (added.id === jobId) return;
    }
  }

  private async removeIfWaiting(queue: Queue, jobId: string): Promise<void> {
    const job = await queue.getJob(jobId);
    if (!job) return;
    const state = await job.getState();
    if (state === 'delayed' || state === 'waiting') await job.remove().catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.close()));
  }
}
