import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { AccessRequest, PipelineContext } from '../core/domain/access-request.js';
import { formatDuration } from '../core/domain/duration.js';
import { isJitError } from '../core/domain/errors.js';
import { deploymentRequester } from '../core/policy/evaluate-policy.js';
import type { AdapterState } from '../core/ports/adapter-state.js';
import type { AuditLog } from '../core/ports/audit-log.js';
import type { Logger } from '../core/ports/logger.js';
import { NotifyError } from '../core/ports/notifier.js';
import type { JitCore } from '../core/services/create-core.js';
import type { HttpRequest, HttpResponse, HttpServer } from '../http/http-server.js';
import type { GitHubAppClient } from './github-app.js';
import { pipelineActor } from './pipeline-identity.js';
import type { RejectionAudit } from './rejection-audit.js';

export const GITHUB_WEBHOOK_PATH = '/github/webhooks';

/** Whether `X-Hub-Signature-256` is the HMAC-SHA256 of the raw body under the webhook secret (constant time). */
export function verifyGitHubSignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header || !header.startsWith('sha256=')) return false;
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The parts of a `deployment_protection_rule` webhook jitbot uses (GitHub's schema has more). */
const DeploymentProtectionRuleSchema = z.object({
  action: z.string(),
  environment: z.string().min(1),
  event: z.string().optional(),
  sha: z.string().optional(),
  ref: z.string().optional(),
  deployment_callback_url: z.string().url(),
  deployment: z.object({ id: z.number(), sha: z.string().optional(), ref: z.string().optional() }).loose().nullable().optional(),
  repository: z.object({ id: z.number(), full_name: z.string().min(3), html_url: z.string().url() }).loose(),
  installation: z.object({ id: z.number() }).loose(),
  sender: z.object({ login: z.string() }).loose().optional(),
});
type DeploymentProtectionRule = z.infer<typeof DeploymentProtectionRuleSchema>;

const GATES_NAMESPACE = 'deployment-gates';
const REPORTS_NAMESPACE = 'deployment-reports';
const ATTEMPTS_NAMESPACE = 'deployment-report-attempts';

export interface DeploymentGatesOptions {
  core: JitCore;
  app: GitHubAppClient;
  webhookSecret: string;
  apiUrl: string;
  /** Gate keys, report claims and attempt counts. */
  state: AdapterState;
  /** The trail, for deployments that never became a request and for report attempts. */
  trail: AuditLog;
  audit: RejectionAudit;
  log: Logger;
}

/**
 * GitHub deployment protection rules, answered from chat. A signed `deployment_protection_rule`
 * webhook for an environment named in `deploymentProtection:` becomes a request for the mapped
 * resource (card, approvers, quorum as for any resource); the decision goes back to the run's
 * `deployment_callback_url`, once, from the notify job that tells the requester (the deployment).
 */
export class DeploymentGates {
  constructor(private readonly options: DeploymentGatesOptions) {}

  mount(http: HttpServer): void {
    http.route('POST', GITHUB_WEBHOOK_PATH, (request) => this.receive(request));
  }

  /**
   * Verifies, then records the request and answers: the slow parts (cards, the callback) run in jobs,
   * well inside GitHub's 10 s. A redelivered or replayed webhook finds its request and changes nothing.
   */
  private async receive(request: HttpRequest): Promise<HttpResponse> {
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    // Nothing is parsed before the signature checks out.
    if (!verifyGitHubSignature(this.options.webhookSecret, request.rawBody, header('x-hub-signature-256'))) {
      await this.options.audit.record('github.webhook_rejected', null, {
        reason: header('x-hub-signature-256') ? 'bad_signature' : 'missing_signature',
        event: (header('x-github-event') ?? '').slice(0, 60),
        delivery: (header('x-github-delivery') ?? '').slice(0, 60),
      });
      return { status: 401, body: { error: 'invalid_signature', message: 'X-Hub-Signature-256 does not match this body and the webhook secret.' } };
    }
    const event = header('x-github-event');
    if (event === 'ping') return { status: 200, body: { ok: true } };
    if (event !== 'deployment_protection_rule') return { status: 202, body: { ignored: `event ${String(event).slice(0, 60)}` } };
    let payload: DeploymentProtectionRule;
    try {
      const parsed = DeploymentProtectionRuleSchema.safeParse(JSON.parse(request.rawBody.toString('utf8')));
      if (!parsed.success) return { status: 400, body: { error: 'bad_request', message: `not a deployment_protection_rule payload: ${parsed.error.issues[0]?.path.join('.')}` } };
      payload = parsed.data;
    } catch {
      return { status: 400, body: { error: 'bad_request', message: 'the body is not JSON' } };
    }
    if (payload.action !== 'requested') return { status: 202, body: { ignored: `action ${payload.action.slice(0, 60)}` } };

    const { core, log, state, trail } = this.options;
    const key = gateKey(payload);
    const existing = await state.getValue(GATES_NAMESPACE, key);
    if (existing) return { status: 200, body: { duplicate: true, requestId: existing } };
    if (!(await state.claimOnce(`deployment-gate:${key}`, 30_000))) return { status: 200, body: { duplicate: true } };

    const repository = payload.repository.full_name;
    const runId = /\/actions\/runs\/(\d+)\/deployment_protection_rule$/.exec(payload.deployment_callback_url)?.[1];
    if (!this.options.app.isReviewUrl(payload.deployment_callback_url) || !runId) {
      await this.options.audit.record('github.webhook_rejected', null, { reason: 'foreign_callback_url', repository, environment: payload.environment });
      return { status: 400, body: { error: 'bad_request', message: 'deployment_callback_url is not a review endpoint of the configured GitHub API (JITBOT_GITHUB_API_URL)' } };
    }
    const commit = payload.sha ?? payload.deployment?.sha;
    const ref = payload.ref ?? payload.deployment?.ref;
    const context: PipelineContext = {
      source: 'deployment_protection_rule',
      provider: 'github',
      issuer: this.options.apiUrl,
      subject: repository,
      repository,
      repositoryId: String(payload.repository.id),
      runId,
      runUrl: `${payload.repository.html_url}/actions/runs/${runId}`,
      ...(commit ? { commit } : {}),
      ...(ref ? { ref } : {}),
      environment: payload.environment,
      ...(payload.sender?.login ? { actor: payload.sender.login } : {}),
      gate: { callbackUrl: payload.deployment_callback_url, installationId: payload.installation.id, environment: payload.environment },
    };

    const gate = core.policy.deploymentGate(repository, payload.environment);
    const requester = deploymentRequester(repository, payload.environment);
    if (!gate) {
      // The App's rule is on an environment the policy does not name: refuse rather than leave the
      // deployment waiting for 30 days with nobody asked.
      await trail.appendAudit({ type: 'deployment.ungated', requestId: null, actor: pipelineActor(requester, context, 'github-webhook'), data: { repository, environment: payload.environment, runId } });
      await state.putValue(GATES_NAMESPACE, key, 'ungated');
      void this.reject(context, `jitbot's policy has no deploymentProtection entry for environment "${payload.environment}" of ${repository}.`);
      return { status: 202, body: { ungated: true } };
    }
    try {
      const { request: created } = await core.requestAccess({
        actor: pipelineActor(requester, context, 'github-webhook'),
        resource: gate.resource,
        duration: gate.duration === undefined ? undefined : formatDuration(gate.duration),
        reason: `Deploy ${commit ? commit.slice(0, 12) : 'a commit'}${ref ? ` (${ref})` : ''} to ${payload.environment}${payload.event ? ` on ${payload.event}` : ''}`,
        pipeline: context,
      });
      await state.putValue(GATES_NAMESPACE, key, created.id);
      log.info({ requestId: created.id, repository, environment: payload.environment, runId }, 'deployment gate requested');
      return { status: 202, body: { requestId: created.id } };
    } catch (error) {
      if (!isJitError(error)) throw error;
      await state.putValue(GATES_NAMESPACE, key, 'refused');
      await trail.appendAudit({ type: 'deployment.refused', requestId: null, actor: pipelineActor(requester, context, 'github-webhook'), data: { repository, environment: payload.environment, code: error.code, message: error.message } });
      void this.reject(context, `jitbot could not ask for approval: ${error.message}`);
      return { status: 202, body: { refused: error.code } };
    }
  }

  /** Best effort for deployments that never became a request (no gate, bad policy): a few tries, then the trail. */
  private async reject(context: PipelineContext, comment: string): Promise<void> {
    const gate = context.gate!;
    for (let attempt = 0; attempt < 3; attempt++) {
      const outcome = await this.options.app.review(
        { callbackUrl: gate.callbackUrl, installationId: gate.installationId, repositoryId: context.repositoryId },
        { environment_name: gate.environment, state: 'rejected', comment: comment.slice(0, 1000) },
      );
      if (outcome.kind !== 'retry') return;
      await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
    }
    this.options.log.error({ repository: context.repository, environment: gate.environment }, 'could not reject an ungated deployment');
  }

  /**
   * Reports a gate's decision to GitHub, once: the first report that GitHub takes (or refuses for
   * good) is recorded, and every later call is a no-op. Throws a retryable NotifyError while GitHub
   * cannot be reached, so the notify job tries again.
   */
  async report(request: AccessRequest): Promise<void> {
    const gate = request.pipeline?.gate;
    const state = decisionOf(request);
    if (!gate || !state) return;
    const { state: kv, trail } = this.options;
    if (await kv.getValue(REPORTS_NAMESPACE, request.id)) return;
    // One call at a time (two notify jobs of one request may run at once): attempt n is claimed by
    // one job, which moves the count on if GitHub could not be reached. A crashed attempt's claim
    // lapses after a minute, longer than a call can take.
    const attempt = Number((await kv.getValue(ATTEMPTS_NAMESPACE, request.id)) ?? '0');
    if (!(await kv.claimOnce(`deployment-report:${request.id}:${attempt}`, 60_000))) {
      throw new NotifyError(`the decision on ${request.id} is being reported by another job`, true, { retryAfterMs: 2000 });
    }
    const outcome = await this.options.app.review(
      { callbackUrl: gate.callbackUrl, installationId: gate.installationId, repositoryId: request.pipeline?.repositoryId },
      { environment_name: gate.environment, state, comment: commentFor(request).slice(0, 1000) },
    );
    const actor = { kind: 'system' as const };
    if (outcome.kind === 'retry') {
      await kv.putValue(ATTEMPTS_NAMESPACE, request.id, String(attempt + 1));
      await trail.appendAudit({ type: 'deployment.report_attempt_failed', requestId: request.id, actor, data: { state, attempt: attempt + 1, status: outcome.status, error: outcome.message } });
      throw new NotifyError(outcome.message, true, outcome.retryAfterMs ? { retryAfterMs: outcome.retryAfterMs } : undefined);
    }
    await kv.putValue(REPORTS_NAMESPACE, request.id, JSON.stringify({ state, status: outcome.status, at: Date.now() }));
    await trail.appendAudit({
      type: outcome.kind === 'done' ? 'deployment.reported' : 'deployment.report_refused',
      requestId: request.id,
      actor,
      data: { state, environment: gate.environment, status: outcome.status, ...(outcome.kind === 'refused' ? { error: outcome.message } : {}) },
    });
  }
}

/** Approved once approval was given (whatever happened after); rejected when it never was. */
export function decisionOf(request: AccessRequest): 'approved' | 'rejected' | undefined {
  switch (request.status) {
    case 'pending':
      return undefined;
    case 'denied':
    case 'timed_out':
    case 'cancelled':
    case 'failed':
      return 'rejected';
    default:
      return 'approved';
  }
}

function commentFor(request: AccessRequest): string {
  switch (request.status) {
    case 'denied':
      return `Denied in chat by ${request.deniedBy} (${request.id}): ${request.denyReason}`;
    case 'timed_out':
      return `Nobody decided in time (${request.id}).`;
    case 'cancelled':
      return `Cancelled (${request.id}).`;
    case 'failed':
      return `Approved, but jitbot failed to record it (${request.id}): ${request.error}`;
    default:
      return request.autoApprovedBy !== undefined && request.approvals.length === 0
        ? `Approved by jitbot policy (${request.id}).`
        : `Approved in chat by ${request.approvals.map((a) => a.person).join(', ')} (${request.id}).`;
  }
}

/** One deployment waiting on this App: the run's callback, the environment, the deployment. */
function gateKey(payload: DeploymentProtectionRule): string {
  return createHash('sha256')
    .update([payload.deployment_callback_url, payload.environment.toLowerCase(), payload.deployment?.id ?? ''].join('\u0000'))
    .digest('hex');
}
