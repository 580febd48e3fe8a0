import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * How a caller of `POST /v1/introspect` authenticates. RFC 7662 §2.1 lets the protected resource use
 * its OAuth client credentials (RFC 6749 §2.3.1: `client_secret_basic` or `client_secret_post`) or a
 * bearer token (RFC 6750); jitbot takes all three, with the issuer's `introspectionToken` as the secret.
 */
export type PresentedCredentials =
  | { kind: 'none' }
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; clientId: string; secret: string }
  | { kind: 'post'; clientId: string; secret: string }
  /** An Authorization header jitbot cannot read (an unknown scheme, bad base64, no colon). */
  | { kind: 'unreadable'; scheme: 'basic' | 'bearer' | 'other' }
  /** More than one method in one request, which RFC 6749 §2.3 forbids. */
  | { kind: 'several' };

/** The answer to a caller that did not authenticate: status, headers and the JSON body. */
export interface ClientAuthFailure {
  status: 400 | 401;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
}

const REALM = 'realm="jitbot"';
const NO_STORE = { 'Cache-Control': 'no-store' } as const;

/** RFC 6749 Appendix B: client ids and secrets are form-urlencoded before they go into Basic. */
function formDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function fromAuthorization(header: string): PresentedCredentials {
  const bearer = /^Bearer +([^\s]+) *$/i.exec(header);
  if (bearer) return { kind: 'bearer', token: bearer[1]! };
  if (/^Bearer\b/i.test(header)) return { kind: 'unreadable', scheme: 'bearer' };
  const basic = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!basic) return { kind: 'unreadable', scheme: /^Basic\b/i.test(header) ? 'basic' : 'other' };
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const clientId = colon > 0 ? formDecode(decoded.slice(0, colon)) : undefined;
  const secret = colon > 0 ? formDecode(decoded.slice(colon + 1)) : undefined;
  if (!clientId || secret === undefined) return { kind: 'unreadable', scheme: 'basic' };
  return { kind: 'basic', clientId, secret };
}

/** What the request presents; it does not judge whether the credentials are right. */
export function presentedCredentials(authorization: string | undefined, form: URLSearchParams): PresentedCredentials {
  const header = authorization?.trim() ?? '';
  const postSecret = form.get('client_secret');
  if (header !== '' && postSecret !== null) return { kind: 'several' };
  if (header !== '') return fromAuthorization(header);
  if (postSecret !== null) return { kind: 'post', clientId: form.get('client_id') ?? '', secret: postSecret };
  return { kind: 'none' };
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Checks presented credentials against one issuer's client id and secret, in constant time. */
export class IntrospectionClient {
  readonly #idDigest: Buffer;
  readonly #secretDigest: Buffer;

  constructor(
    /** The `client_id` of `client_secret_basic` / `client_secret_post`. */
    readonly clientId: string,
    secret: string,
  ) {
    this.#idDigest = digest(clientId);
    this.#secretDigest = digest(secret);
  }

  /** Undefined when the caller authenticated as this client; otherwise the RFC 6749 §5.2 / RFC 6750 §3 answer. */
  check(presented: PresentedCredentials): ClientAuthFailure | undefined {
    switch (presented.kind) {
      case 'bearer':
        return this.#secretMatches(presented.token) ? undefined : bearerRefused();
      case 'basic':
      case 'post': {
        // Both compared, always: the answer's time says nothing about which one was wrong.
        const idMatches = timingSafeEqual(digest(presented.clientId), this.#idDigest);
        const secretMatches = this.#secretMatches(presented.secret);
        return idMatches && secretMatches ? undefined : clientRefused('the client id or secret is not right');
      }
      case 'unreadable':
        if (presented.scheme === 'bearer') return bearerRefused();
        if (presented.scheme === 'basic') return clientRefused('the Basic credentials are not base64 of "client_id:client_secret"');
        return unauthenticated();
      case 'several':
        return {
          status: 400,
          headers: { ...NO_STORE },
          body: { error: 'invalid_request', error_description: 'use one client authentication method per request (RFC 6749 §2.3), not the Authorization header and client_secret together' },
        };
      case 'none':
        return unauthenticated();
    }
  }

  #secretMatches(secret: string): boolean {
    return timingSafeEqual(digest(secret), this.#secretDigest);
  }
}

function unauthenticated(): ClientAuthFailure {
  return {
    status: 401,
    headers: { ...NO_STORE, 'WWW-Authenticate': `Basic ${REALM}, Bearer ${REALM}` },
    body: {
      error: 'invalid_client',
      error_description: 'authenticate with client_secret_basic or client_secret_post (the client id and the introspection token), or Authorization: Bearer <introspection token>',
    },
  };
}

function clientRefused(why: string): ClientAuthFailure {
  return { status: 401, headers: { ...NO_STORE, 'WWW-Authenticate': `Basic ${REALM}` }, body: { error: 'invalid_client', error_description: why } };
}

function bearerRefused(): ClientAuthFailure {
  return {
    status: 401,
    headers: { ...NO_STORE, 'WWW-Authenticate': `Bearer ${REALM}, error="invalid_token"` },
    body: { error: 'invalid_token', error_description: "the bearer token is not this server's introspection token" },
  };
}
