import type { AccessRequest, IssueReceipt, RequestId, Window } from '../domain/access-request.js';
import { SYSTEM_ACTOR } from '../domain/access-request.js';
import { isJitError } from '../domain/errors.js';
import { applyEvent } from '../domain/lifecycle.js';
import type { GrantContext } from '../ports/issuer.js';
import { IssuerError } from '../ports/issuer.js';
import { mutate, personIdentity, resourceOf, type CoreDeps } from './core-context.js';
import { undeliverableSecret } from './deliver-notification.js';
import { discardPipelineCredential, keepPipelineCredential } from './pipeline-credentials.js';
import { scheduleReminder, withWaiting } from './review-request.js';
import { resourceNamed } from '../policy/policy-lookup.js';

/** What a job runner should do after a handler returns. */
export type JobOutcome =
  | { kind: 'done' }
  /** The job ran early (its due time moved later): run it again at `atMs`. */
  | { kind: 'later'; atMs: number }
  /** Try again with backoff. */
  | { kind: 'retry'; error: string; retryAfterMs?: number };

const DONE: JobOutcome = { kind: 'done' };

/** The issue job: `issuing` is recorded before the issuer is called, `active` only after it answered. */
export async function runIssue(deps: CoreDeps, id: RequestId, attempt: { made: number }): Promise<JobOutcome> {
  const current = await deps.requests.get(id);
  if (!current || (current.status !== 'approved' && current.status !== 'issuing')) return DONE;
  const resource = resourceOf(deps, current);
  const issuer = resource && deps.issuer(resource.issuer);
  if (!resource || !issuer) {
    await failIssue(deps, id, `the resource or its issuer is no longer configured`);
    return DONE;
  }
  const { after: issuing } = await mutate(deps, id, (c) => ({
    after: applyEvent(c, { type: 'start_issue', at: deps.clock.now() }),
    audit: { type: 'grant.issuing', actor: SYSTEM_ACTOR, data: { attempt: attempt.made + 1, issuer: resource.issuer } },
  }));
  const start = deps.clock.now();
  const window: Window = { start, end: start + issuing.durationMs };
  const grant = grantContext(deps, issuing, window);
  const started = Date.now();
  try {
    const result = await issuer.issue(grant);
    const secret = result.secret;
    // Never cut, never half-delivered: a credential chat cannot carry whole fails the grant, and is revoked.
    const undeliverable = secret && !issuing.pipeline ? undeliverableSecret(deps, issuing, secret) : undefined;
    if (undeliverable) {
      const { bytes, maxBytes, platform } = undeliverable.measure;
      await failIssue(deps, id, undeliverable.error, { receipt: result.receipt, detail: { reason: 'secret_too_large', bytes, maxBytes, platform } });
      return DONE;
    }
    // A pipeline collects its secret through the API: it is kept (sealed) before the grant shows as
    // active, so a pipeline that sees `active` finds the credential waiting.
    if (secret && issuing.pipeline) await keepPipelineCredential(deps, id, secret);
    const { after } = await mutate(deps, id, (c) => ({
      after: applyEvent(c, { type: 'issued', at: deps.clock.now(), window, receipt: result.receipt }),
      audit: {
        type: 'grant.issued',
        actor: SYSTEM_ACTOR,
        data: { issuer: resource.issuer, windowStart: window.start, windowEnd: window.end, summary: result.receipt.summary, ms: Date.now() - started },
      },
    }));
    if (after.status !== 'active') return DONE;
    deps.observer?.issued?.(Date.now() - started);
    await deps.scheduler.revokeAt(id, after.window.end);
    await scheduleReminder(deps, after);
    await deps.scheduler.notify({
      kind: 'dm',
      requestId: id,
      person: after.requester,
      message: 'active',
      ...(secret && !after.pipeline ? { sealedSecret: deps.secretBox.seal(JSON.stringify(secret)) } : {}),
    });
    await deps.scheduler.notify({ kind: 'card', requestId: id });
    return DONE;
  } catch (error) {
    if (isJitError(error)) throw error;
    const retryable = !(error instanceof IssuerError) || error.retryable;
    const message = errorText(error);
    await deps.audit.appendAudit({
      type: 'grant.issue_attempt_failed',
      requestId: id,
      actor: SYSTEM_ACTOR,
      data: { attempt: attempt.made + 1, retryable, error: message },
    });
    if (retryable && attempt.made + 1 < deps.engine.issueMaxAttempts) {
      return { kind: 'retry', error: message, ...(error instanceof IssuerError && error.retryAfterMs ? { retryAfterMs: error.retryAfterMs } : {}) };
    }
    await failIssue(deps, id, message);
    return DONE;
  }
}

