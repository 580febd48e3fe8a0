import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/ports/clock.js';
import type { JitCore } from '../../../src/core/services/create-core.js';
import type { JobOutcome } from '../../../src/core/services/grant-jobs.js';
import { MemoryScheduler } from '../../../src/jobs/memory-scheduler.js';
import { IssuerError, UpstreamError } from '../../../src/core/domain/errors.js';

type Jobs = JitCore['jobs'];

/** A core whose job entry points answer from a script and record when they ran. */
function scripted(outcomes: Partial<Record<keyof Jobs, () => JobOutcome | Promise<JobOutcome>>>, clock: ManualClock) {
  const calls: string[] = [];
  const jobs = new Proxy({} as Jobs, {
    get: (_target, name: string) => async (...args: unknown[]) => {
      calls.push(`${name}(${args.map((a) => JSON.stringify(a)).join(',')})@${clock.now()}`);
      return (outcomes as Record<string, () => JobOutcome>)[name]?.() ?? { kind: 'done' };
    },
  });
  return { core: { jobs }, calls };
}

describe('memory scheduler', () => {
  it('runs a job at its due time, stepping the clock to it, and removes it when done', async () => {
    expect.hasAssertions();
    const clock = new ManualClock(0);
    const scheduler = new MemoryScheduler({ clock });
    const { core, calls } = scripted({}, clock);
    scheduler.connect(core);
    await scheduler.revokeAt('JIT-1', 5000);
    await scheduler.remindAt('JIT-1', 3000);
    expect(await scheduler.advance(10_000)).toBe(2);
    expect(calls).toEqual(['remind("JIT-1")@3000', 'revoke("JIT-1")@5000']);
    expect(clock.now()).toBe(10_000);
    expect(scheduler.pending()).toEqual([]);
  });

  it('a job that ran early waits again without counting an attempt; a retry counts and backs off exactly', async () => {
    expect.hasAssertions();
    const clock = new ManualClock(0);
    const scheduler = new MemoryScheduler({ clock, retry: { baseMs: 100, capMs: 1000 } });
    const answers: JobOutcome[] = [{ kind: 'later', atMs: 700 }, { kind: 'retry', error: 'down' }, { kind: 'retry', error: 'down', retryAfterMs: 5000 }];
    const { core, calls } = scripted({ revoke: () => answers.shift() ?? { kind: 'done' } }, clock);
    scheduler.connect(core);
    await scheduler.revokeAt('JIT-1', 0);
    await scheduler.runDue();
    expect(scheduler.job('revoke-JIT-1')).toMatchObject({ dueAt: 700, attemptsMade: 0 });
    await scheduler.advance(700);
    expect(scheduler.job('revoke-JIT-1')).toMatchObject({ dueAt: 800, attemptsMade: 1 });
    await scheduler.advance(100);
    // Retry-After wins over the exponential backoff (capped at four times the cap).
    expect(scheduler.job('revoke-JIT-1')).toMatchObject({ dueAt: 800 + 4000, attemptsMade: 2 });
    await scheduler.advance(10_000);
    expect(calls.map((c) => c.split('@')[1])).toEqual(['0', '700', '800', '4800']);
    expect(await scheduler.hasJob('revoke', 'JIT-1')).toBe(false);
  });

  it('passes attempts made to the issue job, and treats a thrown error as a failed attempt', async () => {
    expect.hasAssertions();
    const clock = new ManualClock(0);
    const scheduler = new MemoryScheduler({ clock, retry: { baseMs: 10, capMs: 10 } });
    let n = 0;
    const { core, calls } = scripted({
      issue: () => {
        if (++n < 3) throw new Error('store unavailable');
        return { kind: 'done' };
      },
    }, clock);
    scheduler.connect(core);
    await scheduler.issue('JIT-2');
    await scheduler.advance(100);
    expect(calls).toEqual(['issue("JIT-2",{"made":0})@0', 'issue("JIT-2",{"made":1})@10', 'issue("JIT-2",{"made":2})@20']);
  });

  it('gives a job up after its attempts (a reminder: 5), and re-adds a revocation that failed for good', async () => {
    expect.hasAssertions();
    const clock = new ManualClock(0);
    const appended: string[] = [];
    const scheduler = new MemoryScheduler({
      clock,
      retry: { baseMs: 10, capMs: 10 },
      audit: { appendAudit: async (draft) => (appended.push(`${draft.type}:${String(draft.data.kind)}`), {} as never) },
    });
    const { core, calls } = scripted({ remind: () => ({ kind: 'retry', error: 'no' }), deliver: () => Promise.reject(new Error('chat down')) }, clock);
    scheduler.connect(core);
    await scheduler.remindAt('JIT-3', 0);
    await scheduler.notify({ kind: 'card', requestId: 'JIT-3' });
    await scheduler.advance(1000);
    expect(calls.filter((c) => c.startsWith('remind'))).toHaveLength(5);
    expect(calls.filter((c) => c.startsWith('deliver'))).toHaveLength(10);
    expect(appended).toEqual(['notify.failed:card']);
    expect(scheduler.pending()).toEqual([]);
  });

  it('moves the next re-announcement round on the same job until a decision cancels it', async () => {
    expect.hasAssertions();
    const clock = new ManualClock(0);
    const scheduler = new MemoryScheduler({ clock });
    const { core, calls } = scripted({ reannounce: () => ({ kind: 'later', atMs: clock.now() + 1000 }) }, clock);
    scheduler.connect(core);
    await scheduler.reannounceAt('JIT-4', 1000, 1);
    await scheduler.advance(3000);
    expect(calls).toEqual(['reannounce("JIT-4",1)@1000', 'reannounce("JIT-4",2)@2000', 'reannounce("JIT-4",3)@3000']);
    await scheduler.cancelReannounce('JIT-4');
    await scheduler.advance(10_000);
    expect(calls).toHaveLength(3);
  });

  it('gives a notification up at once on any UpstreamError that retrying cannot fix; waits its Retry-After on one that it can', async () => {
    expect.hasAssertions();
    const clock = new ManualClock(0);
    const scheduler = new MemoryScheduler({ clock, retry: { baseMs: 10, capMs: 10 } });
    let n = 0;
    const { core, calls } = scripted({
      deliver: () => {
        n += 1;
        if (n === 1) throw new IssuerError('the far side says no (test)', false);
        if (n === 2) throw new UpstreamError('rate-limited (test)', true, { retryAfterMs: 30 });
        return { kind: 'done' };
      },
    }, clock);
    scheduler.connect(core);
    await scheduler.notify({ kind: 'card', requestId: 'JIT-5' });
    await scheduler.advance(1000);
    expect(calls.map((c) => c.split('@')[1])).toEqual(['0']);
    await scheduler.notify({ kind: 'card', requestId: 'JIT-5' });
    await scheduler.advance(1000);
    expect(calls.map((c) => c.split('@')[1])).toEqual(['0', '1000', '1030']);
    expect(scheduler.pending()).toEqual([]);
  });
});
