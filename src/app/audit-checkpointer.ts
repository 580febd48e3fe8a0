import type { Logger } from '../core/ports/logger.js';
import type { JitCore } from '../core/services/create-core.js';

export interface RunningCheckpointer {
  /** Stops the timer and signs the head one last time, so a clean shutdown leaves nothing unsigned. */
  stop(): Promise<void>;
}

/**
 * The worker's periodic task that signs audit checkpoints. It ticks often (at most every second) and
 * core decides whether one is due, so the cadence is core's `checkpointEvery*` settings; when the
 * sealer takes over the chain it calls the same `checkpointAudit` after its batches instead.
 */
export function startCheckpointer(core: JitCore, options: { everyMs: number; log: Logger }): RunningCheckpointer {
  let running: Promise<unknown> = Promise.resolve();
  const tick = (force: boolean): Promise<unknown> => {
    running = running
      .then(() => core.jobs.checkpointAudit({ force }))
      .catch((error: unknown) => options.log.warn({ error: error instanceof Error ? error.message : String(error) }, 'could not write an audit checkpoint; retrying'));
    return running;
  };
  const timer = setInterval(() => void tick(false), Math.max(20, Math.min(options.everyMs, 1_000)));
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await tick(true);
    },
  };
}
