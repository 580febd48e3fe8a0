import type { AccessRequest, RequestId, RequestStatus } from '../domain/access-request.js';
import type { AuditDraft, AuditEvent } from '../domain/audit-event.js';
import type { LimitCheck } from '../policy/request-limits.js';

/** Where a card was posted, so it can be updated later. Opaque to the core beyond these fields. */
export interface MessageRef {
  platform: string;
  channel: string;
  messageId: string;
  /** Platform-specific data the adapter needs to update the message (e.g. a Teams conversation reference). */
  extra?: Record<string, unknown>;
}

/** Result of verifying the audit chain. */
export type AuditVerification =
  | { ok: true; events: number; lastHash: string }
  | { ok: false; events: number; brokenAt: number; problem: string };

/**
 * Durable state. Every write of a request is atomic together with its audit event and its indexes,
 * and checks the version it was read at (`REQUEST.CONFLICT` when someone else wrote first).
 */
export interface RequestStore {
  /** A new short id (`JIT-42`). */
  nextId(): Promise<RequestId>;
  get(id: RequestId): Promise<AccessRequest | undefined>;
  getMany(ids: readonly RequestId[]): Promise<AccessRequest[]>;
  /**
   * Stores a new request (version 1) with its audit event, unless one of `limits` is reached: then
   * nothing is written and it throws `POLICY.LIMIT_REACHED` with details `{check, count, retryAfterMs}`
   * (`check` is the index in `limits`). The check and the write are one atomic step.
   */
  create(request: AccessRequest, audit: AuditDraft, limits?: readonly LimitCheck[]): Promise<AccessRequest>;
  /** Replaces `before` with `after` if nobody changed it meanwhile; bumps the version; appends the audit event. */
  update(before: AccessRequest, after: AccessRequest, audit: AuditDraft): Promise<AccessRequest>;
  /** An audit event with no state change (refused attempts, revoke attempts, authentication failures). */
  appendAudit(audit: AuditDraft): Promise<AuditEvent>;

  listByRequester(person: string, limit: number): Promise<AccessRequest[]>;
  /** Requests (or extensions) waiting on this person's decision. */
  listWaitingOn(person: string): Promise<AccessRequest[]>;
  listByStatus(status: RequestStatus, limit: number): Promise<AccessRequest[]>;
  /** Ids of requests that hold access (active, revoking, revoke_failed) whose window ends at or before `ms`. */
  listHoldingAccessEndingBy(ms: number, limit: number): Promise<RequestId[]>;
  countHoldingAccess(): Promise<number>;

  auditOf(id: RequestId): Promise<AuditEvent[]>;
  exportAudit(sinceMs?: number): AsyncIterable<AuditEvent>;
  verifyAudit(): Promise<AuditVerification>;

  saveMessageRef(id: RequestId, ref: MessageRef): Promise<void>;
  messageRefs(id: RequestId): Promise<MessageRef[]>;

  /** True the first time a key is claimed within `ttlMs`; false for a replay. */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
  /** Gives a claim back (the work it guarded failed and will be retried). */
  releaseClaim(key: string): Promise<void>;
  /** Small per-platform data (e.g. Teams conversation references), kept until overwritten. */
  putValue(namespace: string, key: string, value: string): Promise<void>;
  getValue(namespace: string, key: string): Promise<string | undefined>;
  /** Round trip to the store, for readiness. */
  ping(): Promise<void>;
}
