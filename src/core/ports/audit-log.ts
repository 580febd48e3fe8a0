import type { RequestId } from '../domain/access-request.js';
import type { AuditCheckpoint } from '../domain/audit-checkpoint.js';
import type { AuditDraft, AuditEvent } from '../domain/audit-event.js';

/** Result of verifying the audit chain. */
export type AuditVerification =
  | { ok: true; events: number; lastHash: string }
  | { ok: false; events: number; brokenAt: number; problem: string };

/** Verification of the chain and of every signed checkpoint over it. */
export type SignedAuditVerification = AuditVerification & { checkpoints: number; failedCheckpoint?: number };

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
  /** Up to `limit` sealed events with seq greater than `afterSeq`, in order: how sinks read the trail. */
  auditEventsAfter(afterSeq: number, limit: number): Promise<AuditEvent[]>;
  /** Walks the chain from the start and names the first broken link. */
  verifyAudit(): Promise<AuditVerification>;
  /** The sealed head: the last sealed event's seq and hash (seq 0 and the genesis hash when empty). What checkpoints sign. */
  auditHead(): Promise<{ seq: number; hash: string }>;
  /** The event at one position of the chain, if stored. */
  auditEventAt(seq: number): Promise<AuditEvent | undefined>;
  /**
   * Removes sealed events up to and including `seq` from the store (retention, once every sink holds
   * them); `seq` must be a signed checkpoint's, so verification can start from it. Returns how many were removed.
   */
  trimAuditThrough(seq: number): Promise<number>;
  /** Stores a signed checkpoint after the ones before it. */
  appendCheckpoint(checkpoint: AuditCheckpoint): Promise<void>;
  /** Every stored checkpoint, oldest first. */
  checkpoints(): Promise<AuditCheckpoint[]>;
  /** The newest checkpoint, if any. */
  lastCheckpoint(): Promise<AuditCheckpoint | undefined>;
}
