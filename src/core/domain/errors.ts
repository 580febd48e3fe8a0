/**
 * Typed errors with a stable code and a message that is safe to show the person who caused it.
 * Adapters print `message` to the user; logs carry `code` and `cause`.
 */
export type ErrorCode =
  | 'INPUT.BAD_DURATION'
  | 'INPUT.BAD_ID'
  | 'INPUT.BAD_COMMAND'
  | 'INPUT.BAD_REASON'
  | 'POLICY.UNKNOWN_PERSON'
  | 'POLICY.UNKNOWN_RESOURCE'
  | 'POLICY.NOT_REQUESTER'
  | 'POLICY.NOT_APPROVER'
  | 'POLICY.SELF_APPROVAL'
  | 'POLICY.NOT_ADMIN'
  | 'POLICY.NOT_OWNER'
  | 'POLICY.DURATION_OUT_OF_RANGE'
  | 'POLICY.REASON_REQUIRED'
  | 'POLICY.REASON_PATTERN'
  | 'POLICY.EXTENSION_LIMIT'
  | 'POLICY.LIMIT_REACHED'
  | 'POLICY.INVALID'
  | 'REQUEST.NOT_FOUND'
  | 'REQUEST.ALREADY_DECIDED'
  | 'REQUEST.ALREADY_APPROVED_BY_YOU'
  | 'REQUEST.INVALID_TRANSITION'
  | 'REQUEST.CONFLICT'
  | 'ISSUER.RETRYABLE'
  | 'ISSUER.FATAL'
  | 'ISSUER.INVALID_PARAMS'
  | 'STORE.UNAVAILABLE'
  | 'INTERNAL';

export class JitError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JitError';
    this.details = options?.details ?? {};
  }
  readonly details: Record<string, unknown>;
}

export function isJitError(error: unknown, code?: ErrorCode): error is JitError {
  return error instanceof JitError && (code === undefined || error.code === code);
}

/**
 * A failure of something jitbot calls out to: an issuer's target (GitHub, Vault, a webhook receiver)
 * or a chat platform. `retryable` says whether trying again can help; `retryAfterMs` is how long the
 * far side asked to be left alone (Retry-After, a rate-limit reset). The job workers decide between
 * retrying and giving up from these alone, whichever port threw.
 */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UpstreamError';
    this.retryAfterMs = options?.retryAfterMs;
  }
  readonly retryAfterMs: number | undefined;
}

/** An issuer failure (see the `Issuer` port). */
export class IssuerError extends UpstreamError {
  override readonly name = 'IssuerError';
}

/** A failed delivery (see the `Notifier` port); not retryable when, e.g., the person never installed the app. */
export class NotifyError extends UpstreamError {
  override readonly name = 'NotifyError';
}
