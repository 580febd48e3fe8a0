import type { AccessRequest, Actor, PipelineContext } from '../domain/access-request.js';
import type { RequestOutcome } from '../domain/command-outcome.js';
import { JitError, isJitError } from '../domain/errors.js';
import { normalizeReason } from '../domain/reason.js';
import {
  approvalsNeeded,
  autoApprovalRule,
  checkDuration,
  checkReason,
  eligibleApprovers,
  resourceForRequest,
} from '../policy/evaluate-policy.js';
import { limitReached, requestLimits, type LimitCheck } from '../policy/request-limits.js';
import { personIdentity, type CoreDeps } from './core-context.js';

export interface RequestAccessInput {
  /** A person, or a pipeline authenticated by its CI provider (then `pipeline` describes the run). */
  actor: Actor & { kind: 'person' | 'pipeline' };
  resource: string;
  duration: string | undefined;
  reason: string;
  /** The run behind a pipeline's request, from verified claims: shown on the card, checked on approval. */
  pipeline?: PipelineContext;
}

/**
 * A person (or a pipeline) asks for a resource: policy checks, then one atomic write of the request
 * and its audit event, then the jobs (timeout and re-announcement, or issuing when auto-approved) and
 * messages.
 */
export async function requestAccess(deps: CoreDeps, input: RequestAccessInput): Promise<RequestOutcome> {
  const policy = deps.policy();
  const requester = input.actor.kind === 'person' ? input.actor.person : input.actor.pipeline;
  if (input.actor.kind === 'pipeline' && !input.pipeline) {
    throw new JitError('INPUT.BAD_COMMAND', 'A pipeline request needs the run it comes from.');
  }
  const resource = resourceForRequest(policy, requester, input.resource);
  const durationMs = checkDuration(policy, input.resource, resource, input.duration);
  const reason = normalizeReason(input.reason);
  checkReason(input.resource, resource, reason, durationMs);
  const issuer = deps.issuer(resource.issuer);
  if (!issuer) {
    throw new JitError('POLICY.INVALID', `${input.resource} uses issuer "${resource.issuer}", which is not running. Ask an admin.`);
  }
  const problem = issuer.checkRequest?.(resource.params, personIdentity(policy, requester), durationMs);
  if (problem) throw new JitError('POLICY.INVALID', `You cannot get ${input.resource}: ${problem}.`);

  const now = deps.clock.now();
  const autoRule = autoApprovalRule(policy, resource, requester, durationMs);
  const required = approvalsNeeded(resource, autoRule !== undefined);
  const approvers = eligibleApprovers(policy, resource, requester, input.pipeline);
  const id = await deps.requests.nextId();
  const common = {
    id,
    resource: input.resource,
    requester,
    durationMs,
    reason,
    createdAt: now,
    version: 0,
    // DMs go to the requester's platform first; a pipeline's "platform" is the pipeline notifier.
    via: input.actor.kind === 'person' ? input.actor.via : 'pipeline',
    approvalsRequired: required,
    approvals: [],
    ...(autoRule !== undefined ? { autoApprovedBy: autoRule } : {}),
    ...(input.pipeline ? { pipeline: input.pipeline } : {}),
  };
  const request: AccessRequest =
    required === 0
      ? { ...common, status: 'approved', decidedAt: now }
      : { ...common, status: 'pending', timeoutAt: now + policy.settings.approvalTimeout, waitingOn: approvers };

  const limits = requestLimits(policy, resource, requester);
  const stored = await deps.requests.create(request, {
    type: required === 0 ? 'request.auto_approved' : 'request.created',
    requestId: id,
    actor: input.actor,
    data: {
      resource: input.resource,
      durationMs,
      reason,
      approvalsRequired: required,
      ...(autoRule !== undefined ? { autoApproveRule: autoRule } : {}),
      ...(input.pipeline ? { pipeline: pipelineAuditData(input.pipeline) } : {}),
    },
  }, limits).catch((error: unknown) => refuseOverLimit(deps, input, requester, limits, error));

  if (stored.status === 'pending') {
    await deps.scheduler.timeoutAt(id, stored.timeoutAt);
    await deps.scheduler.reannounceAt(id, now + policy.settings.reannounceAfter, 1);
  } else {
    await deps.scheduler.issue(id);
  }
  await deps.scheduler.notify({ kind: 'card', requestId: id });
  await deps.scheduler.notify({ kind: 'dm', requestId: id, person: requester, message: 'received' });
  deps.log.info({ requestId: id, resource: input.resource, requester, status: stored.status }, 'request created');
  return stored.status === 'pending' ? { kind: 'requested', request: stored, approvalsNeeded: stored.approvalsRequired } : { kind: 'auto_approved', request: stored };
}

/**
 * A request over a limit was not created (nothing stored, no job, no message): word the refusal, and
 * audit it at most once a minute per requester, so that a flood cannot flood the trail either.
 */
async function refuseOverLimit(deps: CoreDeps, input: RequestAccessInput, requester: string, limits: readonly LimitCheck[], error: unknown): Promise<never> {
  if (!isJitError(error, 'POLICY.LIMIT_REACHED')) throw error;
  const check = limits[Number(error.details.check)];
  if (!check) throw error;
  const refusal = limitReached(check, { count: Number(error.details.count), retryAfterMs: Number(error.details.retryAfterMs) }, input.resource, requester);
  if (await deps.state.claimOnce(`limit-audit:${requester}`, 60_000)) {
    await deps.audit.appendAudit({ type: 'request.limited', requestId: null, actor: input.actor, data: { resource: input.resource, ...refusal.details } });
    deps.log.info({ requester, resource: input.resource, ...refusal.details }, 'request refused: limit reached (logged once a minute per requester)');
  }
  throw refusal;
}

/** What the trail keeps about a pipeline's run: identity and provenance, nothing secret. */
function pipelineAuditData(pipeline: PipelineContext): Record<string, string> {
  const data: Record<string, string | undefined> = {
    source: pipeline.source,
    provider: pipeline.provider,
    issuer: pipeline.issuer,
    subject: pipeline.subject,
    repository: pipeline.repository,
    repositoryId: pipeline.repositoryId,
    runId: pipeline.runId,
    runUrl: pipeline.runUrl,
    commit: pipeline.commit,
    ref: pipeline.ref,
    environment: pipeline.environment,
    workflow: pipeline.workflow,
    actor: pipeline.actor,
  };
  return Object.fromEntries(Object.entries(data).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
