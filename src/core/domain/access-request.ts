import { z } from 'zod';

/** Short, typeable request ids: `JIT-42`. The request id is also the grant id (one grant per request). */
export const RequestIdSchema = z.string().regex(/^JIT-\d{1,12}$/);
export type RequestId = z.infer<typeof RequestIdSchema>;

/** Normalises what a person typed (`jit-42`, `JIT-42`, `42`) into a request id, or undefined. */
export function parseRequestId(text: string): RequestId | undefined {
  const match = /^(?:jit-)?(\d{1,12})$/i.exec(text.trim());
  return match ? `JIT-${Number(match[1])}` : undefined;
}

/** Where an action came from: a chat platform user, a pipeline, an operator at a shell, or jitbot itself. */
export const ActorSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('person'),
    /** The person's key in the policy's `people` map: the identity that rules are written against. */
    person: z.string(),
    /** The platform and stable user id the action arrived with (never a display name). */
    via: z.enum(['slack', 'teams', 'console', 'api']),
    platformUserId: z.string().optional(),
  }),
  z.object({ kind: z.literal('operator'), osUser: z.string() }),
  z.object({ kind: z.literal('system') }),
  z.object({
    kind: z.literal('pipeline'),
    /** The requester name the pipeline acts as: `pipeline:<principal>` or `deployment:<owner/repo>@<environment>`. */
    pipeline: z.string(),
    /** How it arrived: the OIDC-authenticated API, or a GitHub deployment protection rule webhook. */
    via: z.enum(['api', 'github-webhook']),
    /** The verified token subject (or repository) and run, for the trail. Never a token. */
    subject: z.string().optional(),
    runId: z.string().optional(),
  }),
]);
export type Actor = z.infer<typeof ActorSchema>;

export const SYSTEM_ACTOR: Actor = { kind: 'system' };

export function describeActor(actor: Actor): string {
  switch (actor.kind) {
    case 'person':
      return actor.person;
    case 'operator':
      return `operator:${actor.osUser}`;
    case 'system':
      return 'jitbot';
    case 'pipeline':
      return actor.pipeline;
  }
}

/** Requester names of pipelines start with one of these; people's names cannot contain ':'. */
export const PIPELINE_REQUESTER_PREFIX = 'pipeline:';
export const DEPLOYMENT_REQUESTER_PREFIX = 'deployment:';

/** Whether a requester name is a pipeline or a deployment gate rather than a person. */
export function isPipelineRequester(requester: string): boolean {
  return requester.startsWith(PIPELINE_REQUESTER_PREFIX) || requester.startsWith(DEPLOYMENT_REQUESTER_PREFIX);
}

/**
 * The CI run behind a pipeline's request, from verified claims (an OIDC ID token) or a signed GitHub
 * webhook: what approvers see on the card, and who may read or end the request (same issuer,
 * repository and run). Nothing here is secret.
 */
export const PipelineContextSchema = z.object({
  source: z.enum(['oidc', 'deployment_protection_rule']),
  provider: z.enum(['github', 'gitlab']),
  /** The OIDC issuer (`iss`), or the GitHub API URL for deployment webhooks. */
  issuer: z.string(),
  /** The token's `sub`, or the repository for deployment webhooks. */
  subject: z.string(),
  /** `owner/repo` (GitHub) or `group/project` (GitLab). */
  repository: z.string(),
  repositoryId: z.string().optional(),
  /** GitHub `run_id`, GitLab `pipeline_id`. */
  runId: z.string().optional(),
  runUrl: z.string().optional(),
  commit: z.string().optional(),
  ref: z.string().optional(),
  environment: z.string().optional(),
  /** The workflow (GitHub `job_workflow_ref`) or pipeline definition (GitLab `ci_config_ref_uri`). */
  workflow: z.string().optional(),
  /** The login of who triggered the run (GitHub `actor` / webhook `sender`, GitLab `user_login`). */
  actor: z.string().optional(),
  /** GitLab `user_email`, to recognise the triggering person by email too. */
  actorEmail: z.string().optional(),
  /** For deployment protection rules: where the decision is reported (non-secret). */
  gate: z
    .object({
      callbackUrl: z.string(),
      installationId: z.number().int(),
      environment: z.string(),
    })
    .optional(),
});
export type PipelineContext = z.infer<typeof PipelineContextSchema>;

export const ApprovalSchema = z.object({
  person: z.string(),
  at: z.number(),
  via: z.string(),
});
export type Approval = z.infer<typeof ApprovalSchema>;

export const WindowSchema = z.object({ start: z.number(), end: z.number() });
export type Window = z.infer<typeof WindowSchema>;

/**
 * What the issuer reported about issued access, minus any secret: a secret goes to the requester's
 * DM and is never stored. `summary` is one line for cards and lists; `details` are non-secret facts.
 */
