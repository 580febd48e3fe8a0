import type { RequestId } from '../domain/access-request.js';

/** A chat message to deliver from a job, so a platform outage never blocks a decision or a revocation. */
export type Notification =
  | { kind: 'card'; requestId: RequestId }
  | { kind: 'dm'; requestId: RequestId; person: string; message: DirectMessageKind; sealedSecret?: string }
  | { kind: 'notice'; requestId: RequestId; notice: 'revoke_failed' | 'revoke_recovered' | 'unreachable'; detail?: string };

export type DirectMessageKind =
  | 'received'
  | 'active'
  | 'denied'
  | 'expiring'
  | 'ended'
  | 'failed'
  | 'timed_out'
  | 'reannounce'
  | 'revoke_failed'
  | 'extension_approved'
  | 'extension_denied';

/**
 * Durable timers and work queues. Every method is idempotent: each request has at most one job of
 * each kind (deterministic ids), and scheduling again moves that job instead of adding another.
 */
export interface Scheduler {
  issue(id: RequestId): Promise<void>;
  /** Tells the issuer about an extension (the n-th), for credentials that carry their own expiry. */
  extendAtIssuer(id: RequestId, extension: number): Promise<void>;
  /** Creates the request's one revoke job, or moves it, to run at `atMs` (now or later). */
  revokeAt(id: RequestId, atMs: number): Promise<void>;
  remindAt(id: RequestId, atMs: number): Promise<void>;
  cancelReminder(id: RequestId): Promise<void>;
  timeoutAt(id: RequestId, atMs: number): Promise<void>;
  cancelTimeout(id: RequestId): Promise<void>;
  reannounceAt(id: RequestId, atMs: number, round: number): Promise<void>;
  /** The request was decided: no more reminders to its approvers. */
  cancelReannounce(id: RequestId): Promise<void>;
  notify(notification: Notification): Promise<void>;
  /** For reconciliation: whether a job of this kind exists (waiting, delayed or running). */
  hasJob(kind: 'issue' | 'revoke' | 'timeout', id: RequestId): Promise<boolean>;
  /** The same for many requests in one round trip, in the order given. */
  hasJobs(kind: 'issue' | 'revoke' | 'timeout', ids: readonly RequestId[]): Promise<boolean[]>;
}
