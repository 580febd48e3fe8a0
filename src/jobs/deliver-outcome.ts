import { UpstreamError } from '../core/domain/errors.js';
import type { Logger } from '../core/ports/logger.js';
import type { Notification } from '../core/ports/scheduler.js';
import type { JitCore } from '../core/services/create-core.js';
import type { JobOutcome } from '../core/services/grant-jobs.js';

/**
 * Runs one notify job, for the BullMQ worker and the memory scheduler alike. Whether to retry is
 * read from the one property every outbound failure carries (`UpstreamError.retryable`, whichever
 * port threw it): a failure that retrying cannot fix ends the job with a warning; any other failure
 * is retried, after the far side's Retry-After when it gave one.
 */
export async function deliverOutcome(core: Pick<JitCore, 'jobs'>, notification: Notification, log: Logger): Promise<JobOutcome> {
  try {
    await core.jobs.deliver(notification);
    return { kind: 'done' };
  } catch (error) {
    if (error instanceof UpstreamError && !error.retryable) {
      log.warn({ requestId: notification.requestId, kind: notification.kind, error: error.message }, 'notification cannot be delivered');
      return { kind: 'done' };
    }
    const retryAfterMs = error instanceof UpstreamError ? error.retryAfterMs : undefined;
    return { kind: 'retry', error: error instanceof Error ? error.message : String(error), ...(retryAfterMs ? { retryAfterMs } : {}) };
  }
}
