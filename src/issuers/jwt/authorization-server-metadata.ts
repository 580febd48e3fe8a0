/** Where jitbot serves the JWKS document and introspection, on the issuer URL's origin. */
export const JWKS_PATH = '/.well-known/jwks.json';
export const INTROSPECTION_PATH = '/v1/introspect';
const WELL_KNOWN = '/.well-known/oauth-authorization-server';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** An RFC 8414 document and the path it is served at. */
export interface AuthorizationServerMetadata {
  path: string;
  document: {
    issuer: string;
    jwks_uri: string;
    introspection_endpoint: string;
    introspection_endpoint_auth_methods_supported: string[];
    response_types_supported: string[];
    grant_types_supported: string[];
  };
}

/**
 * RFC 8414 metadata for a `jwt` issuer whose `issuer` (the tokens' `iss`) is jitbot's https URL (or
 * http on loopback, for tests and local use). An `iss` that is not such a URL cannot be an RFC 8414
 * issuer identifier, so nothing is published for it. The path follows RFC 8414 §3.1: the issuer's
 * path, without a trailing "/", after `/.well-known/oauth-authorization-server`.
 */
export function authorizationServerMetadata(issuer: string): AuthorizationServerMetadata | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return undefined;
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  if (!secure || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') return undefined;
  const issuerPath = url.pathname.replace(/\/+$/, '');
  return {
    path: `${WELL_KNOWN}${issuerPath}`,
    document: {
      issuer,
      jwks_uri: `${url.origin}${JWKS_PATH}`,
      introspection_endpoint: `${url.origin}${INTROSPECTION_PATH}`,
      // Bearer (the introspection token as an RFC 6750 token) works too, but is no registered method name.
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      // jitbot is no authorization server that hands out tokens by OAuth flows: none of those.
      response_types_supported: [],
      grant_types_supported: [],
    },
  };
}
