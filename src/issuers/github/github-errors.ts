import { RequestError } from '@octokit/request-error';
import { IssuerError } from '../../core/ports/issuer.js';

/** When GitHub says nothing about when to come back from a rate limit: its docs say wait at least a minute. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/** The HTTP status of a GitHub answer, or undefined when no answer came (network error, timeout). */
export function statusOf(error: unknown): number | undefined {
  return error instanceof RequestError && error.response ? error.status : undefined;
}

function header(error: RequestError, name: string): string | undefined {
  const value = error.response?.headers[name];
  return value === undefined || value === null ? undefined : String(value);
}

function githubMessage(error: RequestError): string {
  const data = error.response?.data as { message?: unknown; errors?: Array<{ message?: unknown; code?: unknown; field?: unknown }> } | undefined;
  const parts: string[] = [];
  if (data && typeof data.message === 'string') parts.push(data.message);
  for (const detail of data?.errors ?? []) {
    if (typeof detail?.message === 'string') parts.push(detail.message);
    else if (typeof detail?.code === 'string') parts.push(`${String(detail.field ?? 'field')} ${detail.code}`);
  }
  return parts.length > 0 ? parts.join(': ') : error.message;
}

/**
 * How long GitHub asks us to wait, for a rate-limited answer (403 or 429): `retry-after` when present,
 * else until `x-ratelimit-reset` when the limit is used up, else a minute (secondary limits). Undefined
 * for a 403 that is not about rate limits.
 */
export function rateLimitWaitMs(error: RequestError, now: number = Date.now()): number | undefined {
  if (error.status !== 403 && error.status !== 429) return undefined;
  const retryAfter = header(error, 'retry-after');
  if (retryAfter !== undefined && /^\d+$/.test(retryAfter.trim())) return Number(retryAfter) * 1000;
  const remaining = header(error, 'x-ratelimit-remaining');
  const reset = header(error, 'x-ratelimit-reset');
  if (remaining === '0' && reset !== undefined && /^\d+$/.test(reset)) return Math.max(1000, Number(reset) * 1000 - now + 1000);
  if (error.status === 429 || /rate limit/i.test(githubMessage(error))) return DEFAULT_RATE_LIMIT_WAIT_MS;
  return undefined;
}

/**
 * Turns a failed GitHub call into an `IssuerError` that says what jitbot was doing and whether trying
 * again can help: rate limits (with the wait GitHub asks for), 5xx and network failures are
 * retryable; bad credentials, missing permissions, unknown repositories and validation errors are not.
 */
export function toIssuerError(error: unknown, doing: string): IssuerError {
  if (error instanceof IssuerError) return error;
  if (!(error instanceof RequestError) || !error.response) {
    const reason = error instanceof Error ? error.message : String(error);
    return new IssuerError(`GitHub did not answer while ${doing} (${reason})`, true, { cause: error });
  }
  const status = error.status;
  const message = githubMessage(error);
  const wait = rateLimitWaitMs(error);
  if (wait !== undefined) {
    return new IssuerError(`GitHub rate limit reached while ${doing}; retrying in ${Math.ceil(wait / 1000)} s (${message})`, true, { cause: error, retryAfterMs: wait });
  }
  if (status >= 500) return new IssuerError(`GitHub failed (${status}) while ${doing}: ${message}`, true, { cause: error });
  if (status === 401) return new IssuerError(`GitHub rejected jitbot's credentials (401) while ${doing}: ${message}`, false, { cause: error });
  if (status === 403) return new IssuerError(`jitbot's GitHub credentials may not do this (403) while ${doing}: ${message}`, false, { cause: error });
  if (status === 404) return new IssuerError(`not found on GitHub (404) while ${doing}: check the names, and that jitbot's credentials can see them`, false, { cause: error });
  if (status === 422) return new IssuerError(`GitHub refused (422) while ${doing}: ${message}`, false, { cause: error });
  return new IssuerError(`GitHub answered ${status} while ${doing}: ${message}`, false, { cause: error });
}
