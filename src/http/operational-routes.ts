import type { Registry } from 'prom-client';
import type { Issuer, IssuerEndpoints } from '../core/ports/issuer.js';
import type { HttpServer } from './http-server.js';

export interface OperationalRouteDeps {
  registry: Registry;
  ready(): Promise<{ redis: boolean; policy: boolean; workers: boolean }>;
  issuers: Map<string, Issuer>;
}

/**
 * /healthz, /readyz, /metrics, and the jwt issuer's /.well-known/jwks.json, /v1/introspect and RFC 8414
 * /.well-known/oauth-authorization-server[/<issuer path>].
 */
export function mountOperationalRoutes(http: HttpServer, deps: OperationalRouteDeps): void {
  http.route('GET', '/healthz', async () => ({ status: 200, body: { status: 'ok' } }));
  http.route('GET', '/readyz', async () => {
    try {
      const checks = await deps.ready();
      const ok = checks.redis && checks.policy && checks.workers;
      return { status: ok ? 200 : 503, body: { status: ok ? 'ready' : 'not ready', checks } };
    } catch (error) {
      return { status: 503, body: { status: 'not ready', checks: { redis: false }, error: (error as Error).message } };
    }
  });
  http.route('GET', '/metrics', async () => ({
    status: 200,
    headers: { 'content-type': deps.registry.contentType },
    body: await deps.registry.metrics(),
  }));

  const routed = [...deps.issuers.values()].flatMap((issuer): IssuerEndpoints[] => (issuer.endpoints ? [issuer.endpoints] : []));
  if (routed.length === 0) return;
  http.route('GET', '/.well-known/jwks.json', async () => {
    const keys = (await Promise.all(routed.map((i) => i.jwksDocument()))).flatMap((d) => d.keys);
    return { status: 200, headers: { 'cache-control': 'max-age=300' }, body: { keys } };
  });
  const published = new Set<string>();
  for (const issuer of routed) {
    const metadata = issuer.authorizationServerMetadata?.();
    // Two issuers with the same `iss` describe the same endpoints: the first one's document serves.
    if (!metadata || published.has(metadata.path)) continue;
    published.add(metadata.path);
    http.route('GET', metadata.path, async () => ({ status: 200, headers: { 'cache-control': 'max-age=300' }, body: metadata.document }));
  }
  http.route('POST', '/v1/introspect', async (request) => {
    const form = new URLSearchParams(request.rawBody.toString('utf8'));
    // Each jwt issuer has its own client id and secret; the first that accepts the caller answers.
    let last: { status: number; body: unknown; headers?: Record<string, string> } = { status: 401, body: { error: 'invalid_client' } };
    for (const issuer of routed) {
      last = await issuer.introspect(request.headers.authorization, form);
      if (last.status !== 401) break;
    }
    return { status: last.status, body: last.body as object, ...(last.headers ? { headers: last.headers } : {}) };
  });
}