async function failIssue(deps: CoreDeps, id: RequestId, error: string, issued: { receipt: IssueReceipt; detail: Record<string, unknown> } | undefined = undefined): Promise<void> {
  const { after } = await mutate(deps, id, (c) => ({
    after: applyEvent(c, { type: 'issue_failed', at: deps.clock.now(), error, ...(issued ? { receipt: issued.receipt } : {}) }),
    audit: { type: 'grant.issue_failed', actor: SYSTEM_ACTOR, data: { error, ...issued?.detail } },
  }));
  // The issuer may have created something before failing: revoke whatever might exist.
  await deps.scheduler.revokeAt(id, deps.clock.now());
  await deps.scheduler.notify({ kind: 'dm', requestId: id, person: after.requester, message: 'failed' });
  await deps.scheduler.notify({ kind: 'card', requestId: id });
}

/**
 * The revoke job. Idempotent: a grant already ended is done; a job that fires before a moved end
 * waits again. A failure is recorded, retried forever with backoff, and after a few attempts the grant
 * is marked `revoke_failed` and the approvers are alerted.
 */
export async function runRevoke(deps: CoreDeps, id: RequestId): Promise<JobOutcome> {
  let current = await deps.requests.get(id);
  if (!current) return DONE;
  if (current.status === 'failed') return defensiveRevoke(deps, current);
  if (current.status === 'active') {
    const now = deps.clock.now();
    if (current.window.end - now > deps.engine.earlyToleranceMs) return { kind: 'later', atMs: current.window.end };
    try {
      ({ after: current } = await mutate(deps, id, (c) => ({
        after: withWaiting(deps, applyEvent(c, { type: 'end', reason: 'expired', by: SYSTEM_ACTOR, at: deps.clock.now() })),
        audit: { type: 'grant.expiring', actor: SYSTEM_ACTOR, data: { lateMs: Math.max(0, now - (c.status === 'active' ? c.window.end : now)) } },
      }), current));
    } catch (error) {
      // Extended or ended by someone else meanwhile: look again on the next run.
      if (isJitError(error, 'REQUEST.ALREADY_DECIDED')) return runRevoke(deps, id);
      throw error;
    }
  }
  if (current.status !== 'revoking' && current.status !== 'revoke_failed') return DONE;

  const resource = resourceOf(deps, current);
  const issuer = resource && deps.issuer(resource.issuer);
  const started = Date.now();
  try {
    if (!resource || !issuer) throw new IssuerError(`the issuer of ${current.resource} is no longer configured`, true);
    const ended = { at: Math.min(current.window.end, current.endRequestedAt), reason: current.endReason };
    await issuer.revoke({ ...grantContext(deps, current, current.window), ended }, current.receipt);
  } catch (error) {
    const message = errorText(error);
    const attempts = current.revokeAttempts + 1;
    const markFailed = current.status === 'revoking' && (attempts >= deps.engine.revokeFailedAfterAttempts || (error instanceof IssuerError && !error.retryable));
    await mutate(deps, id, (c) => ({
      after: applyEvent(c, { type: 'revoke_attempt_failed', at: deps.clock.now(), error: message, markFailed }),
      audit: { type: markFailed ? 'grant.revoke_failed' : 'grant.revoke_attempt_failed', actor: SYSTEM_ACTOR, data: { attempt: attempts, error: message } },
    }), current);
    deps.observer?.revokeAttemptFailed?.();
    if (markFailed) {
      deps.log.error({ requestId: id, attempts, error: message }, 'revocation failing; approvers alerted, still retrying');
      await deps.scheduler.notify({ kind: 'notice', requestId: id, notice: 'revoke_failed' });
      await deps.scheduler.notify({ kind: 'card', requestId: id });
    }
    return { kind: 'retry', error: message, ...(error instanceof IssuerError && error.retryAfterMs ? { retryAfterMs: error.retryAfterMs } : {}) };
  }
  const wasFailing = current.status === 'revoke_failed';
  const lateMs = Math.max(0, deps.clock.now() - current.window.end);
  const ending = current;
  const { after } = await mutate(deps, id, (c) => ({
    after: applyEvent(c, { type: 'revoke_succeeded', at: deps.clock.now() }),
    audit: {
      type: 'grant.revoked',
      actor: SYSTEM_ACTOR,
      data: { endReason: ending.endReason, failedAttempts: ending.revokeAttempts, ms: Date.now() - started, lateMs },
    },
  }), ending);
  deps.observer?.revoked?.(Date.now() - started, lateMs);
  if (after.pipeline) await discardPipelineCredential(deps, id);
  await deps.scheduler.cancelReminder(id);
  if (wasFailing) await deps.scheduler.notify({ kind: 'notice', requestId: id, notice: 'revoke_recovered' });
  await deps.scheduler.notify({ kind: 'dm', requestId: id, person: after.requester, message: 'ended' });
  await deps.scheduler.notify({ kind: 'card', requestId: id });
  return DONE;
}

