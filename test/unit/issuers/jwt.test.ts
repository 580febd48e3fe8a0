import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IssuerError, type GrantContext, type IssuerEnvironment } from '../../../src/core/ports/issuer.js';
import { authorizationServerMetadata } from '../../../src/issuers/jwt/authorization-server-metadata.js';
import {
  createJwtIssuer,
  isJwtIssuer,
  jwtIssuerFactory,
  JwtParamsSchema,
  JwtSettingsSchema,
  type JwtIssuer,
  type JwtIssuerOptions,
} from '../../../src/issuers/jwt/jwt-issuer.js';
import { noneIssuerFactory } from '../../../src/issuers/none/none-issuer.js';
import { bindIssuer, buildIssuer, builtinIssuerFactories } from '../../../src/issuers/registry.js';
import { formatTimestamp } from '../../../src/core/domain/timestamp.js';

const SECRET = 'introspection-secret-0123456789';
const BEARER = `Bearer ${SECRET}`;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The core's view of grants: live until ended. Shared by every "process" in a test. */
class FakeGrantStore {
  readonly ended = new Set<string>();
  failing = false;
  readonly env = (dataDir: string): IssuerEnvironment => ({
    dataDir,
    grantIsLive: async (grantId) => {
      if (this.failing) throw new Error('redis: connection refused');
      return !this.ended.has(grantId);
    },
  });
}

let dataDir: string;
let now: number;
let store: FakeGrantStore;
let sequence = 0;
const options: JwtIssuerOptions = { now: () => now };

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'jitbot-jwt-'));
  now = Date.UTC(2026, 10, 28, 9, 0, 0, 500);
  store = new FakeGrantStore();
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function grant(overrides: Partial<GrantContext> = {}): GrantContext {
  sequence += 1;
  return {
    grantId: `JIT-${sequence}`,
    person: { name: 'alice', email: 'alice@example.com' },
    resource: 'prod-deploy',
    params: {},
    window: { start: now, end: now + HOUR },
    reason: 'INC-7',
    approvers: ['bob'],
    ...overrides,
  };
}

