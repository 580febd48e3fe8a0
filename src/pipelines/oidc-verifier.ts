import { createRemoteJWKSet, customFetch, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { PipelineProvider } from '../core/policy/policy-schema.js';
import type { OidcProviderConfig } from '../config/pipeline-config.js';

/** Why a token was refused: a stable code for the audit trail and a sentence for the caller. */
export type RejectionReason =
  | 'missing_token'
  | 'malformed'
  | 'unsigned'
  | 'algorithm_not_allowed'
  | 'wrong_issuer'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'too_old'
  | 'issued_in_future'
  | 'wrong_audience'
  | 'missing_claim';

/** A token that does not prove a pipeline's identity: 401. */
export class OidcRejection extends Error {
  constructor(
    readonly reason: RejectionReason,
    message: string,
    /** What the token claimed, unverified, for the trail: never the token itself. */
    readonly claimed: { issuer?: string; subject?: string } = {},
  ) {
    super(message);
    this.name = 'OidcRejection';
  }
}

/** The issuer could not be reached to check a token (discovery or JWKS down): 503, not the caller's fault. */
export class OidcUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OidcUnavailable';
  }
}

/**
 * The token names a key the issuer's JWKS did not hold when it was last fetched, and that fetch was
 * too recent to fetch again (a flood of made-up key ids must not become a flood of fetches). Keys are
 * rotated in, so this is retryable: 503 with `Retry-After`, never a final 401.
 */
export class OidcKeysCoolingDown extends OidcUnavailable {
  constructor(
    issuer: string,
    /** Whole seconds until the key set may be fetched again. */
    readonly retryAfterSeconds: number,
  ) {
    super(`the token is signed with a key of ${issuer} that jitbot has not fetched yet; the keys are fetched again in ${retryAfterSeconds} s`);
    this.name = 'OidcKeysCoolingDown';
  }
}

/** A token whose signature, issuer, audience and times were checked. */
export interface VerifiedToken {
  provider: OidcProviderConfig;
  claims: JWTPayload & Record<string, unknown>;
}

// Both providers sign with RS256 today; asymmetric algorithms only, so a public key can never be
// used as an HMAC secret, and "none" never passes.
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384'];
const CLOCK_TOLERANCE_S = 30;

/** Claims every token of a provider must carry: the identity of the run that jitbot records. */
const REQUIRED_CLAIMS: Record<PipelineProvider, string[]> = {
  github: ['sub', 'repository', 'repository_id', 'run_id'],
  gitlab: ['sub', 'project_path', 'project_id', 'pipeline_id'],
};

const DiscoverySchema = z.object({ issuer: z.string(), jwks_uri: z.string().url() }).loose();

type RemoteKeys = ReturnType<typeof createRemoteJWKSet>;
/** An issuer's remote key set and when it was last fetched (jose keeps its own clock private). */
type KeySet = { keys: RemoteKeys; readonly fetchedAt: number; cooldownMs: number };

/**
 * Verifies CI ID tokens (GitHub Actions, GitLab CI) against their issuer's published keys: the JWKS
 * is found by OIDC discovery (or configured), cached, and fetched again when a token names a key it
 * does not hold (jose's remote key set does both, at most once per cooldown per issuer).
 */
export class OidcVerifier {
  private readonly keySets = new Map<string, Promise<KeySet>>();

