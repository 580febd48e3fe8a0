import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OidcKeysCoolingDown, OidcRejection, OidcUnavailable, OidcVerifier } from '../../../src/pipelines/oidc-verifier.js';
import type { OidcProviderConfig } from '../../../src/config/pipeline-config.js';
import { FakeOidc } from '../../fakes/fake-oidc.js';

const AUDIENCE = 'https://jitbot.test';
let github: FakeOidc;
let gitlab: FakeOidc;

beforeAll(async () => {
  github = await new FakeOidc({ kind: 'github' }).start();
  gitlab = await new FakeOidc({ kind: 'gitlab' }).start();
});
afterAll(async () => {
  await github?.stop();
  await gitlab?.stop();
});

function provider(fake: FakeOidc, overrides: Partial<OidcProviderConfig> = {}): OidcProviderConfig {
  return { provider: fake === github ? 'github' : 'gitlab', issuer: fake.issuer, jwksUrl: undefined, maxTokenAgeMs: 600_000, serverUrl: 'https://github.com', ...overrides };
}

describe('OIDC ID token verification', () => {
  it('discovers each issuer once, verifies tokens of both providers, and tells them apart', async () => {
    const verifier = new OidcVerifier({ audience: AUDIENCE, providers: [provider(github), provider(gitlab)] });
    const before = github.discoveryFetches;
    const a = await verifier.verify(await github.sign(FakeOidc.githubClaims(), { audience: AUDIENCE }), 'create');
    const b = await verifier.verify(await github.sign(FakeOidc.githubClaims(), { audience: AUDIENCE }), 'create');
    expect(a.provider.provider).toBe('github');
    expect(b.claims.repository).toBe('acme/app');
    expect(github.discoveryFetches - before).toBe(1);
    const c = await verifier.verify(await gitlab.sign(FakeOidc.gitlabClaims(), { audience: AUDIENCE }), 'create');
    expect(c.provider.provider).toBe('gitlab');
    expect(c.claims.project_path).toBe('acme/infra');
  });

  it('refuses a token lacking the run identity its provider always sends', async () => {
    const verifier = new OidcVerifier({ audience: AUDIENCE, providers: [provider(github)] });
    const { run_id: _dropped, ...claims } = FakeOidc.githubClaims();
    await expect(verifier.verify(await github.sign(claims, { audience: AUDIENCE }), 'create')).rejects.toMatchObject({ reason: 'missing_claim' });
  });

  it('refuses a token issued in the future even where age is not checked', async () => {
    const verifier = new OidcVerifier({ audience: AUDIENCE, providers: [provider(github)] });
    const future = await github.sign(FakeOidc.githubClaims(), { audience: AUDIENCE, iat: Math.floor(Date.now() / 1000) + 600 });
    await expect(verifier.verify(future, 'use')).rejects.toBeInstanceOf(OidcRejection);
  });

  it('uses a configured JWKS without discovery', async () => {
    const verifier = new OidcVerifier({ audience: AUDIENCE, providers: [provider(gitlab, { jwksUrl: gitlab.jwksUrl })] });
    const before = gitlab.discoveryFetches;
    await verifier.verify(await gitlab.sign(FakeOidc.gitlabClaims(), { audience: AUDIENCE }), 'use');
    expect(gitlab.discoveryFetches).toBe(before);
  });

  it('says "unavailable", not "invalid", when the issuer cannot be reached or lies about itself', async () => {
    const token = await github.sign(FakeOidc.githubClaims(), { audience: AUDIENCE });
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const down = new OidcVerifier({ audience: AUDIENCE, providers: [provider(github, { jwksUrl: `http://127.0.0.1:${port}/jwks` })] });
    await expect(down.verify(token, 'create')).rejects.toBeInstanceOf(OidcUnavailable);

    // Discovery that names another issuer is not trusted.
    const liar = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer: 'https://someone-else.example', jwks_uri: github.jwksUrl }));
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', () => resolve()));
    const liarIssuer = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`;
    const lied = new OidcVerifier({ audience: AUDIENCE, providers: [provider(github, { issuer: liarIssuer })] });
    await expect(lied.verify(await github.sign(FakeOidc.githubClaims(), { audience: AUDIENCE, issuer: liarIssuer }), 'create')).rejects.toThrow(/names issuer https:\/\/someone-else/);
    await new Promise<void>((resolve) => liar.close(() => resolve()));
  });

  it('compares the issuer exactly as configured: a trailing slash is part of it, and the refusal lists no issuers', async () => {
    const withSlash = new OidcVerifier({ audience: AUDIENCE, providers: [provider(github, { issuer: `${github.issuer}/`, jwksUrl: github.jwksUrl })] });
    const slashed = await github.sign(FakeOidc.githubClaims(), { audience: AUDIENCE, issuer: `${github.issuer}/` });
    expect((await withSlash.verify(slashed, 'create')).provider.issuer).toBe(`${github.issuer}/`);
    const bare = await github.sign(FakeOidc.githubClaims(), { audience: AUDIENCE });
    const refusal = await withSlash.verify(bare, 'create').catch((error: unknown) => error);
    expect(refusal).toMatchObject({ reason: 'wrong_issuer' });
    expect((refusal as Error).message).not.toContain(`${github.issuer}/`);
    const withoutSlash = new OidcVerifier({ audience: AUDIENCE, providers: [provider(github, { jwksUrl: github.jwksUrl })] });
    await expect(withoutSlash.verify(slashed, 'create')).rejects.toMatchObject({ reason: 'wrong_issuer' });
  });

  it('fetches the keys again for a key published after the last fetch; within the cooldown it says when to retry', async () => {
    const rotating = await new FakeOidc({ kind: 'github' }).start();
    try {
      const verifier = new OidcVerifier({ audience: AUDIENCE, providers: [provider(rotating, { provider: 'github', jwksCooldownMs: 3000 })] });
      await verifier.verify(await rotating.sign(FakeOidc.githubClaims(), { audience: AUDIENCE }), 'create');
      const fetches = rotating.jwksFetches;
      await rotating.addKey();
      const rotated = await rotating.sign(FakeOidc.githubClaims(), { audience: AUDIENCE });
      // Just fetched: not again yet, and not a refusal either.
      const early = await verifier.verify(rotated, 'create').catch((error: unknown) => error);
      expect(early).toBeInstanceOf(OidcKeysCoolingDown);
      const wait = (early as OidcKeysCoolingDown).retryAfterSeconds;
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(3);
      expect(rotating.jwksFetches).toBe(fetches);
      await new Promise((resolve) => setTimeout(resolve, wait * 1000 + 100));
      expect((await verifier.verify(rotated, 'create')).claims.repository).toBe('acme/app');
      expect(rotating.jwksFetches).toBe(fetches + 1);
      // A key id the issuer does not publish even after a fresh fetch is refused for good.
      await new Promise((resolve) => setTimeout(resolve, 3100));
      await expect(verifier.verify(await rotating.sign(FakeOidc.githubClaims(), { audience: AUDIENCE, kid: 'nobody-s-key' }), 'create')).rejects.toMatchObject({ reason: 'unknown_key' });
      expect(rotating.jwksFetches).toBe(fetches + 2);
    } finally {
      await rotating.stop();
    }
  });
});