async function issuerIn(dir = dataDir, settings: Record<string, unknown> = {}, name = 'tokens'): Promise<JwtIssuer> {
  return createJwtIssuer(name, JwtSettingsSchema.parse({ introspectionToken: SECRET, ...settings }), store.env(dir), options);
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function introspect(issuer: JwtIssuer, token: string, authorization: string | undefined = BEARER) {
  return issuer.introspect(authorization, new URLSearchParams({ token }));
}

async function activeOf(issuer: JwtIssuer, token: string): Promise<boolean> {
  const answer = await introspect(issuer, token);
  expect(answer.status).toBe(200);
  return (answer.body as { active: boolean }).active;
}

function tokenOf(result: { secret?: { value: string } }): string {
  if (!result.secret) throw new Error('no token issued');
  return result.secret.value;
}

describe('jwt issuer: tokens', () => {
  it('signs an ES256 token that verifies with the JWKS and carries the grant as claims', async () => {
    const issuer = await issuerIn(dataDir, { issuer: 'https://jitbot.example.com' });
    const g = grant({ params: { claims: { team: 'platform', level: 3, breakGlass: false, scopes: ['deploy', 'read'] } } });
    const result = await issuer.issue(g);
    const token = tokenOf(result);
    expect(result.secret?.label).toBe('JWT');

    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(await issuer.jwksDocument()), {
      algorithms: ['ES256'],
      issuer: 'https://jitbot.example.com',
      audience: 'prod-deploy',
      currentDate: new Date(now),
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(payload).toEqual({
      iss: 'https://jitbot.example.com',
      sub: 'alice',
      aud: 'prod-deploy',
      jti: g.grantId,
      nbf: Math.floor(g.window.start / 1000),
      exp: Math.floor(g.window.end / 1000),
      iat: Math.floor(now / 1000),
      team: 'platform',
      level: 3,
      breakGlass: false,
      scopes: ['deploy', 'read'],
    });
    const { keys } = await issuer.jwksDocument();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: protectedHeader.kid });
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('reports a receipt with the kid, jti and the token hash, never the token', async () => {
    const issuer = await issuerIn();
    const g = grant();
    const result = await issuer.issue(g);
    const token = tokenOf(result);
    const kid = decodeProtectedHeader(token).kid;
    const sha = createHash('sha256').update(token).digest('hex');
    expect(result.receipt).toEqual({
      summary: `a signed JWT (ES256) valid until ${formatTimestamp(Math.floor(g.window.end / 1000) * 1000)}`,
      details: { kid, jti: g.grantId, 'token sha256': sha },
      revokeState: { kid, tokenSha256: sha, exp: Math.floor(g.window.end / 1000) },
    });
    expect(JSON.stringify(result.receipt)).not.toContain(token.split('.')[2]);
  });

  it('uses settings.audience instead of the resource when set', async () => {
    const issuer = await issuerIn(dataDir, { audience: 'deploy-api' });
    const token = tokenOf(await issuer.issue(grant()));
    expect(decodeJwt(token).aud).toBe('deploy-api');
    expect((await introspect(issuer, token)).body).toMatchObject({ active: true, aud: 'deploy-api' });
  });

  it('is idempotent: the same grant twice gives two valid tokens with the same jti', async () => {
    const issuer = await issuerIn();
    const g = grant();
    const first = tokenOf(await issuer.issue(g));
    now += 2_000;
    const second = tokenOf(await issuer.issue(g));
    expect(second).not.toBe(first);
    expect(decodeJwt(first).jti).toBe(g.grantId);
    expect(decodeJwt(second).jti).toBe(g.grantId);
    expect(await activeOf(issuer, first)).toBe(true);
    expect(await activeOf(issuer, second)).toBe(true);
  });

  it('refuses invalid params at issue time with a non-retryable IssuerError', async () => {
    // Bound by the registry, as the core gets it: params arrive as the policy holds them.
    const issuer = bindIssuer(jwtIssuerFactory, 'tokens', await issuerIn());
    const error = await issuer.issue(grant({ params: { claims: { exp: 1 } } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IssuerError);
    expect((error as IssuerError).retryable).toBe(false);
    expect((error as IssuerError).message).toContain('claims.exp');
  });

  it('verify: true while live, false after revoke, after exp, or once the grant is no longer live', async () => {
    const issuer = await issuerIn();
    const g = grant();
    const { receipt } = await issuer.issue(g);
    expect(await issuer.verify(g, receipt)).toBe(true);
    await issuer.revoke(g, receipt);
    expect(await issuer.verify(g, receipt)).toBe(false);

    const h = grant();
    const second = await issuer.issue(h);
    store.ended.add(h.grantId);
    expect(await issuer.verify(h, second.receipt)).toBe(false);

    const k = grant();
    const third = await issuer.issue(k);
    now = k.window.end;
    expect(await issuer.verify(k, third.receipt)).toBe(false);
  });

  it('keeps the introspection secret out of logs and JSON of the issuer object', async () => {
    const issuer = await issuerIn();
    expect(JSON.stringify(issuer)).not.toContain(SECRET);
    expect(inspect(issuer, { depth: 5, showHidden: true })).not.toContain(SECRET);
  });
});

describe('jwt issuer: keys', () => {
  it('makes keys once and keeps them in <dataDir>/jwt/<name>/keys.json, mode 0600', async () => {
    const first = await issuerIn();
    const token = tokenOf(await first.issue(grant()));
    const file = path.join(dataDir, 'jwt', 'tokens', 'keys.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);

    const second = await issuerIn();
    expect(await second.jwksDocument()).toEqual(await first.jwksDocument());
    expect(await activeOf(second, token)).toBe(true);
    expect(decodeProtectedHeader(tokenOf(await second.issue(grant()))).kid).toBe(decodeProtectedHeader(token).kid);
  });

  it('two processes starting at once agree on one key', async () => {
    const issuers = await Promise.all([issuerIn(), issuerIn(), issuerIn()]);
    const kids = await Promise.all(issuers.map(async (i) => (await i.jwksDocument()).keys.map((k) => k.kid)));
    expect(new Set(kids.flat()).size).toBe(1);
  });

  it('keeps a separate key per issuer name', async () => {
    const a = await issuerIn(dataDir, {}, 'a');
    const b = await issuerIn(dataDir, {}, 'b');
    expect((await a.jwksDocument()).keys[0]?.kid).not.toBe((await b.jwksDocument()).keys[0]?.kid);
    expect(await activeOf(b, tokenOf(await a.issue(grant())))).toBe(false);
  });

  it('rotation keeps the old key published while its tokens live, then drops it', async () => {
    const issuer = await issuerIn();
    const web = await issuerIn(); // another process on the same data directory
    const before = tokenOf(await issuer.issue(grant({ window: { start: now, end: now + 2 * HOUR } })));
    const oldKid = decodeProtectedHeader(before).kid;

    const rotation = await issuer.rotateKey();
    expect(rotation.previous).toEqual({ kid: oldKid, retireAfter: (Math.floor((now + 2 * HOUR) / 1000)) * 1000 });
    const after = tokenOf(await issuer.issue(grant()));
    expect(decodeProtectedHeader(after).kid).toBe(rotation.kid);
    expect(rotation.kid).not.toBe(oldKid);

    for (const instance of [issuer, web]) {
      const jwks = await instance.jwksDocument();
      expect(jwks.keys.map((k) => k.kid).sort()).toEqual([oldKid, rotation.kid].sort());
      await expect(jwtVerify(before, createLocalJWKSet(jwks), { currentDate: new Date(now) })).resolves.toBeDefined();
      expect(await activeOf(instance, before)).toBe(true);
      expect(await activeOf(instance, after)).toBe(true);
    }

    now += 2 * HOUR; // the old key's last token has expired
    expect((await web.jwksDocument()).keys.map((k) => k.kid)).toEqual([rotation.kid]);
    await issuer.rotateKey(); // rewrites the file without the expired key
    const stored = JSON.parse(await readFile(path.join(dataDir, 'jwt', 'tokens', 'keys.json'), 'utf8')) as { keys: { kid: string }[] };
    expect(stored.keys.map((k) => k.kid)).not.toContain(oldKid);
  });

  it('a key that signed nothing is dropped at rotation', async () => {
    const issuer = await issuerIn();
    const [first] = (await issuer.jwksDocument()).keys;
    const rotation = await issuer.rotateKey();
    expect((await issuer.jwksDocument()).keys.map((k) => k.kid)).toEqual([rotation.kid]);
    expect(first?.kid).not.toBe(rotation.kid);
  });

  it('a lock held by another process makes rotation a retryable failure; a lock left by a crash is cleared', async () => {
    const issuer = await createJwtIssuer('tokens', JwtSettingsSchema.parse({ introspectionToken: SECRET }), store.env(dataDir), { ...options, lockTimeoutMs: 100 });
    const lock = path.join(dataDir, 'jwt', 'tokens', 'keys.json.lock');
    await writeFile(lock, '424242\n');
    const error = await issuer.rotateKey().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IssuerError);
    expect((error as IssuerError).retryable).toBe(true);
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(lock, longAgo, longAgo);
    await expect(issuer.rotateKey()).resolves.toMatchObject({ kid: expect.any(String) });
    await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a damaged key file fails issuing with a non-retryable error that shows no key material', async () => {
    const issuer = await issuerIn();
    const file = path.join(dataDir, 'jwt', 'tokens', 'keys.json');
    const content = JSON.parse(await readFile(file, 'utf8')) as { keys: { privateJwk: { d: string; crv: string } }[] };
    const secretScalar = content.keys[0]!.privateJwk.d;
    content.keys[0]!.privateJwk.crv = 'P-384';
    await writeFile(file, JSON.stringify(content));
    const error = await issuer.issue(grant()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IssuerError);
    expect((error as IssuerError).retryable).toBe(false);
    expect((error as IssuerError).message).not.toContain(secretScalar);
    await expect(issuerIn()).rejects.toBeInstanceOf(IssuerError);
  });

  describe('keyFile', () => {
    const pemOf = (namedCurve: string) =>
      generateKeyPairSync('ec', { namedCurve }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

    it('signs with the PEM key, publishes its public half, and makes no keys of its own', async () => {
      const keyFile = path.join(dataDir, 'signing.pem');
      await writeFile(keyFile, pemOf('prime256v1'), { mode: 0o600 });
      const issuer = await issuerIn(dataDir, { keyFile });
      const again = await issuerIn(dataDir, { keyFile });
      const token = tokenOf(await issuer.issue(grant()));
      const jwks = await issuer.jwksDocument();
      expect(jwks.keys).toHaveLength(1);
      expect(await again.jwksDocument()).toEqual(jwks);
      await expect(jwtVerify(token, createLocalJWKSet(jwks), { currentDate: new Date(now) })).resolves.toBeDefined();
      await expect(stat(path.join(dataDir, 'jwt'))).rejects.toMatchObject({ code: 'ENOENT' });
      const error = await issuer.rotateKey().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IssuerError);
      expect((error as IssuerError).retryable).toBe(false);
    });

    it('refuses a key on another curve, and a missing file, naming the file', async () => {
      const keyFile = path.join(dataDir, 'p384.pem');
      await writeFile(keyFile, pemOf('secp384r1'));
      await expect(issuerIn(dataDir, { keyFile })).rejects.toThrow(/p384\.pem is not a PEM PKCS8 EC P-256 private key/);
      await expect(issuerIn(dataDir, { keyFile: path.join(dataDir, 'absent.pem') })).rejects.toThrow(/cannot read keyFile .*absent\.pem/);
    });
  });
});

describe('jwt issuer: introspection (RFC 7662)', () => {
  it('answers 401 with WWW-Authenticate when the bearer secret is missing or wrong', async () => {
    const issuer = await issuerIn();
    const token = tokenOf(await issuer.issue(grant()));
    for (const header of [undefined, '']) {
      expect(await issuer.introspect(header, new URLSearchParams({ token }))).toMatchObject({
        status: 401,
        headers: { 'WWW-Authenticate': 'Basic realm="jitbot", Bearer realm="jitbot"', 'Cache-Control': 'no-store' },
        body: { error: 'invalid_client' },
      });
    }
    for (const header of [`Bearer ${SECRET}x`, `Bearer ${SECRET.slice(0, -1)}`, 'Bearer', `Bearer ${SECRET} extra`]) {
      const answer = await introspect(issuer, token, header);
      expect({ header, status: answer.status, challenge: answer.headers['WWW-Authenticate'], body: answer.body }).toEqual({
        header,
        status: 401,
        challenge: 'Bearer realm="jitbot", error="invalid_token"',
        body: { error: 'invalid_token', error_description: expect.any(String) },
      });
    }
    expect((await introspect(issuer, token, `Token ${SECRET}`)).headers['WWW-Authenticate']).toBe('Basic realm="jitbot", Bearer realm="jitbot"');
    expect((await introspect(issuer, token, `bearer ${SECRET}`)).status).toBe(200);
    expect(issuer.acceptsBearer(BEARER)).toBe(true);
    expect(issuer.acceptsBearer(undefined)).toBe(false);
    expect(issuer.acceptsBearer(basic('tokens', SECRET))).toBe(false);
  });

  it('accepts RFC 6749 client authentication: client_secret_basic and client_secret_post, client id = the issuer name by default', async () => {
    const issuer = await issuerIn();
    const token = tokenOf(await issuer.issue(grant()));
    expect(issuer.introspectionClientId).toBe('tokens');
    expect(await issuer.introspect(basic('tokens', SECRET), new URLSearchParams({ token }))).toMatchObject({ status: 200, body: { active: true } });
    expect(await issuer.introspect(undefined, new URLSearchParams({ token, client_id: 'tokens', client_secret: SECRET }))).toMatchObject({ status: 200, body: { active: true } });
    // A client id and secret are form-urlencoded inside Basic (RFC 6749 Appendix B).
    const named = await issuerIn(dataDir, { introspectionClientId: 'deploy gate:1' }, 'named');
    const namedToken = tokenOf(await named.issue(grant()));
    const encoded = `Basic ${Buffer.from(`${encodeURIComponent('deploy gate:1')}:${encodeURIComponent(SECRET)}`).toString('base64')}`;
    expect(await named.introspect(encoded, new URLSearchParams({ token: namedToken }))).toMatchObject({ status: 200, body: { active: true } });
    expect(await named.introspect(basic('named', SECRET), new URLSearchParams({ token: namedToken }))).toMatchObject({ status: 401 });

    const refusedBasic = { status: 401, headers: { 'WWW-Authenticate': 'Basic realm="jitbot"' }, body: { error: 'invalid_client' } };
    for (const header of [basic('tokens', `${SECRET}x`), basic('other', SECRET), `Basic ${SECRET}`, 'Basic !!!', `Basic ${Buffer.from(SECRET).toString('base64')}`, basic('', SECRET)]) {
      const answer = await issuer.introspect(header, new URLSearchParams({ token }));
      expect(answer, header).toMatchObject(refusedBasic);
      expect(JSON.stringify(answer.body)).not.toContain('"active"');
    }
    for (const form of [{ client_id: 'tokens', client_secret: 'wrong-secret-0123456789' }, { client_id: 'other', client_secret: SECRET }, { client_secret: SECRET }] as Record<string, string>[]) {
      expect(await issuer.introspect(undefined, new URLSearchParams({ token, ...form }))).toMatchObject(refusedBasic);
    }
    // One method per request (RFC 6749 §2.3).
    expect(await issuer.introspect(basic('tokens', SECRET), new URLSearchParams({ token, client_id: 'tokens', client_secret: SECRET }))).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await issuer.introspect(BEARER, new URLSearchParams({ token, client_id: 'tokens', client_secret: SECRET }))).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  it('describes itself in RFC 8414 metadata when its issuer is an https URL (http on loopback), at the path RFC 8414 derives', () => {
    expect(authorizationServerMetadata('https://jitbot.example.com')).toEqual({
      path: '/.well-known/oauth-authorization-server',
      document: {
        issuer: 'https://jitbot.example.com',
        jwks_uri: 'https://jitbot.example.com/.well-known/jwks.json',
        introspection_endpoint: 'https://jitbot.example.com/v1/introspect',
        introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        response_types_supported: [],
        grant_types_supported: [],
      },
    });
    expect(authorizationServerMetadata('https://jitbot.example.com/')?.document.issuer).toBe('https://jitbot.example.com/');
    expect(authorizationServerMetadata('https://jitbot.example.com/tokens/')).toMatchObject({
      path: '/.well-known/oauth-authorization-server/tokens',
      document: { issuer: 'https://jitbot.example.com/tokens/', introspection_endpoint: 'https://jitbot.example.com/v1/introspect' },
    });
    expect(authorizationServerMetadata('http://127.0.0.1:8080')?.document.jwks_uri).toBe('http://127.0.0.1:8080/.well-known/jwks.json');
    for (const notAnIssuerUrl of ['jitbot', 'http://jitbot.example.com', 'https://jitbot.example.com/?x=1', 'https://u:p@jitbot.example.com', 'ftp://jitbot.example.com']) {
      expect(authorizationServerMetadata(notAnIssuerUrl), notAnIssuerUrl).toBeUndefined();
    }
  });

  it('answers 400 invalid_request without a token', async () => {
    const issuer = await issuerIn();
    expect(await issuer.introspect(BEARER, new URLSearchParams())).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await issuer.introspect(BEARER, new URLSearchParams({ token: '' }))).toMatchObject({ status: 400 });
  });

  it('answers active with the claims for a valid token, and no-store', async () => {
    const issuer = await issuerIn();
    const g = grant({ params: { claims: { team: 'platform' } } });
    const token = tokenOf(await issuer.issue(g));
    const answer = await introspect(issuer, token);
    expect(answer.status).toBe(200);
    expect(answer.headers['Cache-Control']).toBe('no-store');
    expect(answer.body).toEqual({
      active: true,
      token_type: 'Bearer',
      iss: 'jitbot',
      sub: 'alice',
      aud: 'prod-deploy',
      jti: g.grantId,
      nbf: Math.floor(g.window.start / 1000),
      exp: Math.floor(g.window.end / 1000),
      iat: Math.floor(now / 1000),
      team: 'platform',
    });
    const hinted = await issuer.introspect(BEARER, new URLSearchParams({ token, token_type_hint: 'access_token' }));
    expect((hinted.body as { active: boolean }).active).toBe(true);
  });

  it('answers inactive after revoke, and revoking twice or revoking the unknown succeeds', async () => {
    const issuer = await issuerIn();
    const g = grant();
    const result = await issuer.issue(g);
    await issuer.revoke(g, result.receipt);
    await issuer.revoke(g, result.receipt);
    await issuer.revoke(grant(), undefined);
    expect(await introspect(issuer, tokenOf(result))).toEqual({ status: 200, headers: { 'Cache-Control': 'no-store' }, body: { active: false } });
  });

  it('answers inactive when the core says the grant is no longer live (another process, or after a restart)', async () => {
    const worker = await issuerIn();
    const web = await issuerIn();
    const g = grant();
    const result = await worker.issue(g);
    await worker.revoke(g, result.receipt); // the worker's own cache knows at once…
    expect(await activeOf(worker, tokenOf(result))).toBe(false);
    expect(await activeOf(web, tokenOf(result))).toBe(true); // …the web process asks the store,
    store.ended.add(g.grantId); // which turns false when the core ends the grant
    expect(await activeOf(web, tokenOf(result))).toBe(false);
    const restarted = await issuerIn();
    expect(await activeOf(restarted, tokenOf(result))).toBe(false);
  });

  it('answers inactive for expired and not-yet-valid tokens', async () => {
    const issuer = await issuerIn();
    const g = grant({ window: { start: now, end: now + 10 * MINUTE } });
    const token = tokenOf(await issuer.issue(g));
    now = g.window.end - 1_000;
    expect(await activeOf(issuer, token)).toBe(true);
    now = g.window.end;
    expect(await activeOf(issuer, token)).toBe(false);

    now = Date.UTC(2026, 10, 28, 9, 0, 0);
    const later = tokenOf(await issuer.issue(grant({ window: { start: now + HOUR, end: now + 2 * HOUR } })));
    expect(await activeOf(issuer, later)).toBe(false);
  });

  it('answers inactive for tokens that are not ours: another key, another iss, no signature, garbage', async () => {
    const issuer = await issuerIn();
    const otherDir = await mkdtemp(path.join(tmpdir(), 'jitbot-jwt-other-'));
    try {
      const stranger = await issuerIn(otherDir); // same name, same iss, its own key
      const g = grant();
      const foreign = tokenOf(await stranger.issue(g));
      expect(await activeOf(stranger, foreign)).toBe(true);
      expect(await activeOf(issuer, foreign)).toBe(false);

      // Our own key, but another `iss`.
      const otherIss = await issuerIn(dataDir, { issuer: 'someone-else' });
      expect(await activeOf(issuer, tokenOf(await otherIss.issue(grant())))).toBe(false);

      const claims = decodeJwt(tokenOf(await issuer.issue(grant())));
      const unsigned = new UnsecuredJWT(claims).encode();
      expect(await activeOf(issuer, unsigned)).toBe(false);
      const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
      expect(await activeOf(issuer, hmac)).toBe(false);
      for (const garbage of ['garbage', 'a.b.c', '..', 'x'.repeat(20_000), `${tokenOf(await issuer.issue(grant()))}x`]) {
        expect(await activeOf(issuer, garbage), garbage.slice(0, 20)).toBe(false);
      }
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('answers 503 when the grant store cannot be asked, rather than guessing', async () => {
    const issuer = await issuerIn();
    const token = tokenOf(await issuer.issue(grant()));
    store.failing = true;
    expect(await introspect(issuer, token)).toMatchObject({ status: 503, body: { error: 'temporarily_unavailable' } });
    const g = grant();
    const error = await issuer.verify(g, (await issuer.issue(g)).receipt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IssuerError);
    expect((error as IssuerError).retryable).toBe(true);
  });
});

describe('jwt issuer: schemas and registration', () => {
  it('params: claims of strings, numbers, booleans and string lists; nothing else', () => {
    expect(JwtParamsSchema.parse({})).toEqual({});
    expect(JwtParamsSchema.parse({ claims: { a: 'x', b: 1, c: true, d: ['x', 'y'] } })).toEqual({ claims: { a: 'x', b: 1, c: true, d: ['x', 'y'] } });
    expect(JwtParamsSchema.safeParse({ claims: { a: { nested: 1 } } }).success).toBe(false);
    expect(JwtParamsSchema.safeParse({ claims: { a: [1, 2] } }).success).toBe(false);
    expect(JwtParamsSchema.safeParse({ claim: {} }).success).toBe(false);
  });

  it.each(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'active', 'token_type'])('params: the reserved claim %s cannot be overridden', (claim) => {
    const result = JwtParamsSchema.safeParse({ claims: { team: 'x', [claim]: 'mine' } });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([expect.objectContaining({ path: ['claims', claim], message: expect.stringContaining(`"${claim}" is set by jitbot`) })]);
  });

  it('settings: introspectionToken of at least 16 characters, issuer defaulting to jitbot, nothing unknown', () => {
    expect(JwtSettingsSchema.parse({ introspectionToken: SECRET })).toEqual({ issuer: 'jitbot', introspectionToken: SECRET });
    const short = JwtSettingsSchema.safeParse({ introspectionToken: 'too-short' });
    expect(short.error?.issues).toEqual([
      expect.objectContaining({ path: ['introspectionToken'], message: 'the introspection token must be at least 16 characters long' }),
    ]);
    expect(JwtSettingsSchema.safeParse({}).error?.issues[0]?.path).toEqual(['introspectionToken']);
    expect(JwtSettingsSchema.safeParse({ introspectionToken: SECRET, keyfile: 'x' }).success).toBe(false);
    expect(JwtSettingsSchema.safeParse({ introspectionToken: SECRET, issuer: '' }).success).toBe(false);
  });

  it('the registry refuses invalid jwt settings with a non-retryable error', async () => {
    await expect(buildIssuer(jwtIssuerFactory, 'tokens', { introspectionToken: 'short' }, store.env(dataDir))).rejects.toMatchObject({
      name: 'IssuerError',
      retryable: false,
    });
  });

  it('is registered as type jwt, and the guard tells jwt issuers apart', async () => {
    expect(builtinIssuerFactories().get('jwt')).toBe(jwtIssuerFactory);
    const issuer = await jwtIssuerFactory.create('tokens', JwtSettingsSchema.parse({ introspectionToken: SECRET }), store.env(dataDir));
    expect(issuer.type).toBe('jwt');
    expect(isJwtIssuer(issuer)).toBe(true);
    expect(isJwtIssuer(await noneIssuerFactory.create('gate', {}, store.env(dataDir)))).toBe(false);
    expect(isJwtIssuer(undefined)).toBe(false);
  });
});
