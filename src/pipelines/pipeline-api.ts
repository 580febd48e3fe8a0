import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { AccessRequest, PipelineContext, RequestId } from '../core/domain/access-request.js';
import { isJitError } from '../core/domain/errors.js';
import type { AdapterState } from '../core/ports/adapter-state.js';
import type { Logger } from '../core/ports/logger.js';
import type { JitCore } from '../core/services/create-core.js';
import { pollUntil } from '../core/services/pipeline-requests.js';
import type { HttpRequest, HttpResponse, HttpServer } from '../http/http-server.js';
import { LogThrottle } from '../http/log-throttle.js';
import { OidcKeysCoolingDown, OidcRejection, OidcUnavailable, type OidcVerifier, type VerifiedToken } from './oidc-verifier.js';
import { pipelineActor, pipelineContextFromToken, sameRun } from './pipeline-identity.js';
import type { RejectionAudit } from './rejection-audit.js';
import { boundClaims, loadBinding, newBinding, PICKUP_HEADER, refuseBinding, replaySecret, saveBinding } from './request-binding.js';
import { requestView } from './request-view.js';
import { failureResponse, headerOf, identity, parseWait, problem, REQUESTS_PATH, runOf, targetOf } from './pipeline-http.js';

export { MAX_WAIT_MS, REQUESTS_PATH } from './pipeline-http.js';

const BodySchema = z
  .object({
    resource: z.string().min(1).max(200),
    duration: z.string().max(40).optional(),
    reason: z.string().max(4000).optional(),
  })
  .strict();

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,200}$/;

export interface PipelineApiOptions {
  core: JitCore;
  /** Where the bindings of requests to the jobs that made them are kept. */
  state: Pick<AdapterState, 'putValue' | 'getValue'>;
  verifier: OidcVerifier;
  audit: RejectionAudit;
  log: Logger;
  /** How often a long poll looks at the store. */
  pollEveryMs?: number;
}

type Authenticated = { token: VerifiedToken; context: PipelineContext };

/**
 * The machine API: pipelines authenticated by their CI provider's OIDC ID token ask for access
 * (`POST /v1/requests`), follow their request (`GET /v1/requests/<id>[?wait=60s]`), collect the
 * credential once, and end it (`POST /v1/requests/<id>/release`). A request is bound to the job that
 * made it: the same principal and job-level claims, and the pickup secret its creation returned.
 */
export class PipelineApi {
  private readonly waits = new Set<AbortController>();
  private readonly throttle = new LogThrottle(10_000);
  private readonly pollEveryMs: number;

  constructor(private readonly options: PipelineApiOptions) {
    this.pollEveryMs = options.pollEveryMs ?? 250;
  }

  mount(http: HttpServer): void {
    http.route('POST', REQUESTS_PATH, (request) => this.create(request));
    http.routePrefix('GET', `${REQUESTS_PATH}/`, (request, response) => this.read(request, response));
    http.routePrefix('POST', `${REQUESTS_PATH}/`, (request, response) => this.release(request, response));
  }

  /** Ends every long poll now (the server is stopping). */
  stop(): void {
    for (const wait of this.waits) wait.abort();
  }

  private get core(): JitCore {
    return this.options.core;
  }

