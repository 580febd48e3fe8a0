import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Scheduler } from '../../src/core/ports/scheduler.js';

/** A job as the contract sees it: what it is, whether it waits for a time, and how long from now. */
export interface ObservedJob {
  name: string;
  state: 'delayed' | 'waiting';
  delayMs: number;
}

/** What a scheduler's setup gives the contract suite. Its clock stands still at `now` during a test. */
export interface SchedulerContractSubject {
  scheduler: Scheduler;
  now: number;
  /** The jobs held for a request (all kinds but notifications), by id order. */
  jobsOf(requestId: string): Promise<ObservedJob[]>;
  teardown(): Promise<void>;
}

/** The Scheduler port's behaviour as reconciliation relies on it: one job per kind and request, moved, not added. */
export function describeSchedulerContract(name: string, setup: () => Promise<SchedulerContractSubject>): void {
  describe(`scheduler contract: ${name}`, () => {
    let subject: SchedulerContractSubject;
    let scheduler: Scheduler;
    let n = 0;
    const id = () => `JIT-${++n}`;
    beforeEach(async () => {
      subject = await setup();
      scheduler = subject.scheduler;
    });
    afterEach(async () => subject.teardown());

    it('keeps one revoke job per request and moves it: later, sooner, now', async () => {
      expect.hasAssertions();
      const r = id();
      expect(await scheduler.hasJob('revoke', r)).toBe(false);
      await scheduler.revokeAt(r, subject.now + 60_000);
      expect(await scheduler.hasJob('revoke', r)).toBe(true);
      expect(await subject.jobsOf(r)).toEqual([{ name: 'revoke', state: 'delayed', delayMs: 60_000 }]);
      await scheduler.revokeAt(r, subject.now + 90_000);
      expect(await subject.jobsOf(r)).toEqual([{ name: 'revoke', state: 'delayed', delayMs: 90_000 }]);
      await scheduler.revokeAt(r, subject.now + 30_000);
      expect(await subject.jobsOf(r)).toEqual([{ name: 'revoke', state: 'delayed', delayMs: 30_000 }]);
      await scheduler.revokeAt(r, subject.now);
      expect(await subject.jobsOf(r)).toEqual([{ name: 'revoke', state: 'waiting', delayMs: 0 }]);
      // A job that is due already is left for its runner, which re-reads the grant.
      await scheduler.revokeAt(r, subject.now + 60_000);
      expect(await subject.jobsOf(r)).toEqual([{ name: 'revoke', state: 'waiting', delayMs: 0 }]);
      expect(await scheduler.hasJob('issue', r)).toBe(false);
      expect(await scheduler.hasJob('timeout', r)).toBe(false);
    });

    it('answers hasJobs in the order asked', async () => {
      expect.hasAssertions();
      const [a, b, c] = [id(), id(), id()];
      await scheduler.revokeAt(a, subject.now + 1000);
      await scheduler.revokeAt(c, subject.now);
      await scheduler.timeoutAt(b, subject.now + 1000);
      expect(await scheduler.hasJobs('revoke', [a, b, c])).toEqual([true, false, true]);
      expect(await scheduler.hasJobs('timeout', [c, b, a])).toEqual([false, true, false]);
      expect(await scheduler.hasJobs('issue', [a, b])).toEqual([false, false]);
      expect(await scheduler.hasJobs('revoke', [])).toEqual([]);
    });

    it('cancels a timeout, a reminder and a re-announcement; cancelling nothing is fine', async () => {
      expect.hasAssertions();
      const r = id();
      await scheduler.timeoutAt(r, subject.now + 1_800_000);
      await scheduler.remindAt(r, subject.now + 600_000);
      await scheduler.reannounceAt(r, subject.now + 900_000, 1);
      expect((await subject.jobsOf(r)).map((j) => [j.name, j.delayMs])).toEqual([
        ['reannounce', 900_000],
        ['remind', 600_000],
        ['timeout', 1_800_000],
      ]);
      expect(await scheduler.hasJob('timeout', r)).toBe(true);
      await scheduler.cancelTimeout(r);
      await scheduler.cancelReminder(r);
      await scheduler.cancelReannounce(r);
      expect(await scheduler.hasJob('timeout', r)).toBe(false);
      expect(await subject.jobsOf(r)).toEqual([]);
      await scheduler.cancelTimeout(r);
      await scheduler.cancelReminder(id());
      // A timeout scheduled again after a cancel exists again.
      await scheduler.timeoutAt(r, subject.now + 1000);
      expect(await scheduler.hasJob('timeout', r)).toBe(true);
    });

    it('adds one issue job however often it is asked, and a re-announcement keeps its first time', async () => {
      expect.hasAssertions();
      const r = id();
      await scheduler.issue(r);
      await scheduler.issue(r);
      await scheduler.reannounceAt(r, subject.now + 1000, 1);
      await scheduler.reannounceAt(r, subject.now + 5000, 2);
      expect(await scheduler.hasJob('issue', r)).toBe(true);
      expect(await subject.jobsOf(r)).toEqual([
        { name: 'issue', state: 'waiting', delayMs: 0 },
        { name: 'reannounce', state: 'delayed', delayMs: 1000 },
      ]);
      await scheduler.notify({ kind: 'card', requestId: r });
      expect(await scheduler.hasJobs('revoke', [r])).toEqual([false]);
    });
  });
}
