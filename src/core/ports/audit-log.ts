import type { RequestId } from '../domain/access-request.js';
import type { AuditDraft, AuditEvent } from '../domain/audit-event.js';

/** Result of verifying the audit chain. */
export type AuditVerification =
  | { ok: true; events: number; lastHash: string }
  | { ok: false; events: number; brokenAt: number; problem: string };

/**
 * The append-only, hash-chained audit trail. Each event's `hash` is SHA-256 over the previous hash
 * and the event's canonical JSON (see `audit-event.ts`), so an altered, removed or truncated event is
 * found by {@link AuditLog.verifyAudit}. State changes append their event through `RequestRecords`
 * in the same atomic step; this port appends the events that change no state.
 */
export interface AuditLog {
  /** An audit event with no state change (refused attempts, revoke attempts, authentication failures). */
  appendAudit(audit: AuditDraft): Promise<AuditEvent>;
  /** The history of one request, oldest first. */
  auditOf(id: RequestId): Promise<AuditEvent[]>;
  /** The whole trail in order, optionally only events at or after `sinceMs`. */
  exportAudit(sinceMs?: number): AsyncIterable<AuditEvent>;
  /** Walks the chain from the start and names the first broken link. */
  verifyAudit(): Promise<AuditVerification>;
}
