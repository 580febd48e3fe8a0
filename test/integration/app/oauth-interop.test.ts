import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JitbotApp } from '../../../src/app/build-app.js';
import { PolicySchema } from '../../../src/core/policy/policy-schema.js';
import { freePort } from '../../../src/store/redis/redis-server-process.js';
import type { RecordingNotifier } from '../../fakes/recording-notifier.js';
import { person, startEngine, waitFor, type Engine } from '../../support/engine.js';
import { uniquePrefix } from '../../support/redis.js';

// A resource server written with panva's openid-client, as third parties write them: it discovers
// jitbot through RFC 8414 metadata and introspects tokens with the library's defaults. Against the
// real HTTP server of a running app.

const SECRET = 'interop-introspection-secret-0123456789';

let engine: Engine;
let app: JitbotApp;
let notifier: RecordingNotifier;
let issuerUrl: string;

beforeAll(async () => {
  const port = await freePort();
  issuerUrl = `http://127.0.0.1:${port}`;
  const policy = PolicySchema.parse({
    version: 1,
    settings: { minDuration: '1s', reminderBefore: '1s' },
    people: { alice: {}, bob: {} },
    groups: { sre: ['bob'] },
    admins: ['group:sre'],
    issuers: {
      tokens: { type: 'jwt', issuer: issuerUrl, introspectionToken: SECRET },
      partner: { type: 'jwt', issuer: `${issuerUrl}/partner`, introspectionToken: `${SECRET}-partner`, introspectionClientId: 'partner-api' },
    },
    resources: {
      deploy: { issuer: 'tokens', approvers: ['group:sre'], maxDuration: '1h', reason: 'optional' },
      partner: { issuer: 'partner', approvers: ['group:sre'], maxDuration: '1h', reason: 'optional' },
    },
  });
  engine = await startEngine({ policy, prefix: uniquePrefix('oauth'), web: { host: '127.0.0.1', port } });
  ({ app, notifier } = engine);
}, 30_000);

afterAll(async () => engine?.stop());

async function liveToken(resource: string): Promise<{ id: string; token: string }> {
  const { request: r } = await app.core.requestAccess({ actor: person('alice'), resource, duration: '30m', reason: 'interop' });
  await app.core.approve(person('bob'), r.id);
  const dm = await waitFor('token DM', () => notifier.dmsTo('alice', 'active').find((d) => d.message.requestId === r.id && d.message.secret));
  return { id: r.id, token: dm.message.secret!.value };
}

/** How a resource server configures openid-client: discovery of an OAuth 2.0 (RFC 8414) server. */
function discover(server: string, clientId: string, secret: string, auth?: oauth.ClientAuth) {
  return oauth.discovery(new URL(server), clientId, secret, auth, { algorithm: 'oauth2', execute: [oauth.allowInsecureRequests] });
}

describe('openid-client against jitbot', () => {
  it('discovers the introspection endpoint and JWKS; tokenIntrospection with its defaults says active, then inactive after a revoke', async () => {
    const config = await discover(issuerUrl, 'tokens', SECRET);
    const metadata = config.serverMetadata();
    expect(metadata).toMatchObject({
      issuer: issuerUrl,
      introspection_endpoint: `${issuerUrl}/v1/introspect`,
      jwks_uri: `${issuerUrl}/.well-known/jwks.json`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });

    const { id, token } = await liveToken('deploy');
    // The JWKS the metadata names verifies the token, whose iss is the metadata's issuer.
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(metadata.jwks_uri!)), { issuer: metadata.issuer, audience: 'deploy' });
    expect(payload.jti).toBe(id);

    expect(await oauth.tokenIntrospection(config, token)).toMatchObject({ active: true, sub: 'alice', jti: id, iss: issuerUrl, token_type: 'Bearer' });
    const basic = await discover(issuerUrl, 'tokens', SECRET, oauth.ClientSecretBasic(SECRET));
    expect(await oauth.tokenIntrospection(basic, token)).toMatchObject({ active: true, jti: id });

    await app.core.revoke(person('bob'), id, 'interop check');
    await waitFor('revoked', async () => (await app.store.get(id))?.status === 'revoked');
    expect(await oauth.tokenIntrospection(config, token)).toEqual({ active: false });
    expect(await oauth.tokenIntrospection(basic, token)).toEqual({ active: false });
  });

  it('a wrong client secret is an invalid_client error openid-client reports, by either method', async () => {
    const { token } = await liveToken('deploy');
    for (const auth of [undefined, oauth.ClientSecretBasic('not-the-introspection-secret')]) {
      const config = await discover(issuerUrl, 'tokens', 'not-the-introspection-secret', auth);
      const error = await oauth.tokenIntrospection(config, token).then(
        () => undefined,
        (e: unknown) => e,
      );
      // openid-client reads the 401's challenge first, then the RFC 6749 §5.2 body is there to read.
      expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
      const challenge = error as oauth.WWWAuthenticateChallengeError;
      expect(challenge.status).toBe(401);
      expect(challenge.cause).toEqual([expect.objectContaining({ scheme: 'basic', parameters: { realm: 'jitbot' } })]);
      expect(await challenge.response.json()).toMatchObject({ error: 'invalid_client' });
    }
  });

  it('a second jwt issuer with a path in its URL has its own metadata (RFC 8414 §3.1) and its own client id', async () => {
    const config = await discover(`${issuerUrl}/partner`, 'partner-api', `${SECRET}-partner`, oauth.ClientSecretBasic(`${SECRET}-partner`));
    expect(config.serverMetadata()).toMatchObject({ issuer: `${issuerUrl}/partner`, introspection_endpoint: `${issuerUrl}/v1/introspect` });
    const { id, token } = await liveToken('partner');
    expect(await oauth.tokenIntrospection(config, token)).toMatchObject({ active: true, jti: id, iss: `${issuerUrl}/partner` });
    // One issuer's client cannot introspect as the other.
    const tokens = await discover(issuerUrl, 'tokens', `${SECRET}-partner`);
    await expect(oauth.tokenIntrospection(tokens, token)).rejects.toMatchObject({ status: 401, cause: [expect.objectContaining({ scheme: 'basic' })] });
  });
});