  constructor(
    private readonly config: { audience: string; providers: readonly OidcProviderConfig[] },
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Verifies a bearer token. `create` (a new request) also bounds the token's age by `iat`; `use`
   * (reading or ending a request the same run made) needs only a valid, unexpired token.
   */
  async verify(token: string, purpose: 'create' | 'use'): Promise<VerifiedToken> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch {
      throw new OidcRejection('malformed', 'the bearer token is not a JWT');
    }
    const claimed = {
      ...(typeof unverified.iss === 'string' ? { issuer: clip(unverified.iss) } : {}),
      ...(typeof unverified.sub === 'string' ? { subject: clip(unverified.sub) } : {}),
    };
    if (!header.alg || header.alg.toLowerCase() === 'none') throw new OidcRejection('unsigned', 'the token is not signed (alg "none")', claimed);
    if (!ALGORITHMS.includes(header.alg)) throw new OidcRejection('algorithm_not_allowed', `tokens signed with ${clip(header.alg)} are not accepted`, claimed);
    // Exactly as configured: "https://gitlab.example.com/" and "https://gitlab.example.com" are two issuers.
    const provider = this.config.providers.find((p) => p.issuer === unverified.iss);
    // Which issuers are accepted is not told to whoever sends a token.
    if (!provider) throw new OidcRejection('wrong_issuer', `tokens from issuer ${JSON.stringify(claimed.issuer ?? null)} are not accepted`, claimed);

    const keySet = await this.keySet(provider);
    const keys = keySet.keys;
    // Cooling down now means jose will not fetch again for a key id it does not hold.
    const coolingDown = keys.coolingDown;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: provider.issuer,
        audience: this.config.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp', 'iat'],
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(this.now()),
        ...(purpose === 'create' ? { maxTokenAge: Math.floor(provider.maxTokenAgeMs / 1000) } : {}),
      }));
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey && coolingDown) {
        throw new OidcKeysCoolingDown(provider.issuer, Math.max(1, Math.ceil((keySet.fetchedAt + keySet.cooldownMs - Date.now()) / 1000)));
      }
      throw this.explain(error, provider, claimed);
    }
    // jose checks a future iat only with maxTokenAge; a token from the future is refused either way.
    if (typeof payload.iat === 'number' && payload.iat > this.now() / 1000 + CLOCK_TOLERANCE_S) {
      throw new OidcRejection('issued_in_future', 'the token was issued in the future (check the clocks)', claimed);
    }
    for (const claim of REQUIRED_CLAIMS[provider.provider]) {
      const value = payload[claim];
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new OidcRejection('missing_claim', `the token has no "${claim}" claim; is it a ${provider.provider === 'github' ? 'GitHub Actions' : 'GitLab CI'} ID token?`, claimed);
      }
    }
    return { provider, claims: payload as JWTPayload & Record<string, unknown> };
  }

  private explain(error: unknown, provider: OidcProviderConfig, claimed: OidcRejection['claimed']): Error {
    if (error instanceof errors.JWTExpired) {
      return error.claim === 'iat'
        ? new OidcRejection('too_old', `the token is older than ${Math.round(provider.maxTokenAgeMs / 1000)} s; request a fresh one`, claimed)
        : new OidcRejection('expired', 'the token has expired', claimed);
    }
    if (error instanceof errors.JWTClaimValidationFailed) {
      switch (error.claim) {
        case 'aud':
          return new OidcRejection('wrong_audience', `the token's audience is not ${JSON.stringify(this.config.audience)}; request the ID token for that audience`, claimed);
        case 'iss':
          return new OidcRejection('wrong_issuer', 'the token names a different issuer', claimed);
        case 'nbf':
          return new OidcRejection('not_yet_valid', 'the token is not valid yet', claimed);
        case 'iat':
          return new OidcRejection(error.reason === 'missing' ? 'missing_claim' : 'issued_in_future', error.reason === 'missing' ? 'the token has no "iat" claim' : 'the token was issued in the future', claimed);
        default:
          return new OidcRejection('missing_claim', `the token's "${clip(error.claim)}" claim is ${error.reason === 'missing' ? 'missing' : 'invalid'}`, claimed);
      }
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) return new OidcRejection('bad_signature', 'the token signature does not verify', claimed);
    if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
      return new OidcRejection('unknown_key', `the token is signed with a key ${provider.issuer} does not publish`, claimed);
    }
    if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
      return new OidcRejection('algorithm_not_allowed', 'the token is signed with an algorithm that is not accepted', claimed);
    }
    if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return new OidcRejection('malformed', 'the token is malformed', claimed);
    if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
      this.keySets.delete(provider.issuer);
      return new OidcUnavailable(`the keys of ${provider.issuer} could not be fetched`, { cause: error });
    }
    // A network failure while fetching the key set.
    if (error instanceof TypeError || (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC')) {
      return new OidcUnavailable(`the keys of ${provider.issuer} could not be fetched`, { cause: error });
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  /** The issuer's remote key set: from configuration, or from its discovery document (cached; a failure is not). */
  private keySet(provider: OidcProviderConfig): Promise<KeySet> {
    let pending = this.keySets.get(provider.issuer);
    if (!pending) {
      pending = (async () => {
        const jwksUrl = provider.jwksUrl ?? (await discoverJwksUrl(provider.issuer));
        const cooldownMs = provider.jwksCooldownMs ?? 30_000;
        const last = { fetchedAt: 0 };
        const keys = createRemoteJWKSet(new URL(jwksUrl), {
          timeoutDuration: 5000,
          cooldownDuration: cooldownMs,
          cacheMaxAge: 10 * 60_000,
          [customFetch]: async (url: string, init: RequestInit) => {
            const response = await fetch(url, init);
            last.fetchedAt = Date.now();
            return response;
          },
        });
        return { keys, cooldownMs, get fetchedAt() { return last.fetchedAt; } };
      })();
      pending.catch(() => this.keySets.delete(provider.issuer));
      this.keySets.set(provider.issuer, pending);
    }
    return pending;
  }
}

/**
 * Reads `<issuer>/.well-known/openid-configuration` (a terminating "/" of the issuer removed first, as
 * OpenID Connect Discovery says); its `issuer` must be the one configured, exactly.
 */
async function discoverJwksUrl(issuer: string): Promise<string> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let body: unknown;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000), headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    body = await response.json();
  } catch (error) {
    throw new OidcUnavailable(`OIDC discovery at ${url} failed: ${(error as Error).message}`, { cause: error });
  }
  const parsed = DiscoverySchema.safeParse(body);
  if (!parsed.success) throw new OidcUnavailable(`OIDC discovery at ${url} returned no jwks_uri`);
  if (parsed.data.issuer !== issuer) {
    throw new OidcUnavailable(`OIDC discovery at ${url} names issuer ${parsed.data.issuer}, not ${issuer}`);
  }
  return parsed.data.jwks_uri;
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
