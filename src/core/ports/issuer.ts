import type { z } from 'zod';
import type { EndReason, IssueReceipt, Window } from '../domain/access-request.js';
import type { Person } from '../policy/policy-schema.js';

/** What an issuer is told about a grant. */
export interface GrantContext {
  /** The grant id (= request id): issuers use it as their idempotency key. */
  grantId: string;
  person: { name: string } & Person;
  resource: string;
  params: Record<string, unknown>;
  window: Window;
  reason: string;
  approvers: string[];
  /**
   * Given to `revoke` only: when the access ended — the window's end when it expired, the moment it
   * was revoked or released when that came first — and why. `window` stays the window that was granted.
   */
  ended?: { at: number; reason: EndReason };
}

/** A credential for the requester's eyes only: delivered by DM, never stored, logged or audited. */
export interface IssuedSecret {
  label: string;
  value: string;
}

export interface IssueResult {
  receipt: IssueReceipt;
  secret?: IssuedSecret;
}

/**
 * A credential issuer. Both calls are idempotent on `grantId`: issuing twice has the effect of once;
 * revoking something already gone (or never created) succeeds. Failures throw `IssuerError`.
 */
export interface Issuer {
  readonly type: string;
  issue(grant: GrantContext): Promise<IssueResult>;
  revoke(grant: GrantContext, receipt: IssueReceipt | undefined): Promise<void>;
  /**
   * The grant's window was extended (`grant.window` is the new one). Issuers whose credential carries
   * its own expiry (a JWT's `exp`, a token TTL) re-issue or renew it here; the new secret, if any,
   * goes to the requester's DM. Issuers without it keep the access as it is until the revoke.
   */
  extend?(grant: GrantContext, receipt: IssueReceipt): Promise<IssueResult>;
  /** Refuses a request up front, before anyone is asked to approve it (see IssuerFactory.requestProblem). */
  checkRequest?(params: Record<string, unknown>, person: { name: string } & Person, durationMs: number): string | undefined;
  /** Whether the access is still in place, where the target can tell. */
  verify?(grant: GrantContext, receipt: IssueReceipt): Promise<boolean>;
}

/** An issuer failure; `retryable` says whether trying again can help. */
export class IssuerError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IssuerError';
    this.retryAfterMs = options?.retryAfterMs;
  }
  readonly retryAfterMs: number | undefined;
}

/** The value under one locked key of an issuer's shared state. `write(undefined)` deletes it. */
export interface StateSlot {
  read(): Promise<unknown>;
  write(value: unknown): Promise<void>;
}

/**
 * Small shared state an issuer keeps between calls (reference counts of overlapping grants, journals
 * of created credentials), locked per key across every jitbot process so that a read-modify-write and
 * the upstream calls inside it never interleave. Values are JSON and never secrets in clear.
 */
export interface IssuerState {
  withLock<T>(key: string, fn: (slot: StateSlot) => Promise<T>): Promise<T>;
}

/** Another holder kept a state key's lock longer than the caller was willing to wait (retryable). */
export class StateLockTimeout extends Error {
  constructor(readonly key: string) {
    super(`timed out waiting for the lock on ${key}`);
    this.name = 'StateLockTimeout';
  }
}

/** Services an issuer may use beyond its settings. */
export interface IssuerEnvironment {
  /** Directory for state that must survive restarts (e.g. signing keys). */
  dataDir: string;
  /** Shared state on jitbot's store (every process sees it); issuers fall back to files without it. */
  state?: IssuerState;
  /** Whether a grant is still live, for issuers that answer questions about their own credentials. */
  grantIsLive(grantId: string): Promise<boolean>;
}

/** Builds an issuer of one `type` from its validated settings. */
export interface IssuerFactory<S = unknown, P = unknown> {
  readonly type: string;
  readonly settingsSchema: z.ZodType<S>;
  readonly paramsSchema: z.ZodType<P>;
  create(name: string, settings: S, env: IssuerEnvironment): Promise<Issuer>;
  /** The longest window the target can serve for these params (e.g. GitHub App tokens: 1 h), if limited. */
  maxWindowMs?(params: P): number | undefined;
  /** Why this person cannot be granted these params (e.g. no GitHub login), said so they can fix it. */
  requestProblem?(params: P, person: { name: string } & Person, durationMs?: number): string | undefined;
}
