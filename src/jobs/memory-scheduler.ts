import type { RequestId } from '../core/domain/access-request.js';
import type { AuditLog } from '../core/ports/audit-log.js';
import type { ManualClock } from '../core/ports/clock.js';
import { silentLogger, type Logger } from '../core/ports/logger.js';
import type { Notification, Scheduler } from '../core/ports/scheduler.js';
import type { JitCore } from '../core/services/create-core.js';
import type { JobOutcome } from '../core/services/grant-jobs.js';
import { deliverOutcome } from './deliver-outcome.js';
import { DEFAULT_RETRY, ReconcileJobSchema, jobIds, type QUEUES, type RetrySettings } from './queues.js';

type QueueName = keyof typeof QUEUES;

/** One job as the in-memory scheduler holds it: BullMQ's job, minus the queue machinery. */
export interface MemoryJob {
  /** Deterministic like BullMQ's (`revoke-JIT-1`); notifications get a counter. */
  id: string;
  queue: QueueName;
  name: string;
  data: Record<string, unknown>;
  dueAt: number;
  /** Failed attempts so far (BullMQ's `attemptsMade`; a job that ran early and waits again does not count). */
  attemptsMade: number;
  attempts: number;
  running: boolean;
}

export interface MemorySchedulerOptions {
  clock: ManualClock;
  /** Backoff of retries; the waits are exact (no jitter) so tests know when the next attempt is due. */
  retry?: RetrySettings;
  /** Where a notification that failed for good is recorded, as the BullMQ notify worker does. */
  audit?: Pick<AuditLog, 'appendAudit'>;
  log?: Logger;
}

// The same attempt limits as the BullMQ scheduler: "forever" for what must never be dropped.
const FOREVER = 1_000_000;
const MAX_RUNS = 100_000;

/**
 * The Scheduler port in memory with a manual clock: jobs wait with their due time, one per kind
 * and request, and run only when a test (or a single-process demo) calls `runDue` or `advance`.
 * Running a job calls the same core entry points as the BullMQ workers, and maps outcomes the same
 * way: done, wait until later (not an attempt), or retry with backoff until the attempts run out.
 */
export class MemoryScheduler implements Scheduler {
  private readonly jobs = new Map<string, MemoryJob>();
  private readonly clock: ManualClock;
  private readonly retry: RetrySettings;
  private readonly log: Logger;
  private core: Pick<JitCore, 'jobs'> | undefined;
  private notifications = 0;

  constructor(private readonly options: MemorySchedulerOptions) {
    this.clock = options.clock;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.log = options.log ?? silentLogger;
  }

  /** The core whose job entry points run the jobs (it is built with this scheduler, hence later). */
  connect(core: Pick<JitCore, 'jobs'>): void {
    this.core = core;
  }

  async issue(id: RequestId): Promise<void> {
    this.addOnce('issue', 'issue', jobIds.issue(id), { requestId: id }, this.clock.now(), FOREVER);
  }

  async extendAtIssuer(id: RequestId, extension: number): Promise<void> {
    this.addOnce('issue', 'extend', `extend-${id}-${extension}`, { requestId: id }, this.clock.now(), 10);
  }

  async revokeAt(id: RequestId, atMs: number): Promise<void> {
    this.upsert('revoke', 'revoke', jobIds.revoke(id), { requestId: id }, atMs, FOREVER);
  }

  async remindAt(id: RequestId, atMs: number): Promise<void> {
    this.upsert('lifecycle', 'remind', jobIds.remind(id), { requestId: id }, atMs, 5);
  }

  async cancelReminder(id: RequestId): Promise<void> {
    this.removeIfWaiting(jobIds.remind(id));
  }

  async timeoutAt(id: RequestId, atMs: number): Promise<void> {
    this.upsert('lifecycle', 'timeout', jobIds.timeout(id), { requestId: id }, atMs, FOREVER);
  }

  async cancelTimeout(id: RequestId): Promise<void> {
    this.removeIfWaiting(jobIds.timeout(id));
  }

  async reannounceAt(id: RequestId, atMs: number, round: number): Promise<void> {
    this.addOnce('lifecycle', 'reannounce', jobIds.reannounce(id), { requestId: id, round }, atMs, 3);
  }

  async cancelReannounce(id: RequestId): Promise<void> {
    this.removeIfWaiting(jobIds.reannounce(id));
  }

  async notify(notification: Notification): Promise<void> {
    this.notifications += 1;
    this.addOnce('notify', notification.kind, `notify-${this.notifications}`, { ...notification }, this.clock.now(), 10);
  }

  async hasJob(kind: 'issue' | 'revoke' | 'timeout', id: RequestId): Promise<boolean> {
    return this.jobs.has(jobIds[kind](id));
  }

  async hasJobs(kind: 'issue' | 'revoke' | 'timeout', ids: readonly RequestId[]): Promise<boolean[]> {
    return ids.map((id) => this.jobs.has(jobIds[kind](id)));
  }

  /** Every job held, soonest first (a copy: changing it changes nothing). */
  pending(): MemoryJob[] {
    return this.ordered().map((job) => ({ ...job, data: { ...job.data } }));
  }

  job(id: string): MemoryJob | undefined {
    const job = this.jobs.get(id);
    return job && { ...job, data: { ...job.data } };
  }

  /** Loses a job, as a crash or a Redis restore from an old backup can; reconciliation should repair it. */
  lose(id: string): boolean {
    return this.jobs.delete(id);
  }

