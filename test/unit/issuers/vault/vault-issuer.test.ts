import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IssuerError} from '../../../../src/core/ports/issuer.js';
import { type GrantContext } from '../../../../src/core/ports/issuer.js';
import { createVaultIssuer, VaultParamsSchema, VaultSettingsSchema, vaultIssuerFactory, type VaultIssuer, type VaultParams } from '../../../../src/issuers/vault/vault-issuer.js';
import { bindIssuer } from '../../../../src/issuers/registry.js';
import { contractGrant } from '../../../contract/issuer-contract.js';
import { FakeVault } from '../../../fakes/fake-vault.js';
import { MemoryIssuerState } from '../../../fakes/memory-issuer-state.js';

// One store for every issuer object in this file, as jitbot's Redis is for every process.
const sharedState = new MemoryIssuerState();

// The issuer gets params as the registry hands them over: parsed.
const grant = (minutes = 30): GrantContext<VaultParams> => {
  const start = Date.now();
  return { ...contractGrant({ window: { start, end: start + minutes * 60_000 } }), params: VaultParamsSchema.parse({ policies: ['deploy'] }) };
};

describe('vault issuer', () => {
  let vault: FakeVault;
  let dataDir: string;
  const make = (settings: Record<string, unknown> = {}): Promise<VaultIssuer> =>
    createVaultIssuer('vault', VaultSettingsSchema.parse({ address: vault.url, token: 'hvs.jitbot', timeoutMs: 1000, ...settings }), { dataDir, grantIsLive: async () => true, state: sharedState });

  beforeEach(async () => {
    vault = new FakeVault();
    vault.botTokens.set('hvs.jitbot', { sudo: true, namespace: '' });
    await vault.start();
    dataDir = mkdtempSync(path.join(tmpdir(), 'jitbot-vault-unit-'));
  });
  afterEach(async () => {
    await vault.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates an orphan token: policies, ttl = explicit_max_ttl = the window, not renewable, metadata naming the grant; only the accessor is kept', async () => {
    const issuer = await make();
    const g = grant(30);
    const result = await issuer.issue(g);
    const [token] = vault.liveForGrant(g.grantId);
    const create = JSON.parse(vault.server.requests('POST', /create-orphan$/)[0]!.rawBody) as Record<string, unknown>;
    expect(create).toMatchObject({ policies: ['deploy'], renewable: false, no_parent: true, type: 'service', display_name: `jit-${g.grantId}` });
    expect(create.ttl).toBe(create.explicit_max_ttl);
    expect(Number(String(create.ttl).replace('s', ''))).toBeGreaterThan(1790);
    expect(token!.meta).toMatchObject({ jitbot_grant: g.grantId, jitbot_issuer: 'vault', jitbot_person: 'alice', jitbot_resource: 'prod-deploy' });
    expect(result.secret).toEqual({ label: 'Vault token', value: token!.id });
    expect(result.receipt.revokeState).toEqual({ accessor: token!.accessor });
    expect(JSON.stringify(result.receipt)).not.toContain(token!.id);
    expect([...sharedState.values.values()].join('\n')).not.toContain(token!.id);
    expect(sharedState.values.size).toBeGreaterThan(0);
  });

  it('a create whose answer was lost leaves no second live token: the retry finds the lost one by its metadata and revokes it', async () => {
    const issuer = await make();
    const g = grant();
    vault.server.fault({ kind: 'lose-response', method: 'POST', path: /create-orphan$/ });
    await expect(issuer.issue(g)).rejects.toMatchObject({ retryable: true });
    expect(vault.liveForGrant(g.grantId)).toHaveLength(1); // made, but jitbot never saw it
    const result = await issuer.issue(g);
    const live = vault.liveForGrant(g.grantId);
    expect(live).toHaveLength(1);
    expect(live[0]!.accessor).toBe(result.receipt.revokeState.accessor);
    await issuer.revoke(g, result.receipt);
    expect(vault.liveForGrant(g.grantId)).toHaveLength(0);
  });

  it('without permission to list accessors, the retry says so in the receipt (that token still ends with the window)', async () => {
    vault.botTokens.set('hvs.jitbot', { sudo: false, namespace: '' });
    const issuer = await make();
    const g = grant();
    vault.server.fault({ kind: 'lose-response', method: 'POST', path: /create-orphan$/ });
    await expect(issuer.issue(g)).rejects.toMatchObject({ retryable: true });
    const result = await issuer.issue(g);
    expect(result.receipt.details.note).toMatch(/could not find/);
    expect(Math.max(...vault.liveForGrant(g.grantId).map((t) => t.expiresAt))).toBeLessThanOrEqual(g.window.end + 1000);
  });

  it('revoke by accessor is idempotent (the unknown accessor answers 200 with a warning) and verify uses lookup-accessor', async () => {
    const issuer = await make();
    const g = grant();
    const result = await issuer.issue(g);
    expect(await issuer.verify(g, result.receipt)).toBe(true);
    await issuer.revoke(g, result.receipt);
    await issuer.revoke(g, result.receipt);
    expect(vault.server.requests('POST', /revoke-accessor$/).map((r) => r.outcome)).toEqual([204, 200]);
    expect(await issuer.verify(g, result.receipt)).toBe(false);
  });

  it('an extension makes a new token for the new window and revokes the old one after', async () => {
    const issuer = await make();
    const g = grant(10);
    const first = await issuer.issue(g);
    const extended = await issuer.extend({ ...g, window: { start: g.window.start, end: g.window.end + 20 * 60_000 } }, first.receipt);
    expect(extended.secret!.value).not.toBe(first.secret!.value);
    const live = vault.liveForGrant(g.grantId);
    expect(live.map((t) => t.accessor)).toEqual([extended.receipt.revokeState.accessor]);
    expect(live[0]!.explicitMaxTtl).toBeGreaterThan(29 * 60);
  });

  it('sealed (503) and rate-limited (429 + Retry-After) are retryable; permission denied (403) is not', async () => {
    const issuer = await make();
    vault.sealed = true;
    await expect(issuer.issue(grant())).rejects.toMatchObject({ retryable: true, message: expect.stringMatching(/Vault is sealed/) });
    vault.sealed = false;
    vault.server.fault({ kind: 'status', reply: { status: 429, headers: { 'retry-after': '3' }, body: { errors: ['request path "auth/token/create-orphan": rate limit quota exceeded'] } } });
    await expect(issuer.issue(grant())).rejects.toMatchObject({ retryable: true, retryAfterMs: 3000 });
    vault.botTokens.clear();
    const denied = await issuer.issue(grant()).catch((e: unknown) => e as IssuerError);
    expect(denied).toMatchObject({ retryable: false, message: expect.stringMatching(/permission denied/) });
  });

  it('sends the namespace in X-Vault-Namespace; a token of another namespace is denied', async () => {
    vault.botTokens.set('hvs.jitbot', { sudo: true, namespace: 'team-a' });
    const issuer = await make({ namespace: 'team-a' });
    const result = await issuer.issue(grant());
    expect(result.receipt.details.namespace).toBe('team-a');
    expect(vault.server.log.every((r) => r.headers['x-vault-namespace'] === 'team-a')).toBe(true);
    const elsewhere = await make({ namespace: 'team-b' });
    await expect(elsewhere.issue(grant())).rejects.toMatchObject({ retryable: false });
  });

  it('reads its own token from tokenFile, and refuses bad params before calling Vault', async () => {
    const file = path.join(dataDir, 'vault-token');
    writeFileSync(file, 'hvs.jitbot\n');
    const issuer = await createVaultIssuer('vault', VaultSettingsSchema.parse({ address: vault.url, tokenFile: file }), { dataDir, grantIsLive: async () => true, state: sharedState });
    await issuer.issue(grant());
    const bound = bindIssuer(vaultIssuerFactory, 'vault', issuer);
    await expect(bound.issue(contractGrant({ params: { policies: ['x'], meta: { jitbot_grant: 'forged' } } }))).rejects.toMatchObject({ retryable: false });
    expect(vault.server.log).toHaveLength(1);
  });
});

