import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { vaultIssuerFactory } from '../../src/issuers/vault/vault-issuer.js';
import { buildIssuer } from '../../src/issuers/registry.js';
import { FakeVault } from '../fakes/fake-vault.js';
import { contractGrant, describeIssuerContract } from './issuer-contract.js';
import { MemoryIssuerState } from '../fakes/memory-issuer-state.js';

// One store for every issuer object in this file, as jitbot's Redis is for every process.
const sharedState = new MemoryIssuerState();

describeIssuerContract('vault', async () => {
  const vault = new FakeVault();
  vault.botTokens.set('hvs.jitbot', { sudo: true, namespace: 'team-a' });
  await vault.start();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jitbot-vault-'));
  // Built as the app builds it: settings and params parsed by the registry.
  const issuer = await buildIssuer(vaultIssuerFactory, 'vault', { address: vault.url, token: 'hvs.jitbot', namespace: 'team-a', timeoutMs: 2000 }, { dataDir, grantIsLive: async () => true, state: sharedState });
  return {
    issuer,
    grant: (overrides = {}) => contractGrant({ params: { policies: ['deploy'], meta: { team: 'payments' } }, ...overrides }),
    // The far side's view: a live token in Vault whose metadata names the grant.
    isLive: async (grant) => vault.liveForGrant(grant.grantId).length > 0,
    failures: {
      retryable: async () => {
        vault.sealed = true;
        return async () => void (vault.sealed = false);
      },
      permanent: async () => {
        const bot = vault.botTokens.get('hvs.jitbot')!;
        vault.botTokens.delete('hvs.jitbot');
        return async () => void vault.botTokens.set('hvs.jitbot', bot);
      },
    },
    invalidParams: { policies: [] },
    async teardown() {
      // Never two live tokens for one grant.
      const perGrant = new Map<string, number>();
      for (const t of vault.live()) perGrant.set(t.meta.jitbot_grant!, (perGrant.get(t.meta.jitbot_grant!) ?? 0) + 1);
      expect([...perGrant.values()].every((n) => n <= 1)).toBe(true);
      await vault.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