  private async create(request: HttpRequest): Promise<HttpResponse> {
    const auth = await this.authenticate(request, 'create', null);
    if ('status' in auth) return auth;
    let body: z.infer<typeof BodySchema>;
    try {
      const parsed = BodySchema.safeParse(JSON.parse(request.rawBody.toString('utf8') || '{}'));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return problem(400, 'bad_request', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}. Send {"resource": "…", "duration": "30m", "reason": "…"}.`);
      }
      body = parsed.data;
    } catch {
      return problem(400, 'bad_request', 'the body is not JSON. Send {"resource": "…", "duration": "30m", "reason": "…"}.');
    }

    const { token, context } = auth;
    const requester = this.core.pipelines.requester(runOf(token), body.resource);
    if (requester === undefined) {
      await this.options.audit.record('pipeline.unmatched', null, { ...identity(context), resource: body.resource.slice(0, 200) });
      return problem(
        403,
        'unknown_pipeline',
        `No pipeline in the policy matches this run (${context.provider} ${context.repository}, ref ${context.ref ?? '-'}, environment ${context.environment ?? '-'}). Ask an admin to add it under pipelines:.`,
      );
    }

    const key = headerOf(request, 'idempotency-key');
    let scope: string | undefined;
    if (key !== undefined) {
      if (!IDEMPOTENCY_KEY.test(key)) return problem(400, 'bad_request', 'Idempotency-Key: use 8 to 200 letters, digits, ".", "_", ":" or "-".');
      // Per creator: the same key from another job (other claims) or principal is another request.
      scope = createHash('sha256').update([context.issuer, context.repositoryId, context.runId, requester, JSON.stringify(boundClaims(token)), key].join('\u0000')).digest('hex');
      const earlier = await this.earlierRequest(scope, auth, key);
      if (earlier) return earlier;
      if (!(await this.core.pipelines.claimRequest(scope))) {
        // The same request is being made right now (a retry raced the original): answer with its result.
        const settled = await pollUntil(() => this.earlierRequest(scope!, auth, key), 5000, this.pollEveryMs);
        return settled ?? problem(409, 'in_progress', 'The same request (Idempotency-Key) is being made; try again shortly.');
      }
    }

    try {
      const { request: created } = await this.core.requestAccess({
        actor: pipelineActor(requester, context, 'api'),
        resource: body.resource,
        duration: body.duration,
        reason: body.reason ?? '',
        pipeline: context,
      });
      const { binding, secret } = newBinding(requester, token, key);
      await saveBinding(this.options.state, created.id, binding);
      if (scope) await this.core.pipelines.rememberRequest(scope, created.id);
      return { status: 201, headers: { location: `${REQUESTS_PATH}/${created.id}`, 'cache-control': 'no-store' }, body: { ...requestView(created), pickupSecret: secret } };
    } catch (error) {
      return failureResponse(this.options.log, error);
    }
  }

  /** The answer to a replay: the earlier request and its pickup secret, if this caller (same job) made it. */
  private async earlierRequest(scope: string, auth: Authenticated, key: string): Promise<HttpResponse | undefined> {
    const earlier = await this.core.pipelines.earlierRequest(scope);
    if (!earlier || !sameRun(auth.context, earlier)) return undefined;
    const binding = await loadBinding(this.options.state, earlier.id);
    if (refuseBinding(binding, this.stillMatches(auth.token), auth.token, undefined, false)) return undefined;
    const secret = binding && replaySecret(binding, key);
    if (!secret) return undefined;
    return { status: 200, headers: { 'cache-control': 'no-store' }, body: { ...requestView(earlier), pickupSecret: secret } };
  }

  private async read(request: HttpRequest, response: ServerResponse): Promise<HttpResponse> {
    const target = targetOf(request.path);
    if (!target || target.action !== undefined) return problem(404, 'not_found', 'not found');
    const found = await this.ownRequest(request, target.id);
    if ('status' in found) return found;
    const current = found.request;

    const wait = parseWait(request.query.get('wait'));
    if (wait === 'invalid') return problem(400, 'bad_request', 'wait: use a duration such as 30s or 60s (at most 60s).');
    const versionText = request.query.get('version');
    const since = versionText !== null && /^\d{1,9}$/.test(versionText) ? Number(versionText) : current.version;
    const read = await this.core.pipelines.read(current, { since, timeoutMs: wait, everyMs: this.pollEveryMs, ...(wait > 0 ? { signal: this.signalFor(response) } : {}) });
    return { status: 200, headers: { 'cache-control': 'no-store' }, body: requestView(read.request, read.pickup) };
  }

  private async release(request: HttpRequest, response: ServerResponse): Promise<HttpResponse> {
    const target = targetOf(request.path);
    if (!target || target.action !== 'release') return problem(404, 'not_found', 'not found');
    const found = await this.ownRequest(request, target.id);
    if ('status' in found) return found;
    const { context } = found;
    let current = found.request;
    const actor = pipelineActor(current.requester, context, 'api');
    try {
      if (current.status === 'approved' || current.status === 'issuing') {
        // Approved but not yet issued: the access can only be ended once it exists.
        const settled = await this.core.pipelines.waitFor(current.id, (now) => now.status !== 'approved' && now.status !== 'issuing', {
          timeoutMs: 15_000,
          everyMs: this.pollEveryMs,
          signal: this.signalFor(response),
        });
        if (!settled) {
          return { ...problem(409, 'not_active_yet', `${current.id} is approved and being issued; release it again in a moment.`), headers: { 'retry-after': '2' } };
        }
        current = settled;
      }
      if (current.status === 'pending') current = (await this.core.cancel(actor, current.id)).request;
      else if (current.status === 'active') current = (await this.core.release(actor, current.id)).request;
    } catch (error) {
      if (!isJitError(error, 'REQUEST.ALREADY_DECIDED') && !isJitError(error, 'REQUEST.INVALID_TRANSITION')) return failureResponse(this.options.log, error);
      current = (await this.core.findRequest(current.id)) ?? current;
    }
    if (current.status === 'active') return problem(409, 'not_released', `${current.id} could not be released; try again.`);
    return { status: 200, body: requestView(current) };
  }

  /** Authenticates the caller and finds its own request: another run's request is "not found". */
  private async ownRequest(request: HttpRequest, id: RequestId): Promise<HttpResponse | (Authenticated & { request: AccessRequest })> {
    const auth = await this.authenticate(request, 'use', id);
    if ('status' in auth) return auth;
    const found = await this.core.findRequest(id);
    let refusal: string | undefined;
    if (found && !sameRun(auth.context, found)) refusal = 'other_run';
    else if (found) refusal = refuseBinding(await loadBinding(this.options.state, id), this.stillMatches(auth.token), auth.token, headerOf(request, PICKUP_HEADER));
    if (!found || refusal) {
      // The same answer as for a request that does not exist: a caller learns nothing of another job's requests.
      if (found) await this.options.audit.record('pipeline.access_refused', id, { ...identity(auth.context), path: request.path, reason: refusal });
      return problem(404, 'not_found', `There is no request ${id} for this run.`);
    }
    return { ...auth, request: found };
  }

  private async authenticate(request: HttpRequest, purpose: 'create' | 'use', requestId: RequestId | null): Promise<HttpResponse | Authenticated> {
    const header = headerOf(request, 'authorization');
    const match = header ? /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header) : null;
    try {
      if (!match) throw new OidcRejection('missing_token', 'send the CI ID token as "Authorization: Bearer <token>"');
      const token = await this.options.verifier.verify(match[1]!, purpose);
      return { token, context: pipelineContextFromToken(token) };
    } catch (error) {
      if (error instanceof OidcRejection) {
        await this.options.audit.record('auth.oidc_rejected', requestId, {
          reason: error.reason,
          message: error.message,
          method: request.method,
          path: request.path,
          ...(error.claimed.issuer ? { claimedIssuer: error.claimed.issuer } : {}),
          ...(error.claimed.subject ? { claimedSubject: error.claimed.subject } : {}),
        });
        return {
          status: 401,
          headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="${error.reason}"` },
          body: { error: 'invalid_token', reason: error.reason, message: error.message },
        };
      }
      if (error instanceof OidcKeysCoolingDown) {
        // Throttled: anyone can send tokens naming made-up key ids.
        this.throttle.run('oidc-keys-cooling-down', (suppressed) => this.options.log.warn({ error: error.message, suppressed }, 'a pipeline token names a key not fetched yet; answered 503'));
        return {
          status: 503,
          headers: { 'retry-after': String(error.retryAfterSeconds) },
          body: { error: 'keys_refreshing', message: `The token is signed with a key jitbot has not fetched yet; retry in ${error.retryAfterSeconds} s.` },
        };
      }
      if (error instanceof OidcUnavailable) {
        this.throttle.run('oidc-unavailable', (suppressed) => this.options.log.error({ error: error.message, suppressed }, 'cannot verify a pipeline token: the issuer is unreachable'));
        return { status: 503, headers: { 'retry-after': '5' }, body: { error: 'issuer_unavailable', message: 'The CI provider could not be reached to check the token; try again shortly.' } };
      }
      throw error;
    }
  }

  /** Whether a request's principal is still a `pipelines:` entry of the current policy that this token matches. */
  private stillMatches(token: VerifiedToken): (principal: string) => boolean {
    return (principal) => this.core.pipelines.stillMatches(principal, runOf(token));
  }

  /** Aborts when the caller hangs up or the server stops. */
  private signalFor(response: ServerResponse): AbortSignal {
    const controller = new AbortController();
    this.waits.add(controller);
    response.once('close', () => {
      controller.abort();
      this.waits.delete(controller);
    });
    return controller.signal;
  }

}