export const IssueReceiptSchema = z.object({
  summary: z.string(),
  details: z.record(z.string(), z.string()).default({}),
  /** Opaque, non-secret state the issuer needs to revoke exactly what it created. */
  revokeState: z.record(z.string(), z.unknown()).default({}),
});
export type IssueReceipt = z.infer<typeof IssueReceiptSchema>;

export const PendingExtensionSchema = z.object({
  durationMs: z.number().int().positive(),
  reason: z.string(),
  requestedAt: z.number(),
  approvals: z.array(ApprovalSchema),
});
export type PendingExtension = z.infer<typeof PendingExtensionSchema>;

export const EndReasonSchema = z.enum(['expired', 'released', 'revoked']);
export type EndReason = z.infer<typeof EndReasonSchema>;

const Common = z.object({
  id: RequestIdSchema,
  resource: z.string(),
  requester: z.string(),
  durationMs: z.number().int().positive(),
  reason: z.string(),
  createdAt: z.number(),
  /** Incremented by every stored change; writes check it (compare-and-set). */
  version: z.number().int().nonnegative(),
  /** Distinct approvals needed, fixed when the request was made. */
  approvalsRequired: z.number().int().nonnegative(),
  approvals: z.array(ApprovalSchema),
  /** The platform the request came from; DMs go there first. */
  via: z.string().default('console'),
  /** Who must still decide (a pending request, or an active grant's pending extension): for "waiting on me" lists. */
  waitingOn: z.array(z.string()).optional(),
  /** Set when an auto-approval rule skipped human review: the index of that rule. */
  autoApprovedBy: z.number().int().nonnegative().optional(),
  /** Set when a pipeline (not a person) asked: the run it came from. */
  pipeline: PipelineContextSchema.optional(),
});

const Decided = Common.extend({ decidedAt: z.number() });
const Granted = Decided.extend({
  window: WindowSchema,
  receipt: IssueReceiptSchema,
  extensions: z.array(z.object({ durationMs: z.number(), at: z.number(), approvedBy: z.array(z.string()) })),
  pendingExtension: PendingExtensionSchema.optional(),
});
const Ending = Granted.extend({
  endReason: EndReasonSchema,
  endedBy: ActorSchema,
  endRequestedAt: z.number(),
  revokeAttempts: z.number().int().nonnegative(),
  lastRevokeError: z.string().optional(),
  /** Why an admin revoked it, as they said: shown to the requester and on the card, like a deny reason. */
  revokeReason: z.string().optional(),
});

export const AccessRequestSchema = z.discriminatedUnion('status', [
  Common.extend({ status: z.literal('pending'), timeoutAt: z.number() }),
  Decided.extend({ status: z.literal('approved') }),
  Decided.extend({ status: z.literal('issuing'), issueAttempts: z.number().int().positive() }),
  Granted.extend({ status: z.literal('active') }),
  Ending.extend({ status: z.literal('revoking') }),
  Ending.extend({ status: z.literal('revoke_failed'), failingSince: z.number() }),
  Ending.extend({ status: z.literal('expired'), endedAt: z.number() }),
  Ending.extend({ status: z.literal('released'), endedAt: z.number() }),
  Ending.extend({ status: z.literal('revoked'), endedAt: z.number(), resolvedBy: ActorSchema.optional() }),
  Decided.extend({ status: z.literal('denied'), deniedBy: z.string(), denyReason: z.string() }),
  Common.extend({ status: z.literal('cancelled'), cancelledAt: z.number() }),
  Common.extend({ status: z.literal('timed_out'), timedOutAt: z.number() }),
  // `undeliveredReceipt`: issued, but the credential could not be handed over (too large for chat); the revoke uses it.
  Decided.extend({ status: z.literal('failed'), failedAt: z.number(), error: z.string(), undeliveredReceipt: IssueReceiptSchema.optional() }),
]);
export type AccessRequest = z.infer<typeof AccessRequestSchema>;
export type RequestStatus = AccessRequest['status'];
export type RequestIn<S extends RequestStatus> = Extract<AccessRequest, { status: S }>;

export const REQUEST_STATUSES = [
  'pending',
  'approved',
  'issuing',
  'active',
  'revoking',
  'revoke_failed',
  'expired',
  'released',
  'revoked',
  'denied',
  'cancelled',
  'timed_out',
  'failed',
] as const satisfies readonly RequestStatus[];

/** States in which the requester holds (or may hold) access that must be revoked. */
export const HOLDS_ACCESS: ReadonlySet<RequestStatus> = new Set(['active', 'revoking', 'revoke_failed']);
/** States a request is open in, for the open-request limits: not yet decided, or access not yet ended. */
export const OPEN: ReadonlySet<RequestStatus> = new Set(['pending', 'approved', 'issuing', 'active']);
/** States that can never change again. */
export const FINAL: ReadonlySet<RequestStatus> = new Set([
  'expired',
  'released',
  'revoked',
  'denied',
  'cancelled',
  'timed_out',
  'failed',
]);