  /** Runs every job due now, and those they make due now, one at a time in due order. Returns how many ran. */
  async runDue(): Promise<number> {
    let runs = 0;
    for (let job = this.nextDue(); job; job = this.nextDue()) {
      if (++runs > MAX_RUNS) throw new Error(`more than ${MAX_RUNS} job runs at ${this.clock.now()}: a job keeps rescheduling itself now`);
      await this.run(job);
    }
    return runs;
  }

  /** Moves the clock forward by `ms`, stopping at each job's due time to run it then. */
  async advance(ms: number): Promise<number> {
    return this.advanceTo(this.clock.now() + ms);
  }

  async advanceTo(atMs: number): Promise<number> {
    let runs = await this.runDue();
    for (let next = this.soonest(); next && next.dueAt <= atMs; next = this.soonest()) {
      this.clock.set(next.dueAt);
      runs += await this.runDue();
    }
    this.clock.set(atMs);
    return runs + (await this.runDue());
  }

  private ordered(): MemoryJob[] {
    // Map order is insertion order and sort is stable: among equal due times, the older job first.
    return [...this.jobs.values()].sort((a, b) => a.dueAt - b.dueAt);
  }

  /** The job to run next: the soonest not running (one pass, not a sort: runDue calls it per job). */
  private soonest(): MemoryJob | undefined {
    let best: MemoryJob | undefined;
    for (const job of this.jobs.values()) if (!job.running && (best === undefined || job.dueAt < best.dueAt)) best = job;
    return best;
  }

  private nextDue(): MemoryJob | undefined {
    const next = this.soonest();
    return next && next.dueAt <= this.clock.now() ? next : undefined;
  }

  /** BullMQ `add` with a job id: a job with that id that still exists wins. */
  private addOnce(queue: QueueName, name: string, id: string, data: Record<string, unknown>, atMs: number, attempts: number): void {
    if (this.jobs.has(id)) return;
    this.jobs.set(id, { id, queue, name, data, dueAt: Math.max(atMs, this.clock.now()), attemptsMade: 0, attempts, running: false });
  }

  /** As the BullMQ scheduler's upsert: a delayed job moves, a due or running one is left alone, a missing one is added. */
  private upsert(queue: QueueName, name: string, id: string, data: Record<string, unknown>, atMs: number, attempts: number): void {
    const job = this.jobs.get(id);
    if (job && !job.running && job.dueAt > this.clock.now()) {
      job.dueAt = Math.max(atMs, this.clock.now());
      return;
    }
    this.addOnce(queue, name, id, data, atMs, attempts);
  }

  private removeIfWaiting(id: string): void {
    if (this.jobs.get(id)?.running === false) this.jobs.delete(id);
  }

  private async run(job: MemoryJob): Promise<void> {
    job.running = true;
    let outcome: JobOutcome;
    try {
      outcome = await this.process(job);
    } catch (error) {
      outcome = { kind: 'retry', error: error instanceof Error ? error.message : String(error) };
    } finally {
      job.running = false;
    }
    if (outcome.kind === 'done') {
      this.jobs.delete(job.id);
    } else if (outcome.kind === 'later') {
      job.dueAt = Math.max(outcome.atMs, this.clock.now());
    } else {
      job.attemptsMade += 1;
      if (job.attemptsMade >= job.attempts) return this.failedForGood(job, outcome.error);
      job.dueAt = this.clock.now() + this.backoff(job.attemptsMade, outcome.retryAfterMs);
    }
  }

  /** The body of each BullMQ worker, on the same core entry points. */
  private async process(job: MemoryJob): Promise<JobOutcome> {
    const core = this.core;
    if (!core) throw new Error('MemoryScheduler.connect(core) was not called');
    const requestId = String(job.data.requestId);
    switch (job.queue) {
      case 'issue':
        return job.name === 'extend' ? core.jobs.extendAtIssuer(requestId) : core.jobs.issue(requestId, { made: job.attemptsMade });
      case 'revoke':
        return core.jobs.revoke(requestId);
      case 'lifecycle': {
        if (job.name === 'remind') return core.jobs.remind(requestId);
        if (job.name === 'timeout') return core.jobs.timeout(requestId);
        const round = Number(job.data.round);
        const outcome = await core.jobs.reannounce(requestId, round);
        // The same job waits for the next round, so a decision can cancel it by its one id.
        if (outcome.kind === 'later') job.data = { requestId, round: round + 1 };
        return outcome;
      }
      case 'notify':
        return deliverOutcome(core, job.data as Notification, this.log);
      case 'maintenance':
        await core.jobs.reconcile(ReconcileJobSchema.parse(job.data));
        return { kind: 'done' };
    }
  }

  private async failedForGood(job: MemoryJob, error: string): Promise<void> {
    this.jobs.delete(job.id);
    this.log.error({ queue: job.queue, jobId: job.id, attempts: job.attemptsMade, error }, 'job failed for good');
    const requestId = String(job.data.requestId);
    // As the BullMQ workers: revocations are never dropped, and a lost notification is audited.
    if (job.queue === 'revoke') await this.revokeAt(requestId, this.clock.now());
    if (job.queue === 'notify') {
      await this.options.audit
        ?.appendAudit({ type: 'notify.failed', requestId, actor: { kind: 'system' }, data: { kind: job.name, error: error.slice(0, 200) } })
        .catch(() => undefined);
    }
  }

  /** The workers' backoff without its jitter: exponential from `baseMs`, capped; Retry-After wins. */
  private backoff(attemptsMade: number, retryAfterMs?: number): number {
    if (retryAfterMs !== undefined && retryAfterMs > 0) return Math.min(retryAfterMs, this.retry.capMs * 4);
    return Math.min(this.retry.capMs, this.retry.baseMs * 2 ** Math.max(0, attemptsMade - 1));
  }
}
