import type { z } from 'zod';
import type { EndReason, IssueReceipt, Window } from '../domain/access-request.js';
import type { Person } from '../policy/policy-schema.js';

/**
 * What an issuer is told about a grant. The core passes the resource's `params` as the policy holds
 * them; the issuer registry parses them with the factory's `paramsSchema`, so an issuer's own code
 * sees `GrantContext<ItsParams>`.
 */
export interface GrantContext<P = Record<string, unknown>> {
  /** The grant id (= request id): issuers use it as their idempotency key. */
  grantId: string;
  person: { name: string } & Person;
  resource: string;
  params: P;
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
 * `P` is the params type: the core sees `Issuer` (params as in the policy), an issuer's class
 * implements `Issuer<ItsParams>` and the registry binds one to the other.
 */
export interface Issuer<P = Record<string, unknown>> {
  readonly type: string;
  issue(grant: GrantContext<P>): Promise<IssueResult>;
  revoke(grant: GrantContext<P>, receipt: IssueReceipt | undefined): Promise<void>;
  /**
   * The grant's window was extended (`grant.window` is the new one). Issuers whose credential carries
   * its own expiry (a JWT's `exp`, a token TTL) re-issue or renew it here; the new secret, if any,
   * goes to the requester's DM. Issuers without it keep the access as it is until the revoke.
   */
  extend?(grant: GrantContext<P>, receipt: IssueReceipt): Promise<IssueResult>;
  /** Refuses a request up front, before anyone is asked to approve it (the registry sets it from IssuerFactory.requestProblem). */
  checkRequest?(params: P, person: { name: string } & Person, durationMs: number): string | undefined;
  /** Whether the access is still in place, where the target can tell. */
  verify?(grant: GrantContext<P>, receipt: IssueReceipt): Promise<boolean>;
  /** HTTP endpoints the issuer serves itself, mounted by the HTTP layer (the jwt issuer's JWKS and introspection). */
  readonly endpoints?: IssuerEndpoints;
}

/** What `POST /v1/introspect` answers: the HTTP layer sends `status`, every header in `headers`, and `body` as JSON. */
export interface IssuerEndpointResponse {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** The endpoints of an issuer whose credentials others verify: a JWKS document and RFC 7662 introspection. */
export interface IssuerEndpoints {
  /** `GET /.well-known/jwks.json`: the public keys of tokens that may still be valid. */
  jwksDocument(): Promise<{ keys: unknown[] }>;
  /** `POST /v1/introspect`: 401 when the caller is not this issuer's client (the next issuer may answer). */
  introspect(authorization: string | undefined, form: URLSearchParams): Promise<IssuerEndpointResponse>;
  /** RFC 8414 metadata and the path to serve it at, if the issuer publishes any. */
  authorizationServerMetadata?(): { path: string; document: object } | undefined;
}

/** Kept here for the port's users; the class lives with the other typed errors. */
export { IssuerError } from '../domain/errors.js';

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

/**
 * Builds an issuer of one `type`. The factory declares its schemas; the registry
 * (`issuers/registry.ts`) parses settings before `create` and each grant's params before every call,
 * so the issuer gets typed values and never parses or casts them itself.
 */
export interface IssuerFactory<S = unknown, P = unknown> {
  readonly type: string;
  readonly settingsSchema: z.ZodType<S>;
  readonly paramsSchema: z.ZodType<P>;
  create(name: string, settings: S, env: IssuerEnvironment): Promise<Issuer<P>>;
  /** The longest window the target can serve for these params (e.g. GitHub App tokens: 1 h), if limited. */
  maxWindowMs?(params: P): number | undefined;
  /** Why this person cannot be granted these params (e.g. no GitHub login), said so they can fix it. */
  requestProblem?(params: P, person: { name: string } & Person, durationMs?: number): string | undefined;
}
