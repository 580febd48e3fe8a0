import { createHash } from 'node:crypto';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify, SignJWT, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { IssueReceipt } from '../../core/domain/access-request.js';
import { IssuerError, type GrantContext, type IssueResult, type Issuer, type IssuerEndpoints, type IssuerEnvironment, type IssuerFactory } from '../../core/ports/issuer.js';
import { authorizationServerMetadata, type AuthorizationServerMetadata } from './authorization-server-metadata.js';
import { formatTimestamp } from '../../core/domain/timestamp.js';
import { LockTimeoutError } from './file-lock.js';
import { IntrospectionClient, presentedCredentials } from './introspection-client-auth.js';
import { FileKeyStore, PemKeySource, type JwtKeySource, type KeyRotation } from './jwt-keys.js';
import { JwtParamsSchema, JwtSettingsSchema, type JwtParams, type JwtSettings } from './jwt-schemas.js';

export { JwtParamsSchema, JwtSettingsSchema, RESERVED_CLAIMS, type JwtParams, type JwtSettings } from './jwt-schemas.js';
export type { KeyRotation, PublishedJwk } from './jwt-keys.js';

/** What `POST /v1/introspect` answers: the HTTP layer sends `status`, every header in `headers`, and `body` as JSON. */
export interface IntrospectionResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Knobs for tests and embedding; the factory uses the defaults. */
export interface JwtIssuerOptions {
  /** The clock, in ms since the epoch (default `Date.now`). */
  now?: () => number;
  /** How long to wait for another process holding the key file's lock (default 10 s). */
  lockTimeoutMs?: number;
}

const ALGORITHM = 'ES256';
/** Longer than any token jitbot makes; anything larger is not ours and is not parsed. */
const MAX_TOKEN_LENGTH = 16_384;
/** How long a revoked jti stays in the in-memory cache after its token would have expired anyway. */
const REVOKED_CACHE_MARGIN_MS = 24 * 60 * 60_000;
/**
 * A key-file lock older than this was left by a crashed process (holders keep it for milliseconds).
 * Shorter than the lock wait, so a restart after a crash mid-write does not fail.
 */
const STALE_LOCK_MS = 5_000;
const NO_STORE = { 'Cache-Control': 'no-store' } as const;

const seconds = (ms: number): number => Math.floor(ms / 1000);
const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Revoked jtis known to this process. Only a shortcut: the source of truth is the core's store, asked
 * through `IssuerEnvironment.grantIsLive`, which every process sees and which survives restarts.
 */
class RevokedJtiCache {
  private readonly until = new Map<string, number>();

  add(jti: string, tokenExpiresMs: number, nowMs: number): void {
    for (const [known, keepUntil] of this.until) if (keepUntil <= nowMs) this.until.delete(known);
    this.until.set(jti, Math.max(tokenExpiresMs, nowMs) + REVOKED_CACHE_MARGIN_MS);
  }

  has(jti: string): boolean {
    return this.until.has(jti);
  }
}

/** The `jwt` issuer: ES256 tokens for a grant's window, with a JWKS document and RFC 7662 introspection. */
export class JwtIssuer implements Issuer<JwtParams>, IssuerEndpoints {
  readonly type = 'jwt';
  // ES private fields: a logged or serialised issuer never shows the introspection secret.
  readonly #settings: JwtSettings;
  readonly #env: IssuerEnvironment;
  readonly #keys: JwtKeySource;
  readonly #now: () => number;
  readonly #revoked = new RevokedJtiCache();
  readonly #client: IntrospectionClient;
  #verifier: { kids: string; getKey: JWTVerifyGetKey } | undefined;

  constructor(
    /** The issuer's name under `issuers:` in the policy. */
    readonly name: string,
    settings: JwtSettings,
    env: IssuerEnvironment,
    keys: JwtKeySource,
    now: () => number = Date.now,
  ) {
    this.#settings = settings;
    this.#env = env;
    this.#keys = keys;
    this.#now = now;
    this.#client = new IntrospectionClient(settings.introspectionClientId ?? name, settings.introspectionToken);
  }

  /** Its JWKS document and introspection, for the HTTP layer to mount (a getter: JSON of the issuer stays acyclic). */
  get endpoints(): IssuerEndpoints {
    return this;
  }

  /** The `iss` claim of this issuer's tokens. */
  get issuer(): string {
    return this.#settings.issuer;
  }

