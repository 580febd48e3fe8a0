import { HOLDS_ACCESS, type AccessRequest, type RequestStatus } from '../domain/access-request.js';
import type { AuditEvent } from '../domain/audit-event.js';
import type { AuditVerification } from '../ports/audit-log.js';
import type { CoreDeps } from './core-context.js';

/** What the operator commands (`jitbot grants`, `requests`, `audit`) read: listings and the audit trail. */

/** Up to `limit` requests in each of `statuses` (newest first within a status), one status after another. */
export async function requestsInStatus(deps: CoreDeps, statuses: readonly RequestStatus[], limit: number): Promise<AccessRequest[]> {
  const lists = await Promise.all(statuses.map((status) => deps.requests.listByStatus(status, limit)));
  return lists.flat();
}

/** Every grant that holds access now (active, revoking, revoke_failed). */
export function grantsHoldingAccess(deps: CoreDeps): Promise<AccessRequest[]> {
  return requestsInStatus(deps, [...HOLDS_ACCESS], 10_000);
}

/** The whole audit trail in order, optionally only events at or after `sinceMs`. */
export function exportAudit(deps: CoreDeps, sinceMs?: number): AsyncIterable<AuditEvent> {
  return deps.audit.exportAudit(sinceMs);
}

/** Walks the audit chain from the start and names the first broken link. */
export function verifyAudit(deps: CoreDeps): Promise<AuditVerification> {
  return deps.audit.verifyAudit();
}
