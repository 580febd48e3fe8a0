import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IssuerEnvironment } from '../../src/core/ports/issuer.js';
import { createGitHubIssuer, GitHubSettingsSchema, type GitHubIssuer, type GitHubIssuerOptions } from '../../src/issuers/github/github-issuer.js';
import { FakeGitHub } from './fake-github.js';
import { MemoryIssuerState } from './memory-issuer-state.js';


/** The token the scene's fake accepts as jitbot's PAT. */
export const BOT_TOKEN = 'ghp_jitbot_test_token_0123456789';

export interface GitHubScene {
  fake: FakeGitHub;
  dataDir: string;
  env: IssuerEnvironment;
  /** A `github` issuer on the fake: with the PAT (default) or as the fake's App. */
  issuer(options?: { auth?: 'token' | 'app'; name?: string; installationId?: number; timeoutMs?: number } & GitHubIssuerOptions): Promise<GitHubIssuer>;
  stop(): Promise<void>;
}

/**
 * A fake GitHub with org `acme` (members alice-gh and bob-gh; outsider carol-gh), repositories
 * acme/app and acme/infra, team acme/deployers, org members member-1 … member-300, and an installation (id 77) of jitbot's App on acme
 * with Administration, Members and Contents write — plus a data directory for the issuer's state.
 */
export async function startGitHubScene(): Promise<GitHubScene> {
  const fake = new FakeGitHub();
  fake.pats.add(BOT_TOKEN);
  fake.addOrg('acme', { members: ['alice-gh', 'bob-gh'], baseRole: null, customRoles: ['deployer'] });
  fake.users.add('carol-gh');
  // Org members for tests that need a fresh person per grant.
  for (let i = 1; i <= 300; i++) {
    fake.orgs.get('acme')!.members.add(`member-${i}`);
    fake.users.add(`member-${i}`);
  }
  fake.addRepo('acme/app');
  fake.addRepo('acme/infra');
  fake.addTeam('acme', 'deployers');
  fake.addInstallation(77, 'acme', { administration: 'write', members: 'write', contents: 'write', pull_requests: 'write', metadata: 'read' });
  await fake.start();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jitbot-github-'));
  // One store for every issuer object of this scene, as jitbot's Redis is for every process.
  const env: IssuerEnvironment = { dataDir, grantIsLive: async () => true, state: new MemoryIssuerState() };
  return {
    fake,
    dataDir,
    env,
    async issuer(options = {}) {
      const auth = options.auth ?? 'token';
      return createGitHubIssuer(
        options.name ?? 'gh',
        GitHubSettingsSchema.parse({
          baseUrl: fake.url,
          timeoutMs: options.timeoutMs ?? 2000,
          ...(auth === 'token'
            ? { token: BOT_TOKEN }
            : { app: { appId: fake.app.appId, privateKey: fake.app.privateKey, ...(options.installationId ? { installationId: options.installationId } : {}) } }),
        }),
        env,
        options,
      );
    },
    async stop() {
      await fake.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