  /**
   * Signs a token for the grant's window. Idempotent: a second call signs another token with the same
   * `jti`, and both are valid (and both are revoked by one revoke).
   */
  async issue(grant: GrantContext<JwtParams>): Promise<IssueResult> {
    const { params } = grant;
    const now = this.#now();
    const nbf = seconds(grant.window.start);
    const exp = seconds(grant.window.end);
    if (exp <= nbf) throw new IssuerError(`the grant's window is shorter than a second: no token can be valid in it`, false);

    const key = await this.#storage('choosing a signing key', () => this.#keys.signingKey(exp * 1000, now));
    const token = await new SignJWT({ ...params.claims })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT', kid: key.kid })
      .setIssuer(this.#settings.issuer)
      .setSubject(grant.person.name)
      .setAudience(this.#settings.audience ?? grant.resource)
      .setJti(grant.grantId)
      .setNotBefore(nbf)
      .setExpirationTime(exp)
      .setIssuedAt(seconds(now))
      .sign(key.privateKey);
    const tokenSha256 = sha256Hex(token);
    return {
      secret: { label: 'JWT', value: token },
      receipt: {
        summary: `a signed JWT (ES256) valid until ${formatTimestamp(exp * 1000)}`,
        details: { kid: key.kid, jti: grant.grantId, 'token sha256': tokenSha256 },
        revokeState: { kid: key.kid, tokenSha256, exp },
      },
    };
  }

  /**
   * Marks the grant's `jti` revoked in this process. Other processes (and this one after a restart)
   * learn it from `grantIsLive`, which turns false once the core ends the grant. Never fails.
   */
  /** A token's `exp` is fixed: an extended window gets a new token (same jti) with the new `exp`. */
  async extend(grant: GrantContext<JwtParams>, _receipt: IssueReceipt): Promise<IssueResult> {
    return this.issue(grant);
  }

  async revoke(grant: GrantContext, receipt: IssueReceipt | undefined): Promise<void> {
    this.#revoked.add(grant.grantId, tokenExpiresMs(grant, receipt), this.#now());
  }

  /** The same answer introspection gives for the grant's tokens: not revoked, not expired, grant live. */
  async verify(grant: GrantContext, receipt: IssueReceipt): Promise<boolean> {
    if (this.#revoked.has(grant.grantId)) return false;
    if (this.#now() >= tokenExpiresMs(grant, receipt)) return false;
    return this.#grantIsLive(grant.grantId);
  }

  /** `GET /.well-known/jwks.json`: the public keys of tokens that may still be valid. */
  async jwksDocument(): Promise<{ keys: JWK[] }> {
    return { keys: await this.#storage('reading the keys', () => this.#keys.publishedKeys(this.#now())) };
  }

  /**
   * Makes a new current signing key. Earlier keys stay in the JWKS (and keep verifying) until the last
   * token they signed expires. Fails (not retryable) for an issuer that signs with `keyFile`.
   */
  async rotateKey(): Promise<KeyRotation> {
    return this.#storage('rotating the key', () => this.#keys.rotate(this.#now()));
  }

  /** The `client_id` callers of `/v1/introspect` use with `client_secret_basic` / `client_secret_post`. */
  get introspectionClientId(): string {
    return this.#client.clientId;
  }

  /** RFC 8414 metadata naming the JWKS and introspection, when `issuer` is jitbot's https URL. */
  authorizationServerMetadata(): AuthorizationServerMetadata | undefined {
    return authorizationServerMetadata(this.#settings.issuer);
  }

  /** Whether an `Authorization` header carries this issuer's introspection secret as a bearer token (constant-time). */
  acceptsBearer(authorizationHeader: string | undefined): boolean {
    const presented = presentedCredentials(authorizationHeader, new URLSearchParams());
    return presented.kind === 'bearer' && this.#client.check(presented) === undefined;
  }

  /**
   * `POST /v1/introspect` (RFC 7662). The caller authenticates with the introspection token as its
   * client secret (`client_secret_basic` or `client_secret_post`, client id `introspectionClientId`)
   * or as a bearer token; otherwise 401 (400 for two methods at once). Then 400 without `token`, else
   * 200 with `{active:false}` or the token's claims; 503 when the grant store cannot be asked.
   */
  async introspect(authorizationHeader: string | undefined, formBody: URLSearchParams): Promise<IntrospectionResponse> {
    const refused = this.#client.check(presentedCredentials(authorizationHeader, formBody));
    if (refused) return refused;
    const token = formBody.get('token');
    if (!token) {
      return { status: 400, headers: { ...NO_STORE }, body: { error: 'invalid_request', error_description: 'the form parameter "token" is missing' } };
    }
    try {
      const claims = await this.#activeClaims(token);
      return { status: 200, headers: { ...NO_STORE }, body: claims ? { ...claims, active: true, token_type: 'Bearer' } : { active: false } };
    } catch (error) {
      if (!(error instanceof IssuerError)) throw error;
      return { status: 503, headers: { ...NO_STORE, 'Retry-After': '1' }, body: { error: 'temporarily_unavailable' } };
    }
  }

  /** The verified claims of a token that is ours, unexpired, not revoked and whose grant is live. */
  async #activeClaims(token: string): Promise<JWTPayload | undefined> {
    if (token.length > MAX_TOKEN_LENGTH) return undefined;
    const now = this.#now();
    const getKey = await this.#verifierAt(now);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        algorithms: [ALGORITHM],
        issuer: this.#settings.issuer,
        currentDate: new Date(now),
        requiredClaims: ['sub', 'aud', 'exp', 'nbf', 'iat', 'jti'],
      }));
    } catch {
      return undefined; // malformed, not signed by our keys, expired, not yet valid, another issuer's
    }
    const jti = payload.jti;
    if (typeof jti !== 'string' || this.#revoked.has(jti)) return undefined;
    if (!(await this.#grantIsLive(jti))) return undefined;
    return payload;
  }

  async #verifierAt(now: number): Promise<JWTVerifyGetKey> {
    const keys = await this.#storage('reading the keys', () => this.#keys.publishedKeys(now));
    const kids = keys.map((key) => key.kid).join(' ');
    if (this.#verifier?.kids !== kids) this.#verifier = { kids, getKey: createLocalJWKSet({ keys }) };
    return this.#verifier.getKey;
  }

  async #grantIsLive(grantId: string): Promise<boolean> {
    try {
      return await this.#env.grantIsLive(grantId);
    } catch (error) {
      throw new IssuerError(`cannot tell whether grant ${grantId} is live`, true, { cause: error });
    }
  }

  /** Key storage failures: a broken key file needs a person (not retryable); I/O and lock waits may pass. */
  async #storage<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof IssuerError) throw error;
      if (error instanceof LockTimeoutError) throw new IssuerError(`jwt issuer ${this.name}: the key file is locked by another process (${doing})`, true, { cause: error });
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      throw new IssuerError(`jwt issuer ${this.name}: key storage failed while ${doing}${code ? ` (${code})` : ''}`, true, { cause: error });
    }
  }
}

function tokenExpiresMs(grant: GrantContext, receipt: IssueReceipt | undefined): number {
  const exp = receipt?.revokeState.exp;
  return typeof exp === 'number' ? exp * 1000 : grant.window.end;
}

/**
 * Builds a `jwt` issuer: keys from `settings.keyFile`, or made at first start and kept in
 * `<env.dataDir>/jwt/<name>/keys.json` (shared by every process using that directory).
 */
export async function createJwtIssuer(name: string, settings: JwtSettings, env: IssuerEnvironment, options: JwtIssuerOptions = {}): Promise<JwtIssuer> {
  if (path.basename(name) !== name || name === '.' || name === '..') throw new IssuerError(`"${name}" cannot name a jwt issuer's key directory`, false);
  const now = options.now ?? Date.now;
  let keys: JwtKeySource;
  try {
    keys = settings.keyFile
      ? await PemKeySource.load(settings.keyFile)
      : await FileKeyStore.open(path.join(env.dataDir, 'jwt', name), { timeoutMs: options.lockTimeoutMs ?? 10_000, staleMs: STALE_LOCK_MS }, now());
  } catch (error) {
    if (error instanceof IssuerError) throw error;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    throw new IssuerError(`jwt issuer ${name}: cannot keep keys under ${path.join(env.dataDir, 'jwt', name)}${code ? ` (${code})` : ''}`, true, { cause: error });
  }
  return new JwtIssuer(name, settings, env, keys, now);
}

/** Whether an issuer is a `jwt` issuer, i.e. has a JWKS document and introspection to mount. */
export function isJwtIssuer(issuer: unknown): issuer is JwtIssuer {
  return issuer instanceof JwtIssuer;
}

/** `jwt`: signed ES256 tokens for the grant's window; revoked tokens introspect as inactive. */
export const jwtIssuerFactory: IssuerFactory<JwtSettings, JwtParams> = {
  type: 'jwt',
  settingsSchema: JwtSettingsSchema,
  paramsSchema: JwtParamsSchema,
  create: (name, settings, env) => createJwtIssuer(name, settings, env),
};
