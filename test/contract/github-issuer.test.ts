import { expect } from 'vitest';
import { describeIssuerContract, contractGrant, type IssuerContractSubject } from './issuer-contract.js';
import { BOT_TOKEN, startGitHubScene, type GitHubScene } from '../fakes/fake-github-scene.js';
import { githubIssuerFactory } from '../../src/issuers/github/github-issuer.js';
import { bindIssuer } from '../../src/issuers/registry.js';

/** Fails everything with a 503 (retryable) or with bad credentials (not retryable); returns the undo. */
function failures(scene: GitHubScene): IssuerContractSubject['failures'] {
  return {
    retryable: async () => {
      const remove = scene.fake.server.fault({ kind: 'status', reply: { status: 503, body: { message: 'Service Unavailable' } }, times: Infinity });
      return async () => remove();
    },
    permanent: async () => {
      scene.fake.pats.delete(BOT_TOKEN);
      return async () => void scene.fake.pats.add(BOT_TOKEN);
    },
  };
}

async function subject(mode: 'collaborator' | 'team' | 'app-token'): Promise<IssuerContractSubject> {
  const scene = await startGitHubScene();
  // Bound as the registry binds it for the core: params arrive as the policy holds them.
  const issuer = bindIssuer(githubIssuerFactory, 'gh', await scene.issuer({ auth: mode === 'app-token' ? 'app' : 'token' }));
  const params =
    mode === 'collaborator'
      ? { repo: 'acme/app', permission: 'maintain' }
      : mode === 'team'
        ? { org: 'acme', team: 'deployers', role: 'maintainer' }
        : { mode: 'app-token', repositories: ['acme/app'], permissions: { contents: 'write' } };
  let people = 0;
  return {
    issuer,
    // A new person for every grant: grants of the same access by the same person share it (their
    // overlap has its own tests), and this suite is about one grant's own lifecycle.
    grant: (overrides = {}) => {
      people += 1;
      const base = contractGrant({ params, ...overrides });
      return { ...base, person: { ...base.person, github: `member-${people}` }, ...overrides };
    },
    async isLive(grant, result) {
      const login = grant.person.github!;
      if (mode === 'collaborator') return scene.fake.effectiveRole('acme/app', login) === 'maintain';
      if (mode === 'team') return scene.fake.orgs.get('acme')!.teams.get('deployers')!.members.get(login)?.role === 'maintainer';
      return scene.fake.tokenIsLive(result.secret!.value);
    },
    failures:
      mode === 'app-token'
        ? {
            retryable: failures(scene)!.retryable!,
            permanent: async () => {
              // The App's installation is gone: GitHub answers 404, which retrying does not fix.
              const inst = scene.fake.installations.get(77)!;
              scene.fake.installations.delete(77);
              return async () => void scene.fake.installations.set(77, inst);
            },
          }
        : failures(scene),
    invalidParams: mode === 'collaborator' ? { repo: 'not-a-repository' } : mode === 'team' ? { org: 'acme', team: 'deployers', role: 'owner' } : { mode: 'app-token', repositories: [] },
    async teardown() {
      expect(scene.fake.contractViolations).toEqual([]);
      await scene.stop();
    },
  };
}

describeIssuerContract('github (repository collaborator)', () => subject('collaborator'));
describeIssuerContract('github (team membership)', () => subject('team'));
describeIssuerContract('github (app installation token)', () => subject('app-token'));
