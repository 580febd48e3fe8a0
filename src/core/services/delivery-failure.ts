import type { Notification } from '../ports/scheduler.js';
import type { CoreDeps } from './core-context.js';

/** Puts a notification that failed for good (its job gave up) in the audit trail, so the gap is on record. */
export async function recordDeliveryFailure(deps: CoreDeps, notification: Notification, error: string): Promise<void> {
  await deps.audit.appendAudit({
    type: 'notify.failed',
    requestId: notification.requestId,
    actor: { kind: 'system' },
    data: { kind: notification.kind, error: error.slice(0, 200) },
  });
}