describe('vault issuer over TLS', () => {
  let dir: string;
  let vault: FakeVault;

  beforeAll(async () => {
    // A private CA and a server certificate for "vault.internal" (not the address jitbot dials).
    dir = mkdtempSync(path.join(tmpdir(), 'jitbot-vault-tls-'));
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=jitbot test CA');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=vault.internal');
    writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=DNS:vault.internal\n');
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
    vault = new FakeVault({ tls: { key: readFileSync(path.join(dir, 'server.key'), 'utf8'), cert: readFileSync(path.join(dir, 'server.pem'), 'utf8') } });
    vault.botTokens.set('hvs.jitbot', { sudo: true, namespace: '' });
    await vault.start();
  }, 30_000);
  afterAll(async () => {
    await vault.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trusts the CA file and checks the certificate against serverName', async () => {
    const issuer = await createVaultIssuer('tls', VaultSettingsSchema.parse({ address: vault.url, token: 'hvs.jitbot', caFile: path.join(dir, 'ca.pem'), serverName: 'vault.internal' }), { dataDir: dir, grantIsLive: async () => true, state: sharedState });
    const g = grant();
    await issuer.issue(g);
    expect(vault.liveForGrant(g.grantId)).toHaveLength(1);
  });

  it('without the CA, or with another server name, the certificate is refused (not retryable: a person must fix the settings)', async () => {
    const untrusted = await createVaultIssuer('tls', VaultSettingsSchema.parse({ address: vault.url, token: 'hvs.jitbot' }), { dataDir: dir, grantIsLive: async () => true, state: sharedState });
    await expect(untrusted.issue(grant())).rejects.toMatchObject({ retryable: false });
    const wrongName = await createVaultIssuer('tls', VaultSettingsSchema.parse({ address: vault.url, token: 'hvs.jitbot', caFile: path.join(dir, 'ca.pem'), serverName: 'other.internal' }), { dataDir: dir, grantIsLive: async () => true, state: sharedState });
    await expect(wrongName.issue(grant())).rejects.toMatchObject({ retryable: false });
  });
});