async function defensiveRevoke(deps: CoreDeps, request: AccessRequest): Promise<JobOutcome> {
  const resource = resourceOf(deps, request);
  const issuer = resource && deps.issuer(resource.issuer);
  if (!resource || !issuer) return DONE;
  const window = { start: request.createdAt, end: deps.clock.now() };
  try {
    await issuer.revoke(grantContext(deps, request, window), request.status === 'failed' ? request.undeliveredReceipt : undefined);
  } catch (error) {
    return { kind: 'retry', error: errorText(error) };
  }
  await deps.audit.appendAudit({ type: 'grant.defensive_revoke', requestId: request.id, actor: SYSTEM_ACTOR, data: { issuer: resource.issuer } });
  return DONE;
}

/** After an extension: lets the issuer move the credential's own expiry, and DMs a new secret if there is one. */
export async function runExtendAtIssuer(deps: CoreDeps, id: RequestId): Promise<JobOutcome> {
  const current = await deps.requests.get(id);
  if (current?.status !== 'active') return DONE;
  const resource = resourceOf(deps, current);
  const issuer = resource && deps.issuer(resource.issuer);
  if (!issuer?.extend) return DONE;
  let result;
  try {
    result = await issuer.extend(grantContext(deps, current, current.window), current.receipt);
  } catch (error) {
    if (error instanceof IssuerError && !error.retryable) {
      await deps.audit.appendAudit({ type: 'grant.extend_at_issuer_failed', requestId: id, actor: SYSTEM_ACTOR, data: { error: errorText(error) } });
      return DONE;
    }
    return { kind: 'retry', error: errorText(error) };
  }
  const receipt = result.receipt;
  const { after } = await mutate(deps, id, (c) => {
    if (c.status !== 'active') return { after: c, audit: { type: 'grant.extend_at_issuer_skipped', actor: SYSTEM_ACTOR, data: {} } };
    return { after: { ...c, receipt }, audit: { type: 'grant.extended_at_issuer', actor: SYSTEM_ACTOR, data: { windowEnd: c.window.end, summary: receipt.summary } } };
  });
  await deps.scheduler.notify({
    kind: 'dm',
    requestId: id,
    person: after.requester,
    message: 'extension_approved',
    ...(result.secret ? { sealedSecret: deps.secretBox.seal(JSON.stringify(result.secret)) } : {}),
  });
  return DONE;
}

/** The "expiring soon" reminder: only for a grant that is still active and not yet past its end. */
export async function runReminder(deps: CoreDeps, id: RequestId): Promise<JobOutcome> {
  const current = await deps.requests.get(id);
  if (current?.status !== 'active') return DONE;
  const remindAt = current.window.end - deps.policy().settings.reminderBefore;
  if (remindAt - deps.clock.now() > deps.engine.earlyToleranceMs) return { kind: 'later', atMs: remindAt };
  await deps.scheduler.notify({ kind: 'dm', requestId: id, person: current.requester, message: 'expiring' });
  return DONE;
}

/** Closes a request that nobody decided in time. */
export async function runTimeout(deps: CoreDeps, id: RequestId): Promise<JobOutcome> {
  const current = await deps.requests.get(id);
  if (current?.status !== 'pending') return DONE;
  if (current.timeoutAt - deps.clock.now() > deps.engine.earlyToleranceMs) return { kind: 'later', atMs: current.timeoutAt };
  try {
    const { after } = await mutate(deps, id, (c) => ({
      after: withWaiting(deps, applyEvent(c, { type: 'time_out', at: deps.clock.now() })),
      audit: { type: 'request.timed_out', actor: SYSTEM_ACTOR, data: {} },
    }));
    await deps.scheduler.cancelReannounce(id);
    await deps.scheduler.notify({ kind: 'dm', requestId: id, person: after.requester, message: 'timed_out' });
    await deps.scheduler.notify({ kind: 'card', requestId: id });
  } catch (error) {
    if (!isJitError(error, 'REQUEST.ALREADY_DECIDED')) throw error;
  }
  return DONE;
}

/** Reminds the approvers of a request still undecided, then again at doubling intervals. */
export async function runReannounce(deps: CoreDeps, id: RequestId, round: number): Promise<JobOutcome> {
  const current = await deps.requests.get(id);
  if (current?.status !== 'pending') return DONE;
  for (const person of current.waitingOn ?? []) {
    await deps.scheduler.notify({ kind: 'dm', requestId: id, person, message: 'reannounce' });
  }
  await deps.audit.appendAudit({ type: 'request.reannounced', requestId: id, actor: SYSTEM_ACTOR, data: { round, to: current.waitingOn ?? [] } });
  const next = deps.clock.now() + deps.policy().settings.reannounceAfter * 2 ** round;
  return next < current.timeoutAt ? { kind: 'later', atMs: next } : DONE;
}

function grantContext(deps: CoreDeps, request: AccessRequest, window: Window): GrantContext {
  const policy = deps.policy();
  const resource = resourceNamed(policy, request.resource);
  return {
    grantId: request.id,
    person: personIdentity(policy, request.requester),
    resource: request.resource,
    params: resource?.params ?? {},
    window,
    reason: request.reason,
    approvers: request.approvals.map((a) => a.person),
  };
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
