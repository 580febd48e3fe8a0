import type { AccessRequest, RequestId, RequestStatus } from '../domain/access-request.js';
import type { AuditDraft } from '../domain/audit-event.js';
import type { LimitCheck } from '../policy/request-limits.js';

/**
 * The requests themselves: records, their listings and the counts the engine needs. Every write is
 * atomic together with its audit event (appended to the {@link AuditLog} of the same store) and its
 * indexes, and checks the version it was read at (`REQUEST.CONFLICT` when someone else wrote first).
 */
export interface RequestRecords {
  /** A new short id (`JIT-42`). */
  nextId(): Promise<RequestId>;
  get(id: RequestId): Promise<AccessRequest | undefined>;
  /** The requests that exist among `ids`, in the order given (unknown ids are left out). */
  getMany(ids: readonly RequestId[]): Promise<AccessRequest[]>;
  /**
   * Stores a new request (version 1) with its audit event; `REQUEST.CONFLICT` if the id is taken.
   * Unless one of `limits` is reached: then nothing is written and it throws `POLICY.LIMIT_REACHED`
   * with details `{check, count, retryAfterMs}` (`check` is the index in `limits`). The check and the
   * write are one atomic step.
   */
  create(request: AccessRequest, audit: AuditDraft, limits?: readonly LimitCheck[]): Promise<AccessRequest>;
  /** Replaces `before` with `after` if nobody changed it meanwhile; bumps the version; appends the audit event. */
  update(before: AccessRequest, after: AccessRequest, audit: AuditDraft): Promise<AccessRequest>;

  /** A person's requests, newest first. */
  listByRequester(person: string, limit: number): Promise<AccessRequest[]>;
  /** Requests (or extensions) waiting on this person's decision, oldest id first. */
  listWaitingOn(person: string): Promise<AccessRequest[]>;
  /** Requests in one status, newest first. */
  listByStatus(status: RequestStatus, limit: number): Promise<AccessRequest[]>;
  /** Ids of requests that hold access (active, revoking, revoke_failed) whose window ends at or before `ms`, soonest first. */
  listHoldingAccessEndingBy(ms: number, limit: number): Promise<RequestId[]>;
  countHoldingAccess(): Promise<number>;
}
