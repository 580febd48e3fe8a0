import type { PipelineContext, RequestId } from '../core/domain/access-request.js';
import { RequestIdSchema } from '../core/domain/access-request.js';
import { parseDuration } from '../core/domain/duration.js';
import { isJitError, type ErrorCode } from '../core/domain/errors.js';
import type { Logger } from '../core/ports/logger.js';
import type { PipelineClaims } from '../core/services/pipeline-requests.js';
import type { HttpRequest, HttpResponse } from '../http/http-server.js';
import type { VerifiedToken } from './oidc-verifier.js';

// The HTTP side of the pipeline API: paths, status codes, problem bodies and query parsing, kept
// apart from the handlers in pipeline-api.ts so that file reads as the API's flow.

export const REQUESTS_PATH = '/v1/requests';
/** A long poll never holds a connection longer than this, whatever `wait` asks for. */
export const MAX_WAIT_MS = 60_000;

/** A refusal or an unexpected failure as the HTTP answer a pipeline reads. */
export function failureResponse(log: Logger, error: unknown): HttpResponse {
  if (isJitError(error, 'POLICY.LIMIT_REACHED')) {
    // RFC 6585: 429 with Retry-After; the body says which limit, as the chat reply does.
    const retryAfter = Number(error.details.retryAfterSeconds) || 60;
    return { status: 429, headers: { 'retry-after': String(retryAfter) }, body: { error: error.code, message: error.message, retryAfterSeconds: retryAfter } };
  }
  if (isJitError(error)) return problem(statusFor(error.code), error.code, error.message);
  const correlation = Math.random().toString(36).slice(2, 10);
  log.error({ error: error instanceof Error ? error.message : String(error), correlation }, 'pipeline request failed');
  return problem(500, 'internal', `Something went wrong on jitbot's side (reference ${correlation}).`);
}

function statusFor(code: ErrorCode): number {
  switch (code) {
    case 'POLICY.UNKNOWN_RESOURCE':
    case 'REQUEST.NOT_FOUND':
      return 404;
    // POLICY.INVALID: the issuer refuses this requester up front, or is not running; the message says which.
    case 'POLICY.NOT_REQUESTER':
    case 'POLICY.NOT_OWNER':
    case 'POLICY.NOT_ADMIN':
    case 'POLICY.INVALID':
      return 403;
    case 'REQUEST.ALREADY_DECIDED':
    case 'REQUEST.INVALID_TRANSITION':
    case 'REQUEST.CONFLICT':
      return 409;
    case 'STORE.UNAVAILABLE':
      return 503;
    case 'INTERNAL':
      return 500;
    default:
      return 400;
  }
}

export function problem(status: number, error: string, message: string): HttpResponse {
  return { status, body: { error, message } };
}

export function headerOf(request: HttpRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `/v1/requests/JIT-4` or `/v1/requests/JIT-4/release`. */
export function targetOf(path: string): { id: RequestId; action: string | undefined } | undefined {
  const parts = path.slice(REQUESTS_PATH.length + 1).split('/');
  if (parts.length > 2 || (parts.length === 2 && parts[1] === '')) return undefined;
  const id = RequestIdSchema.safeParse(parts[0]);
  return id.success ? { id: id.data, action: parts[1] } : undefined;
}

/** `?wait=60s` (or a number of seconds), capped at {@link MAX_WAIT_MS}; 0 when absent. */
export function parseWait(text: string | null): number | 'invalid' {
  if (text === null || text === '') return 0;
  try {
    const ms = /^\d{1,5}$/.test(text) ? Number(text) * 1000 : parseDuration(text);
    return Math.min(ms, MAX_WAIT_MS);
  } catch {
    return 'invalid';
  }
}

export function runOf(token: VerifiedToken): PipelineClaims {
  return { provider: token.provider.provider, claims: token.claims };
}

export function identity(context: PipelineContext): Record<string, string> {
  return Object.fromEntries(
    Object.entries({
      provider: context.provider,
      issuer: context.issuer,
      subject: context.subject,
      repository: context.repository,
      repositoryId: context.repositoryId,
      runId: context.runId,
      ref: context.ref,
      environment: context.environment,
    }).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
