import type { AccessRequest, RequestIn } from './access-request.js';

/**
 * What a command did, as data: the kind of change, the request as stored after it, and what is still
 * needed. Commands return these and never sentences; `core/messages/command-replies.ts` renders them,
 * once, for every platform.
 */

/** A request was made: it waits for approvals, or a rule approved it at once. */
export type RequestOutcome =
  | { kind: 'requested'; request: RequestIn<'pending'>; approvalsNeeded: number }
  | { kind: 'auto_approved'; request: AccessRequest };

/** An approver approved a request or an active grant's extension. */
export type ApproveOutcome =
  /** The last approval a request needed: access is being issued. */
  | { kind: 'approved'; request: AccessRequest }
  /** The last approval an extension needed: the grant now ends at `endsAt`. */
  | { kind: 'extension_approved'; request: RequestIn<'active'>; endsAt: number }
  /** One approval of several; `stillNeeded` more are wanted (of the request, or of its extension). */
  | { kind: 'approval_added'; request: AccessRequest; extension: boolean; stillNeeded: number };

export type DenyOutcome = { kind: 'denied'; request: AccessRequest } | { kind: 'extension_denied'; request: AccessRequest };

export type CancelOutcome = { kind: 'cancelled'; request: AccessRequest };

export type ReleaseOutcome = { kind: 'released'; request: AccessRequest };

export type RevokeOutcome =
  /** The grant is being revoked now (its revoke job moved to now). */
  | { kind: 'revoke_started'; request: AccessRequest }
  /** A grant whose revocation kept failing was closed by an admin. */
  | { kind: 'revoke_resolved'; request: AccessRequest };

export type ExtendOutcome =
  /** The extension waits for approvers. */
  | { kind: 'extension_requested'; request: RequestIn<'active'>; durationMs: number }
  /** No approval was needed: the grant already ends later (`endsAt`, unless it is no longer active). */
  | { kind: 'extended'; request: AccessRequest; endsAt: number | undefined };

/** Every outcome of the verbs that change a request. */
export type CommandOutcome = RequestOutcome | ApproveOutcome | DenyOutcome | CancelOutcome | ReleaseOutcome | RevokeOutcome | ExtendOutcome;

export type OutcomeKind = CommandOutcome['kind'];
